"""The HTTP layer over fake services: envelope, status codes, and what happens on a crash."""

import json
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from fastapi import Request, Response

from pickpost.api.app import create_app
from pickpost.buyers.wire import InboundResponse, OutboundRequest
from pickpost.domain.ping import PingRecord
from pickpost.infra.counters import MemoryCounters
from pickpost.services.auction import Auction
from pickpost.services.catalog_refresh import CatalogHolder
from pickpost.services.direct import DirectPostService
from pickpost.services.gate import Gate
from pickpost.services.health import HealthService
from pickpost.services.marks import DuplicateMarks
from pickpost.services.pick import PickService
from pickpost.services.ping import PingService
from pickpost.services.ports import NO_TRAFFIC_COUNTS, SystemClock
from pickpost.services.post import PostService
from pickpost.services.quotas import Caps
from pickpost.services.reports import ReportService
from pickpost.services.returns import ReturnsService
from pickpost.services.revocations import Withdrawals
from pickpost.services.runtime import Runtime
from pickpost.services.selling import Seller
from pickpost.services.settle import Settler
from tests.unit.factories import auth, make_catalog
from tests.unit.fakes import (
    FAKE_LINKS,
    FAKE_SESSIONS,
    EmptyRollups,
    FakeLeadStore,
    FakePingStore,
    FakeTransport,
    FlushingRecorder,
    MemoryAuditLog,
    MemoryReturns,
    MemoryRevocations,
    NoCalls,
    NoConsent,
    NoControl,
    NoLeads,
    NothingToFlush,
    NoViews,
    answer,
    fake_people,
)


class BrokenPingStore(FakePingStore):
    async def save(self, record: PingRecord, ttl_s: int) -> None:
        raise ConnectionError("ping store unreachable")


@pytest.fixture
def recorder() -> FlushingRecorder:
    return FlushingRecorder()


@pytest.fixture
def seen() -> list[str]:
    """The paths a middleware added to the application saw."""
    return []


@pytest.fixture
async def client(recorder: FlushingRecorder, seen: list[str]) -> AsyncIterator[httpx.AsyncClient]:
    async def no_bid(request: OutboundRequest, timeout_ms: int) -> InboundResponse | None:
        return answer(204)

    transport = FakeTransport(no_bid)
    pings = BrokenPingStore()
    leads = FakeLeadStore()
    picks = leads.picks  # one database: a POST reads its pick with its replay check
    counters = MemoryCounters()
    gate = Gate(Caps(counters), DuplicateMarks(counters))
    auction = Auction(transport)
    seller = Seller(transport, leads, gate, Caps(counters), DuplicateMarks(counters))

    @asynccontextmanager
    async def runtime() -> AsyncIterator[Runtime]:
        audit = MemoryAuditLog()
        yield Runtime(
            catalogs=CatalogHolder(make_catalog()),
            pings=PingService(auction, gate, pings, recorder),
            posts=PostService(seller, gate, pings, leads, Settler(leads, lambda _: None)),
            picks=PickService(lambda _: None, pings, picks, leads),
            direct_posts=DirectPostService(auction, gate, seller, leads, counters),
            views=NoViews(),
            control=NoControl(),
            recorder=recorder,
            audit=audit,
            people=fake_people(audit),
            sessions=FAKE_SESSIONS,
            returns=ReturnsService(MemoryReturns(), lambda: make_catalog(), audit),
            traffic=NO_TRAFFIC_COUNTS,
            reports=ReportService(EmptyRollups(), NothingToFlush()),
            lead_list=NoLeads(),
            health=HealthService(NoCalls(), counters, SystemClock()),
            admin_token="admin-token-for-tests",
            consent=NoConsent(),
            links=FAKE_LINKS,
            revocations=Withdrawals(MemoryRevocations()),
        )

    app = create_app(runtime)

    @app.middleware("http")
    async def watch(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        seen.append(f"{request.method} {request.url.path}")
        return await call_next(request)

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


async def test_the_supplier_endpoints_answer_without_the_framework(
    client: httpx.AsyncClient, recorder: FlushingRecorder, seen: list[str]
) -> None:
    """A supplier POST goes straight to its handler, past the framework's middleware (its CPU
    per ping, docs/benchmarks.md), on every path the endpoints answer on; the same answer as
    the framework gives (envelope, status, headers). Other methods and paths pass through."""
    paths = ["/ping", "/ping/", "/post", "/post/", "/direct_post", "/direct_post/", "/ingest"]
    for path in paths:
        response = await client.post(path, json={"lp_campaign_id": "nope"})
        assert response.status_code == 400, path
        assert response.headers["content-type"] == "application/json"
        assert int(response.headers["content-length"]) == len(response.content)
        assert response.json()["code"] == 1001
    assert [r.endpoint for r in recorder.requests] == [
        "/ping",
        "/ping",
        "/post",
        "/post",
        "/direct_post",
        "/direct_post",
        "/direct_post",
    ]
    assert seen == []
    wrong_method = await client.get("/ping")
    assert (wrong_method.status_code, wrong_method.json()["code"]) == (405, 1000)
    assert (await client.get("/healthz")).status_code == 200
    assert seen == ["GET /ping", "GET /healthz"]


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


def _keys(node: object) -> set[str]:
    """Every ``key`` value in a parsed workspace file."""
    if isinstance(node, dict):
        own = {str(v) for k, v in node.items() if k == "key" and v}
        return own.union(*(_keys(v) for v in node.values()))
    if isinstance(node, list):
        return set().union(*(_keys(v) for v in node))
    return set()


def _demo_keys() -> set[str]:
    root = Path(__file__).resolve().parents[2]
    files = [*(root / "src").rglob("*.yaml")]  # the demo's files are package data
    return set().union(*(_keys(yaml.safe_load(f.read_text(encoding="utf-8"))) for f in files))


def _operations(spec: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for path, operations in spec["paths"].items():
        for operation in operations.values():
            yield path, operation


async def test_the_openapi_document_declares_only_what_the_server_answers(
    client: httpx.AsyncClient,
) -> None:
    text = (await client.get("/openapi.json")).text
    spec = json.loads(text)
    assert "422" not in text
    assert "HTTPValidationError" not in text
    envelope = {"$ref": "#/components/schemas/Envelope"}
    for path, operation in _operations(spec):
        for status, declared in operation["responses"].items():
            if status != "200" or path in {"/ping", "/post", "/direct_post"}:
                assert declared["content"]["application/json"]["schema"] == envelope
    assert {"status", "code", "error_code", "message", "request_id"} <= set(
        spec["components"]["schemas"]["Envelope"]["required"]
    )
    assert set(spec["paths"]["/ping"]["post"]["responses"]) >= {"200", "400", "401", "429"}


async def test_the_admin_routes_are_behind_the_bearer_scheme(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/openapi.json")).json()
    schemes = spec["components"]["securitySchemes"]
    assert [(s["type"], s["scheme"]) for s in schemes.values()] == [("http", "bearer")]
    (name,) = schemes
    admin = [(p, op) for p, op in _operations(spec) if p.startswith("/api/v1/")]
    assert len(admin) >= 7
    for _, operation in admin:
        assert operation["security"] == [{name: []}]
        assert {"400", "401"} <= set(operation["responses"])
    public = [op for p, op in _operations(spec) if p.startswith("/public/")]
    assert len(public) >= 9
    assert all(op["security"] == [{name: []}] for op in public)
    others = [op for p, op in _operations(spec) if not p.startswith(("/api/", "/public/"))]
    assert others
    assert all("security" not in op for op in others)


async def test_the_openapi_document_shows_no_demo_key(client: httpx.AsyncClient) -> None:
    text = (await client.get("/openapi.json")).text
    keys = _demo_keys()
    assert "demo-supplier-key-not-secret" in keys
    assert [key for key in keys if key in text] == []
    assert "YOUR_KEY" in text
