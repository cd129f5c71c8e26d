"""The composition root: everything Pickpost runs on is built here, from settings."""

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

from fastapi import FastAPI

from pickpost.api.app import create_app
from pickpost.domain.caps import CounterStore
from pickpost.infra.metrics import MeteredCatalogSource, MeteredLeadStore, MeteredRecorder
from pickpost.infra.pingstore import MemoryPingStore, RedisPingStore
from pickpost.infra.recorder import LogWriter
from pickpost.infra.redaction import withhold_exception_messages
from pickpost.infra.redis_counters import RedisCounters
from pickpost.infra.sql.counters import SqlCounters
from pickpost.infra.sql.engine import make_engine
from pickpost.infra.sql.logs import SqlLogStore
from pickpost.infra.sql.views import SqlViews
from pickpost.infra.sql.workspace import SqlCatalogSource, SqlWorkspaceControl
from pickpost.infra.transport import AiohttpTransport
from pickpost.services.auction import Auction, AuctionTiming
from pickpost.services.catalog_refresh import CatalogRefresher
from pickpost.services.direct import DirectPostService
from pickpost.services.gate import Gate
from pickpost.services.ping import PingService
from pickpost.services.ports import PingStore
from pickpost.services.post import PostService
from pickpost.services.runtime import Runtime
from pickpost.services.selling import Seller
from pickpost.services.settle import Settler
from pickpost.settings import Settings


@asynccontextmanager
async def open_runtime(settings: Settings) -> AsyncIterator[Runtime]:
    """Connect stores and sessions, read the campaigns from the database, close it all on exit.

    The campaigns are re-read whenever the stored ones change (``catalog_refresh_s``).
    """
    async with AsyncExitStack() as stack:
        engine = make_engine(settings.database_url, settings.db_pool_size)
        stack.push_async_callback(engine.dispose)
        catalogs = await CatalogRefresher.open(
            MeteredCatalogSource(SqlCatalogSource(engine)), settings.catalog_refresh_s
        )
        catalogs.start()
        stack.push_async_callback(catalogs.close)

        transport = AiohttpTransport.create(settings.buyer_connections)
        stack.push_async_callback(transport.close)
        pings: PingStore
        counters: CounterStore
        if settings.redis_url:
            redis_pings = RedisPingStore.from_url(settings.redis_url, settings.redis_prefix)
            stack.push_async_callback(redis_pings.close)
            pings = redis_pings
            counters = RedisCounters(redis_pings.client, settings.redis_prefix)
        else:
            pings = MemoryPingStore()
            sql_counters = SqlCounters(engine)
            sql_counters.start()
            stack.push_async_callback(sql_counters.close)
            counters = sql_counters
        leads = MeteredLeadStore(engine)
        writer = LogWriter(SqlLogStore(engine))
        writer.start()
        stack.push_async_callback(writer.close)
        recorder = MeteredRecorder(writer)
        settler = Settler(leads)
        settler.start()
        stack.push_async_callback(settler.close)

        auction = Auction(transport, AuctionTiming(reserve_ms=settings.reserve_ms))
        gate = Gate(counters)
        seller = Seller(transport, leads, gate, counters)
        token = settings.admin_token.get_secret_value() if settings.admin_token else None
        yield Runtime(
            catalogs=catalogs.holder,
            pings=PingService(auction, gate, pings, recorder),
            posts=PostService(seller, gate, pings, leads),
            direct_posts=DirectPostService(auction, gate, seller, leads, counters),
            views=SqlViews(engine),
            control=SqlWorkspaceControl(engine),
            recorder=recorder,
            admin_token=token,
        )


def build_app(settings: Settings) -> FastAPI:
    return create_app(lambda: open_runtime(settings))


def app_from_env() -> FastAPI:
    """The app of one server process, from ``PICKPOST_*`` variables (``pickpost serve``
    exports its settings so each worker it starts builds the same app)."""
    withhold_exception_messages()
    return build_app(Settings())
