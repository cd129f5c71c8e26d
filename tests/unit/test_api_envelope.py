"""The HTTP layer over fake services: envelope, status codes, and what happens on a crash."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest

from pickpost.api.app import create_app
from pickpost.buyers.wire import InboundResponse, OutboundRequest
from pickpost.domain.ping import PingRecord
from pickpost.domain.sales_query import SalesPage, SalesQuery
from pickpost.infra.counters import MemoryCounters
from pickpost.services.auction import Auction
from pickpost.services.catalog_refresh import CatalogHolder
from pickpost.services.direct import DirectPostService
from pickpost.services.gate import Gate
from pickpost.services.ping import PingService
from pickpost.services.ports import PausableKind
from pickpost.services.post import PostService
from pickpost.services.runtime import Runtime
from pickpost.services.selling import Seller
from pickpost.services.settle import Settler
from tests.unit.factories import auth, make_catalog
from tests.unit.fakes import FakeLeadStore, FakePingStore, FakeRecorder, FakeTransport, answer


class BrokenPingStore(FakePingStore):
    async def save(self, record: PingRecord, ttl_s: int) -> None:
        raise ConnectionError("ping store unreachable")


class FlushingRecorder(FakeRecorder):
    async def flush(self) -> None:
        return None


class NoViews:
    async def lead(self, lead_id: str) -> dict[str, object] | None:
        return None

    async def ping(self, ping_id: str) -> dict[str, object] | None:
        return None

    async def sales(self, query: SalesQuery) -> SalesPage:
        status = None if query.status is None else query.status.value
        return SalesPage([{"status": status, "limit": query.limit}], None)

    async def find_leads(self, field_name: str, value: str, limit: int) -> list[dict[str, object]]:
        return []


class NoControl:
    async def set_paused(
        self, campaign_id: str, kind: PausableKind, item_id: str, paused: bool
    ) -> PausableKind | None:
        return "campaign"


@pytest.fixture
def recorder() -> FlushingRecorder:
    return FlushingRecorder()


@pytest.fixture
async def client(recorder: FlushingRecorder) -> AsyncIterator[httpx.AsyncClient]:
    async def no_bid(request: OutboundRequest, timeout_ms: int) -> InboundResponse | None:
        return answer(204)

    transport = FakeTransport(no_bid)
    pings = BrokenPingStore()
    leads = FakeLeadStore()
    counters = MemoryCounters()
    gate = Gate(counters)
    auction = Auction(transport)
    seller = Seller(transport, leads, gate, counters)

    @asynccontextmanager
    async def runtime() -> AsyncIterator[Runtime]:
        yield Runtime(
            catalogs=CatalogHolder(make_catalog()),
            pings=PingService(auction, gate, pings, recorder),
            posts=PostService(seller, gate, pings, leads, Settler(leads, lambda _: None)),
            direct_posts=DirectPostService(auction, gate, seller, leads, counters),
            views=NoViews(),
            control=NoControl(),
            recorder=recorder,
            admin_token="admin-token-for-tests",
        )

    app = create_app(runtime)
    # In process, no sockets: the app's lifespan by hand, requests through httpx's ASGI transport.
    async with app.router.lifespan_context(app):
        asgi = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=asgi, base_url="http://pickpost") as http:
            yield http


async def test_an_internal_failure_answers_in_the_envelope_and_is_recorded(
    client: httpx.AsyncClient, recorder: FlushingRecorder
) -> None:
    response = await client.post("/ping", json={**auth(), "zip_code": "78701", "state": "TX"})
    assert response.status_code == 500
    body = response.json()
    assert (body["status"], body["code"]) == ("ERROR", 1099)
    assert body["request_id"].startswith("r_")
    (logged,) = recorder.requests
    assert (logged.request_id, logged.code, logged.http_status) == (body["request_id"], 1099, 500)


async def test_every_refusal_is_recorded_too(
    client: httpx.AsyncClient, recorder: FlushingRecorder
) -> None:
    response = await client.post(
        "/ping", content=b"{broken", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert [r.code for r in recorder.requests] == [1000]
    assert recorder.requests[0].request == {}


async def test_admin_views_need_the_token(client: httpx.AsyncClient) -> None:
    assert (await client.get("/api/v1/leads/l_1")).status_code == 401
    headers = {"Authorization": "Bearer admin-token-for-tests"}
    assert (await client.get("/api/v1/leads/l_1", headers=headers)).status_code == 404
    assert (await client.get("/api/v1/pings/p_1", headers=headers)).status_code == 404
    assert (await client.get("/api/v1/sales")).status_code == 401
    listed = await client.get("/api/v1/sales", headers=headers)
    assert listed.json() == {"sales": [{"status": None, "limit": 100}], "next_cursor": None}
    wrong = await client.get("/api/v1/sales?status=maybe", headers=headers)
    assert (wrong.status_code, wrong.json()["code"]) == (400, 1000)


async def test_the_openapi_document_describes_the_supplier_bodies(
    client: httpx.AsyncClient,
) -> None:
    spec = (await client.get("/openapi.json")).json()
    post = spec["paths"]["/post"]["post"]
    schema = post["requestBody"]["content"]["application/json"]["schema"]
    assert {"lp_ping_id", "lp_consent_bids"} <= set(schema["required"])
    assert "application/x-www-form-urlencoded" in post["requestBody"]["content"]
    assert "410" in post["responses"]
    assert "/ingest" not in spec["paths"]
