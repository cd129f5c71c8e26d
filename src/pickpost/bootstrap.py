"""The composition root: everything Pickpost runs on is built here, from settings."""

import logging
import time
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import UTC, datetime

from fastapi import FastAPI
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncEngine

from pickpost.api.admission import AdmissionGate, guarded
from pickpost.api.app import create_app
from pickpost.api.sessions import key_bytes, new_key
from pickpost.domain.revocation import LinkSigner
from pickpost.infra.crypto import parse_master_key
from pickpost.infra.metrics import MeteredCatalogSource, MeteredLeadStore, MeteredRecorder
from pickpost.infra.passwords import Argon2Passwords
from pickpost.infra.personal_data import PersonalData
from pickpost.infra.pingstore import MemoryPingStore, RedisPingStore
from pickpost.infra.recorder import LogWriter
from pickpost.infra.redaction import withhold_exception_messages
from pickpost.infra.redis_counters import RedisCounters
from pickpost.infra.sql.audit import SqlAuditLog
from pickpost.infra.sql.call_samples import SqlCallSamples
from pickpost.infra.sql.consent_ledger import SqlConsentLedger
from pickpost.infra.sql.counters import SqlCounters
from pickpost.infra.sql.engine import make_engine
from pickpost.infra.sql.keys import Masters, SqlKeyring
from pickpost.infra.sql.lead_list import SqlLeadList
from pickpost.infra.sql.logs import SqlLogStore
from pickpost.infra.sql.people import SqlPeople, SqlSiteSecrets
from pickpost.infra.sql.picks import SqlPickStore
from pickpost.infra.sql.purge import PurgeReport, Retention, SqlPurger
from pickpost.infra.sql.returns import SqlReturns
from pickpost.infra.sql.revocations import SqlRevocations
from pickpost.infra.sql.rollups import SqlRollups
from pickpost.infra.sql.traffic import SqlTrafficStore
from pickpost.infra.sql.views import SqlViews
from pickpost.infra.sql.workspace import SqlCatalogSource, SqlWorkspaceControl
from pickpost.infra.transport import HttpTransport
from pickpost.services.auction import Auction, AuctionTiming
from pickpost.services.catalog_refresh import CatalogHolder, CatalogRefresher
from pickpost.services.direct import DirectPostService
from pickpost.services.gate import Gate
from pickpost.services.health import HealthService
from pickpost.services.marks import DuplicateMarks
from pickpost.services.people import People, SessionPolicy
from pickpost.services.periodic import Periodic
from pickpost.services.pick import PickService
from pickpost.services.ping import PingService
from pickpost.services.ports import BuyerTransport, CounterStore, PingStore, SystemClock
from pickpost.services.post import PostService
from pickpost.services.quotas import Caps
from pickpost.services.reports import ReportService
from pickpost.services.returns import ReturnsService
from pickpost.services.revocations import RevocationWorker, Withdrawals
from pickpost.services.runtime import Runtime
from pickpost.services.selling import Seller
from pickpost.services.settle import Settler
from pickpost.services.traffic import TrafficCounter
from pickpost.settings import Settings

log = logging.getLogger(__name__)


def masters_of(settings: Settings) -> Masters:
    """The master keys from settings (DataKeyError if one is not 32 bytes of base64)."""

    def parse(secret: SecretStr | None) -> bytes | None:
        return None if secret is None else parse_master_key(secret.get_secret_value())

    return Masters(parse(settings.data_key), parse(settings.data_key_previous))


def retention_of(settings: Settings) -> Retention:
    return Retention(
        requests_days=settings.keep_requests_days,
        lead_fields_days=settings.keep_lead_fields_days,
        consent_days=settings.keep_consent_days,
    )


async def open_personal_data(
    engine: AsyncEngine, settings: Settings, catalog: CatalogHolder
) -> PersonalData:
    keys = await SqlKeyring.open(engine, masters_of(settings))
    return PersonalData(lambda: catalog.current, keys)


@asynccontextmanager
async def open_runtime(
    settings: Settings, transport: BuyerTransport | None = None
) -> AsyncIterator[Runtime]:
    """Connect stores and sessions, read the campaigns from the database, close it all on exit.

    The campaigns are re-read whenever the stored ones change (``catalog_refresh_s``). Buyers
    are called over HTTP unless ``transport`` is given (the in-process bench,
    ``pickpost.bench.ping_cpu``, answers them at once).
    """
    clock = SystemClock()
    async with AsyncExitStack() as stack:
        engine = make_engine(settings.database_url, settings.db_pool_size)
        stack.push_async_callback(engine.dispose)
        catalogs = await CatalogRefresher.open(
            MeteredCatalogSource(SqlCatalogSource(engine)), settings.catalog_refresh_s
        )
        catalogs.start()
        stack.push_async_callback(catalogs.close)

        if transport is None:
            http = HttpTransport.create(settings.buyer_connections, settings.buyer_ca_file)
            stack.push_async_callback(http.close)
            transport = http
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
        personal = await open_personal_data(engine, settings, catalogs.holder)
        leads = MeteredLeadStore(engine, personal)
        writer = LogWriter(SqlLogStore(engine, personal))
        writer.start()
        stack.push_async_callback(writer.close)
        recorder = MeteredRecorder(writer)
        settler = Settler(leads, catalogs.holder.campaign, clock=clock)
        settler.start()
        stack.push_async_callback(settler.close)
        retention = retention_of(settings)
        if retention.purges:
            purger = SqlPurger(engine, personal)

            async def purge() -> PurgeReport:
                report = await purger.purge(retention, time.time())
                log.info("purged personal data past its retention: %s", report)
                return report

            purges = Periodic("purge", settings.purge_every_s, purge, at_start=True)
            purges.start()
            stack.push_async_callback(purges.close)

        traffic = TrafficCounter(SqlTrafficStore(engine), settings.traffic_flush_s)
        traffic.start()
        stack.push_async_callback(traffic.close)
        rollups = SqlRollups(engine, settings.rollup_overlap_s)
        refreshes = Periodic("rollup-refresh", settings.rollup_refresh_s, rollups.refresh)
        refreshes.start()
        stack.push_async_callback(refreshes.close)
        consent = SqlConsentLedger(engine, personal)
        # Closed days get their consent root on whichever node comes first (docs/consent.md).
        seals = Periodic(
            "consent-seal",
            settings.consent_seal_every_s,
            lambda: consent.seal(datetime.now(UTC)),
            at_start=True,
        )
        seals.start()
        stack.push_async_callback(seals.close)

        auction = Auction(transport, AuctionTiming(reserve_ms=settings.reserve_ms), clock)
        caps, marks = Caps(counters), DuplicateMarks(counters)
        gate = Gate(caps, marks)
        site_secrets = SqlSiteSecrets(engine)
        # The receipt's and buyers' certificate links are signed with a key of their own.
        links = LinkSigner(key_bytes(await site_secrets.secret("link_key", new_key(), clock.now())))
        seller = Seller(transport, leads, gate, caps, marks, clock, links)
        token = settings.admin_token.get_secret_value() if settings.admin_token else None
        audit = SqlAuditLog(engine)
        session_key = await site_secrets.secret("session_key", new_key(), clock.now())
        revocations = SqlRevocations(engine)
        # Withdrawals reach buyers from every node; a leased row is one node's at a time.
        deliverer = RevocationWorker(revocations, transport, lambda: catalogs.holder.current)
        deliveries = Periodic(
            "revocations", settings.revocation_every_s, deliverer.run_once, at_start=True
        )
        deliveries.start()
        stack.push_async_callback(deliveries.close)
        holder = catalogs.holder
        returns = ReturnsService(SqlReturns(engine, personal), lambda: holder.current, audit, clock)
        picks = SqlPickStore(engine, personal)
        yield Runtime(
            catalogs=catalogs.holder,
            pings=PingService(auction, gate, pings, recorder, clock, traffic),
            posts=PostService(seller, gate, pings, leads, settler, clock=clock),
            picks=PickService(holder.campaign, pings, picks, leads, clock),
            direct_posts=DirectPostService(auction, gate, seller, leads, counters, clock, traffic),
            views=SqlViews(engine, personal),
            control=SqlWorkspaceControl(engine),
            recorder=recorder,
            audit=audit,
            returns=returns,
            traffic=traffic,
            reports=ReportService(rollups, traffic),
            lead_list=SqlLeadList(engine, personal),
            admin_token=token,
            people=People(SqlPeople(engine), Argon2Passwords(), audit, counters, clock),
            health=HealthService(SqlCallSamples(engine), counters, clock),
            sessions=SessionPolicy(
                key_bytes(session_key),
                settings.session_idle_s,
                settings.session_absolute_s,
            ),
            consent=consent,
            links=links,
            revocations=Withdrawals(revocations, clock),
            public_url=settings.public_url.rstrip("/") if settings.public_url else None,
        )


def build_app(settings: Settings) -> FastAPI:
    return create_app(lambda: open_runtime(settings))


def app_from_env() -> AdmissionGate:
    """The app of one server process, from ``PICKPOST_*`` variables (``pickpost serve``
    exports its settings so each worker it starts builds the same app), behind the admission
    rule of its supplier endpoints."""
    withhold_exception_messages()
    settings = Settings()
    return guarded(build_app(settings), settings)
