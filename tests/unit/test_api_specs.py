"""``GET /specs/{supplier_id}`` in process: authentication, HTML escaping, the JSON variant."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from html.parser import HTMLParser

import httpx
import pytest

from pickpost.api.app import create_app
from pickpost.buyers.wire import InboundResponse, OutboundRequest
from pickpost.domain.catalog import Catalog
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
from tests.unit.factories import OTHER_KEY, SUPPLIER_KEY, make_campaign, make_workspace
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

HOSTILE = "<script>alert('x')</script> & Co"
SUPPLIERS = [
    {"id": "7", "name": "Acme Media", "key": SUPPLIER_KEY},
    {"id": "9", "name": "Other", "key": OTHER_KEY},
]


class Nesting(HTMLParser):
    """Checks that every tag the renderer opens is closed, in order."""

    def __init__(self) -> None:
        super().__init__()
        self.open: list[str] = []
        self.misplaced: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag != "meta":
            self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if self.open and self.open[-1] == tag:
            self.open.pop()
        else:
            self.misplaced.append(tag)


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    catalog = Catalog.from_workspace(
        make_workspace(
            make_campaign(id="101", name=HOSTILE, suppliers=SUPPLIERS),
            make_campaign(id="102", name="Paused Solar", paused=True, suppliers=SUPPLIERS[:1]),
            make_campaign(id="103", name="Not Yours", suppliers=SUPPLIERS[1:]),
            make_campaign(id="104", name="Archived Solar", suppliers=SUPPLIERS[:1]),
        ),
        archived=frozenset({"104"}),
    )

    async def no_bid(request: OutboundRequest, timeout_ms: int) -> InboundResponse | None:
        return answer(204)

    transport = FakeTransport(no_bid)
    leads, counters, pings = FakeLeadStore(), MemoryCounters(), FakePingStore()
    picks = leads.picks  # one database: a POST reads its pick with its replay check
    gate, auction = Gate(Caps(counters), DuplicateMarks(counters)), Auction(transport)
    seller = Seller(transport, leads, gate, Caps(counters), DuplicateMarks(counters))
    recorder = FlushingRecorder()

    # The page reads only the catalog; the services are there because the runtime needs them.
    @asynccontextmanager
    async def runtime() -> AsyncIterator[Runtime]:
        audit = MemoryAuditLog()
        yield Runtime(
            catalogs=CatalogHolder(catalog),
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
            returns=ReturnsService(MemoryReturns(), lambda: catalog, audit),
            traffic=NO_TRAFFIC_COUNTS,
            reports=ReportService(EmptyRollups(), NothingToFlush()),
            lead_list=NoLeads(),
            health=HealthService(NoCalls(), counters, SystemClock()),
            admin_token=None,
            consent=NoConsent(),
            links=FAKE_LINKS,
            revocations=Withdrawals(MemoryRevocations()),
        )

    app = create_app(runtime)
    async with app.router.lifespan_context(app):
        asgi = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=asgi, base_url="http://pickpost") as http:
            yield http


async def test_the_page_is_html_with_every_value_escaped(client: httpx.AsyncClient) -> None:
    response = await client.get("/specs/7", params={"key": SUPPLIER_KEY})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["cache-control"] == "no-store"
    assert "script-src" not in response.headers["content-security-policy"]
    page = response.text
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; Co" in page
    assert "<script" not in page
    assert SUPPLIER_KEY not in page
    assert "YOUR_KEY" in page
    assert "http://pickpost/ping" in page
    assert "Not Yours" not in page
    nesting = Nesting()
    nesting.feed(page)
    assert (nesting.open, nesting.misplaced) == ([], [])


async def test_json_by_query_or_accept_header_has_the_same_content(
    client: httpx.AsyncClient,
) -> None:
    by_query = await client.get("/specs/7", params={"key": SUPPLIER_KEY, "format": "json"})
    by_header = await client.get(
        "/specs/7", params={"key": SUPPLIER_KEY}, headers={"Accept": "application/json"}
    )
    assert by_query.status_code == by_header.status_code == 200
    assert by_query.headers["content-type"] == "application/json"
    spec = by_query.json()
    assert spec == by_header.json()
    assert (spec["supplier_id"], spec["name"], spec["base_url"]) == (
        "7",
        "Acme Media",
        "http://pickpost",
    )
    assert [(c["id"], c["name"], c["status"]) for c in spec["campaigns"]] == [
        ("101", HOSTILE, "active"),
        ("102", "Paused Solar", "paused"),
    ]
    assert [s["url"] for s in spec["campaigns"][0]["steps"]] == [
        "http://pickpost/ping",
        "http://pickpost/post",
    ]
    assert SUPPLIER_KEY not in by_query.text


async def test_campaign_narrows_the_spec_to_one_campaign(client: httpx.AsyncClient) -> None:
    params = {"key": SUPPLIER_KEY, "format": "json", "campaign": "102"}
    spec = (await client.get("/specs/7", params=params)).json()
    assert [c["id"] for c in spec["campaigns"]] == ["102"]
    for other in ("103", "999"):
        refused = await client.get("/specs/7", params=params | {"campaign": other})
        assert refused.status_code == 403
        assert refused.json()["code"] == 1003


async def test_a_wrong_key_or_unknown_supplier_is_one_401(client: httpx.AsyncClient) -> None:
    answers = [
        await client.get("/specs/7", params={"key": OTHER_KEY}),
        await client.get("/specs/7", params={"key": "wrong-key-entirely"}),
        await client.get("/specs/nobody", params={"key": SUPPLIER_KEY}),
    ]
    assert {a.status_code for a in answers} == {401}
    bodies = [a.json() for a in answers]
    assert bodies[0] == {
        "status": "ERROR",
        "code": 1002,
        "error_code": 1002,
        "message": "unknown supplier or wrong key",
        "request_id": None,
    }
    assert bodies[1] == bodies[2] == bodies[0]


async def test_missing_key_and_unknown_format_are_refused(client: httpx.AsyncClient) -> None:
    missing = await client.get("/specs/7")
    assert (missing.status_code, missing.json()["code"]) == (400, 1001)
    wrong = await client.get("/specs/7", params={"key": SUPPLIER_KEY, "format": "xml"})
    assert (wrong.status_code, wrong.json()["code"]) == (400, 1000)


async def test_an_archived_campaign_is_left_out_and_named_when_asked_for(
    client: httpx.AsyncClient,
) -> None:
    spec = (await client.get("/specs/7", params={"key": SUPPLIER_KEY, "format": "json"})).json()
    assert [c["id"] for c in spec["campaigns"]] == ["101", "102"]
    asked = await client.get("/specs/7", params={"key": SUPPLIER_KEY, "campaign": "104"})
    assert (asked.status_code, asked.json()["code"]) == (403, 1021)
