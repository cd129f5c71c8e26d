"""PING and POST use cases over fakes: order of effects, consent rules, deadline budgets."""

import dataclasses
import time
from typing import Any

import orjson
import pytest

from pickpost.buyers.wire import InboundResponse, OutboundRequest
from pickpost.domain.errors import Code
from pickpost.domain.lead import LeadStatus, SaleStatus, StoredOutcome
from pickpost.domain.outcomes import BuyerCall, Outcome
from pickpost.infra.counters import MemoryCounters
from pickpost.services.auction import Auction, AuctionTiming
from pickpost.services.gate import Gate
from pickpost.services.intake import Admitted, SupplierRequest, admit
from pickpost.services.marks import DuplicateMarks
from pickpost.services.ping import PingService
from pickpost.services.post import PostService, ReplayWait
from pickpost.services.quotas import Caps
from pickpost.services.selling import Seller
from pickpost.services.settle import Settler
from tests.unit.factories import auth, make_campaign, make_catalog
from tests.unit.fakes import (
    FakeLeadStore,
    FakePingStore,
    FakeRecorder,
    FakeTransport,
    answer,
)

BUYERS = [
    {"id": b, "tcpa_entity_name": f"{b.title()} LLC", "ping_url": f"http://{b}.test/ping",
     "post_url": f"http://{b}.test/post", "timeout_ms": 1000}
    for b in ("ann", "bob", "cid")
]  # fmt: skip
PRICES = {"ann": 40, "bob": 30, "cid": 20}


def campaign(**overrides: Any) -> Any:
    return make_campaign(**{"buyers": BUYERS, "margin": None, "one_to_one": {}, **overrides})


async def bidding_buyers(request: OutboundRequest, timeout_ms: int) -> InboundResponse | None:
    buyer = request.url.split("//")[1].split(".")[0]
    if request.url.endswith("/ping"):
        return answer(200, {"bid": {"price": PRICES[buyer], "bid_id": f"tok-{buyer}"}})
    return answer(200, {"accepted": True, "fields": {"redirect_url": f"https://{buyer}.test/"}})


class World:
    def __init__(self, handler: Any = bidding_buyers, **campaign_overrides: Any) -> None:
        self.events: list[str] = []
        self.transport = FakeTransport(handler, self.events)
        self.pings = FakePingStore()
        self.leads = FakeLeadStore(self.events)
        self.recorder = FakeRecorder()
        self.catalog = make_catalog(campaign(**campaign_overrides))
        self.counters = MemoryCounters()
        self.gate = Gate(Caps(self.counters), DuplicateMarks(self.counters))
        auction = Auction(self.transport, AuctionTiming())
        self.ping_service = PingService(auction, self.gate, self.pings, self.recorder)
        self.post_service = self.posting()

    def posting(self, wait: ReplayWait | None = None) -> PostService:
        """The POST use case over this world's current ledger."""
        wait = wait or ReplayWait()
        seller = Seller(
            self.transport,
            self.leads,
            self.gate,
            Caps(self.counters),
            DuplicateMarks(self.counters),
        )
        settler = Settler(self.leads, self.catalog.campaigns.get)
        return PostService(seller, self.gate, self.pings, self.leads, settler, wait)

    def request(self, endpoint: str, **data: Any) -> tuple[SupplierRequest, Admitted]:
        body = {**auth(), "zip_code": "78701", "state": "TX", "phone": "5125550142", **data}
        request = SupplierRequest("r_1", endpoint, time.monotonic(), time.time(), body)
        admitted = admit(self.catalog, request)
        assert isinstance(admitted, Admitted)
        return request, admitted

    async def ping(self, **data: Any) -> dict[str, Any]:
        reply = await self.ping_service.ping(*self.request("/ping", **data))
        return {"code": reply.code, **reply.body}

    async def post(self, ping_id: str, bids: object, **data: Any) -> Any:
        request = self.request("/post", lp_ping_id=ping_id, lp_consent_bids=bids, **data)
        return await self.post_service.post(*request)


def bid_ids(ping: dict[str, Any], *buyers: str) -> list[str]:
    by_buyer = {b["buyer_id"]: b["bid_id"] for b in ping["bids"]}
    return [by_buyer[b] for b in buyers]


async def test_consent_is_committed_before_the_first_buyer_call() -> None:
    world = World()
    ping = await world.ping()
    world.events.clear()
    reply = await world.post(ping["ping_id"], bid_ids(ping, "cid", "ann"))
    assert reply.code is Code.OK
    assert world.events == ["claim", "send http://cid.test/post", "send http://ann.test/post"]
    (consent,) = world.leads.consents.values()
    assert [b["buyer_id"] for b in consent.bids_picked] == ["cid", "ann"]
    assert len(consent.bids_shown) == 3


async def test_buyer_post_carries_its_own_token_and_entity() -> None:
    world = World()
    ping = await world.ping()
    await world.post(ping["ping_id"], bid_ids(ping, "bob"), tcpa_text="I agree.")
    request, timeout_ms = world.transport.sent[-1]
    body = orjson.loads(request.body)
    assert body["bid_id"] == "tok-bob"
    assert body["price"] == 30.0
    assert body["consent"]["tcpa_entity_name"] == "Bob LLC"
    assert body["consent"]["tcpa_text"] == "I agree."
    assert timeout_ms == 10_000


async def test_a_lost_claim_replays_the_winner_and_calls_no_buyer() -> None:
    world = World()
    ping = await world.ping()
    first = await world.post(ping["ping_id"], bid_ids(ping, "ann"))
    sent = len(world.transport.sent)
    # The next POST looks before the first one's lead is visible, then loses the claim.
    world.leads.blind_lookups = 1
    again = await world.post(ping["ping_id"], bid_ids(ping, "bob"))
    assert again.headers == {"Idempotent-Replay": "true"}
    assert again.body["lead_id"] == first.body["lead_id"]
    assert again.body["sold_bids"] == first.body["sold_bids"]
    assert len(world.transport.sent) == sent


@pytest.mark.parametrize(
    ("bids", "code"),
    [
        ([], Code.INVALID_BID_SELECTION),
        ("", Code.INVALID_BID_SELECTION),
        (["b_unknown"], Code.INVALID_BID_SELECTION),
        ("dup", Code.INVALID_BID_SELECTION),
        (7, Code.MALFORMED),
        ({"a": "b"}, Code.MALFORMED),
        ("[not json", Code.MALFORMED),
        (None, Code.MISSING_PARAMETER),
    ],
    ids=str,
)
async def test_invalid_selection_claims_nothing_and_calls_nobody(bids: object, code: Code) -> None:
    world = World()
    ping = await world.ping()
    if bids == "dup":
        bids = bid_ids(ping, "ann", "ann")
    world.events.clear()
    reply = await world.post(ping["ping_id"], bids)
    assert reply.code is code
    assert world.events == []


async def test_max_sales_stops_selling_and_says_why() -> None:
    world = World(one_to_one={"max_sales": 1})
    ping = await world.ping()
    reply = await world.post(ping["ping_id"], bid_ids(ping, "bob", "ann", "cid"))
    assert [b["buyer_id"] for b in reply.body["sold_bids"]] == ["bob"]
    assert [(b["buyer_id"], b["reason"]) for b in reply.body["rejected_bids"]] == [
        ("ann", "max_sales reached"),
        ("cid", "max_sales reached"),
    ]
    assert [r.url for r, _ in world.transport.sent if r.url.endswith("/post")] == [
        "http://bob.test/post"
    ]
    skipped = [c for c in world.leads.calls if c.outcome is Outcome.SKIPPED]
    assert [c.buyer_id for c in skipped] == ["ann", "cid"]


async def test_payout_and_response_fields_follow_the_first_sold_bid() -> None:
    world = World(
        margin={"amount": "2.50"},
        response_fields={"redirect_url": {"from_sold_bid": "redirect_url"}},
    )
    ping = await world.ping()
    assert [b["bid_price"] for b in ping["bids"]] == [37.5, 27.5, 17.5]
    reply = await world.post(ping["ping_id"], bid_ids(ping, "cid", "ann"))
    assert reply.body["payout"] == 55.0
    assert reply.body["redirect_url"] == "https://cid.test/"


async def test_each_buyer_is_told_its_budget_within_the_deadline() -> None:
    world = World(ping_timeout_ms=300)
    await world.ping()
    budgets = [timeout for _, timeout in world.transport.sent]
    assert budgets
    assert all(0 < b <= 300 - AuctionTiming().reserve_ms for b in budgets)
    for request, timeout in world.transport.sent:
        assert request.headers["X-Pickpost-Tmax-Ms"] == str(timeout)


async def test_a_buyer_that_never_answers_is_a_timeout_not_an_error() -> None:
    async def bob_hangs(request: OutboundRequest, timeout_ms: int) -> InboundResponse | None:
        if "bob" in request.url:
            return None
        return await bidding_buyers(request, timeout_ms)

    world = World(bob_hangs, ping_timeout_ms=100)
    ping = await world.ping()
    assert [b["buyer_id"] for b in ping["bids"]] == ["ann", "cid"]
    (log,) = world.recorder.pings
    outcomes = {c.buyer_id: c.outcome for c in log.calls}
    assert outcomes == {"ann": Outcome.BID, "bob": Outcome.TIMEOUT, "cid": Outcome.BID}


async def test_ping_forwards_declared_ping_fields_only() -> None:
    world = World()
    await world.ping(email="x@example.com", secret="s")
    for request, _ in world.transport.sent:
        assert orjson.loads(request.body)["lead"] == {"zip_code": "78701", "state": "TX"}
    (record,) = world.pings.records.values()
    assert record.lead["secret"] == "s"
    assert "lp_key" not in record.lead


async def test_a_ping_the_store_forgot_is_found_in_the_ledger() -> None:
    world = World()
    ping = await world.ping()
    record = world.pings.records.pop(ping["ping_id"])
    world.leads.recorded_pings[record.ping_id] = record
    reply = await world.post(ping["ping_id"], bid_ids(ping, "ann"))
    assert reply.code is Code.OK


async def test_expired_and_foreign_pings_in_the_ledger() -> None:
    world = World()
    ping = await world.ping()
    record = world.pings.records.pop(ping["ping_id"])
    expired = dataclasses.replace(record, expires_at=time.time() - 1)
    world.leads.recorded_pings[record.ping_id] = expired
    assert (await world.post(ping["ping_id"], bid_ids(ping, "ann"))).code is Code.PING_EXPIRED
    foreign = dataclasses.replace(expired, supplier_id="8")
    world.leads.recorded_pings[record.ping_id] = foreign
    assert (await world.post(ping["ping_id"], bid_ids(ping, "ann"))).code is Code.UNKNOWN_PING
    assert world.transport.sent[-1][0].url.endswith("/ping")  # no POST reached a buyer


async def test_a_post_still_selling_elsewhere_ends_in_1014_and_calls_nobody() -> None:
    world = World(buyers=[{**b, "post_timeout_ms": 10} for b in BUYERS])
    world.post_service = world.posting(ReplayWait(first_poll_s=0.001, cap_s=0.05))
    ping = await world.ping()
    # Another node claimed this ping just now and has not finished selling it.
    world.leads.by_ping[ping["ping_id"]] = StoredOutcome(
        "l_other", "101", "7", LeadStatus.SELLING, since=time.time()
    )
    reply = await world.post(ping["ping_id"], bid_ids(ping, "ann"))
    assert reply.code is Code.POST_IN_PROGRESS
    assert reply.code.http_status == 409
    assert reply.body == {"lead_id": "l_other"}
    assert not any(r.url.endswith("/post") for r, _ in world.transport.sent)


async def test_a_failure_midway_still_ends_the_lead_with_what_is_known() -> None:
    class FailingLedger(FakeLeadStore):
        async def finish_sale(self, sale_id: int, status: SaleStatus, call: BuyerCall) -> None:
            if call.buyer_id == "bob":
                raise ConnectionError("database went away")
            await super().finish_sale(sale_id, status, call)

    world = World()
    world.leads = FailingLedger(world.events)
    world.post_service = world.posting()
    ping = await world.ping()
    reply = await world.post(ping["ping_id"], bid_ids(ping, "ann", "bob", "cid"))
    assert reply.code is Code.OK
    assert [b["buyer_id"] for b in reply.body["sold_bids"]] == ["ann"]
    assert [(b["buyer_id"], b["reason"]) for b in reply.body["unknown_bids"]] == [
        ("bob", "unknown: internal error during the sale")
    ]
    assert [(b["buyer_id"], b["reason"]) for b in reply.body["rejected_bids"]] == [
        ("cid", "not attempted: internal error")
    ]
    assert not any("cid.test/post" in r.url for r, _ in world.transport.sent)
    statuses = {attempt.buyer_id: status for attempt, status in world.leads.sales.values()}
    assert statuses == {"ann": SaleStatus.SOLD, "bob": SaleStatus.UNKNOWN}
    # The outcome is stored, so a retry replays it instead of waiting on a stuck lead.
    again = await world.post(ping["ping_id"], bid_ids(ping, "ann"))
    assert again.headers == {"Idempotent-Replay": "true"}
    assert again.body == reply.body


async def test_an_answer_stored_as_1007_replays_as_the_duplicate_it_was() -> None:
    world = World()
    ping = await world.ping()
    world.leads.by_ping[ping["ping_id"]] = StoredOutcome(
        "l_old", "101", "7", LeadStatus.NOT_SOLD, 1007, "duplicate lead", {"lead_id": "l_old"}
    )
    reply = await world.post(ping["ping_id"], bid_ids(ping, "ann"))
    assert reply.code is Code.DUPLICATE
    assert reply.headers == {"Idempotent-Replay": "true"}
