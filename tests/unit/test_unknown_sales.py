"""A POST whose answer never came, or came unreadable, is *unknown*, never a definite no:
it counts toward sell limits, an exclusive lead never falls back past it, One-to-One goes on
to the consumer's next pick, and the answer lists it apart from the rejected bids."""

import asyncio
from typing import Any

import pytest

from pickpost.buyers import adapter
from pickpost.buyers.wire import Delivery, InboundResponse, OutboundRequest, PostOrder
from pickpost.domain.errors import Code
from pickpost.domain.lead import (
    LeadStatus,
    SaleAttempt,
    SaleBlocked,
    SaleFinish,
    SaleStatus,
    StoredOutcome,
)
from pickpost.services.post import ReplayWait
from tests.unit.fakes import FakeClock, FakeLeadStore
from tests.unit.world import AT, Buyers, World, bid_ids, pinged_buyer, priced_buyer

BIDS = {"ann": "40", "bob": "30", "cid": "20"}


def buyers(*, fast: bool = True) -> list[dict[str, Any]]:
    # A short post timeout keeps a silent buyer's wait small; nothing here depends on it.
    extra = {"post_timeout_ms": 20} if fast else {}
    return [pinged_buyer(b, **extra) for b in ("ann", "bob", "cid")]


def script(**faults: set[str]) -> Buyers:
    found = Buyers(BIDS)
    for name, who in faults.items():
        setattr(found, name, who)
    return found


def exclusive(**faults: set[str]) -> World:
    """An exclusive exchange with fallback over ann, bob and cid."""
    return World(
        script(**faults),
        type="exchange",
        exchange={"mode": "exclusive", "fallback": True},
        buyers=buyers(),
    )


def reasons(reply: Any, key: str, what: str = "reason") -> list[tuple[str, str]]:
    return [(b["buyer_id"], b[what]) for b in reply.body[key]]


def sales(world: World) -> dict[str, SaleStatus]:
    return {a.buyer_id: status for a, status in world.leads.sales.values()}


@pytest.mark.parametrize("fault", ["silent", "unreadable"])
async def test_one_to_one_goes_on_to_the_next_pick_and_lists_the_unknown_apart(fault: str) -> None:
    world = World(script(**{fault: {"ann"}}), buyers=buyers(), one_to_one={"max_sales": 3})
    ping = await world.ping()
    reply = await world.post(ping.body["ping_id"], lp_consent_bids=bid_ids(ping, "ann", "bob"))
    assert reply.code is Code.OK
    assert [b for b, _ in reasons(reply, "sold_bids", "bid_price")] == ["bob"]
    assert [b for b, _ in reasons(reply, "unknown_bids")] == ["ann"]
    assert reasons(reply, "unknown_bids")[0][1].startswith("unknown: ")
    assert reply.body["rejected_bids"] == []
    assert reply.body["payout"] == 30.0  # only what is confirmed
    meta = reply.body["meta"]
    assert (meta["sold_count"], meta["unknown_count"]) == (1, 1)  # type: ignore[index]
    assert sales(world) == {"ann": SaleStatus.UNKNOWN, "bob": SaleStatus.SOLD}


async def test_an_unknown_counts_toward_max_sales() -> None:
    world = World(script(silent={"ann"}), buyers=buyers(), one_to_one={"max_sales": 1})
    ping = await world.ping()
    reply = await world.post(ping.body["ping_id"], lp_consent_bids=bid_ids(ping, "ann", "bob"))
    assert world.sent("post") == ["ann"]
    assert reply.code is Code.SALE_UNKNOWN
    assert reply.code.status.value == "ERROR"
    assert reply.code.http_status == 200
    assert reasons(reply, "rejected_bids") == [("bob", "max_sales reached")]
    assert [b for b, _ in reasons(reply, "unknown_bids")] == ["ann"]
    assert world.outcome(reply.body["lead_id"]).status is LeadStatus.UNKNOWN


async def test_an_exclusive_lead_never_falls_back_past_an_unknown() -> None:
    world = exclusive(silent={"ann"})
    ping = await world.ping()
    reply = await world.post(ping.body["ping_id"])
    assert world.sent("post") == ["ann"]
    assert reply.code is Code.SALE_UNKNOWN
    assert reply.body["meta"] == {
        "attempts": 1,
        "sold_count": 0,
        "unknown_count": 1,
        "execution_time_ms": reply.body["meta"]["execution_time_ms"],  # type: ignore[index]
    }


async def test_an_exclusive_lead_falls_back_past_a_buyer_that_could_not_be_reached() -> None:
    world = exclusive(unreachable={"ann"})
    ping = await world.ping()
    reply = await world.post(ping.body["ping_id"])
    assert world.sent("post") == ["ann", "bob"]
    assert reply.code is Code.OK
    assert sales(world) == {"ann": SaleStatus.ERROR, "bob": SaleStatus.SOLD}


async def test_an_http_error_status_is_a_definite_no() -> None:
    world = exclusive(failing={"ann"})
    ping = await world.ping()
    reply = await world.post(ping.body["ping_id"])
    assert world.sent("post") == ["ann", "bob"]
    assert reply.code is Code.OK


async def test_a_direct_post_waterfall_stops_at_an_unknown_and_keeps_caps_charged() -> None:
    caps = {"leads": {"total": 10}}
    world = World(
        script(unreadable={"d1"}),
        type="direct_post",
        distribution={"method": "waterfall"},
        buyers=[
            priced_buyer("d1", "30", priority=1, caps=caps),
            priced_buyer("d2", "20", priority=2),
        ],
    )
    reply = await world.direct()
    assert world.sent("post") == ["d1"]
    assert reply.code is Code.SALE_UNKNOWN
    assert reply.body["meta"]["unknown_count"] == 1  # type: ignore[index]
    assert await world.counter("cap:101:buyer:d1:leads:total:all") == 1  # d1 may have bought it


async def test_a_shared_exchange_counts_an_unknown_toward_its_max_sales() -> None:
    world = World(
        script(silent={"ann"}),
        type="exchange",
        exchange={"mode": "shared", "max_sales": 1},
        buyers=buyers(),
    )
    ping = await world.ping()
    reply = await world.post(ping.body["ping_id"], lp_bid_ids=bid_ids(ping, "ann", "bob"))
    assert world.sent("post") == ["ann"]
    assert reply.code is Code.SALE_UNKNOWN
    assert reasons(reply, "rejected_bids") == [("bob", "max_sales reached")]


async def test_a_post_that_cannot_be_built_was_never_sent_so_the_sale_falls_back(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    build = adapter.NativeAdapter.build_post

    def broken_for_ann(native: adapter.NativeAdapter, order: PostOrder) -> OutboundRequest | None:
        if native.post_url(False) == "http://ann.test/post":
            raise KeyError("a template naming a missing value")
        return build(native, order)

    monkeypatch.setattr(adapter.NativeAdapter, "build_post", broken_for_ann)
    world = exclusive()
    ping = await world.ping()
    reply = await world.post(ping.body["ping_id"])
    assert reply.code is Code.OK
    assert world.sent("post") == ["bob"]
    assert sales(world) == {"ann": SaleStatus.ERROR, "bob": SaleStatus.SOLD}


class DyingLedger(FakeLeadStore):
    """Records sales, then dies before storing the POST's answer, as a killed process would."""

    dead = True

    async def finish_lead(
        self,
        outcome: StoredOutcome,
        payout: int,
        stale_before: float | None = None,
        finished: SaleFinish | None = None,
    ) -> bool:
        if self.dead:
            raise ConnectionError("the process died")
        return await super().finish_lead(outcome, payout, stale_before, finished)


async def test_a_retry_settles_a_lead_whose_post_died_once_no_sale_can_still_run() -> None:
    world = World(script(), buyers=buyers(), one_to_one={"max_sales": 3})
    world.leads = DyingLedger()
    clock = FakeClock(AT)
    wait = ReplayWait(first_poll_s=0.001)
    world.wire(clock, wait)
    ping = await world.ping(at=AT)
    pick = bid_ids(ping, "ann", "bob")
    with pytest.raises(ConnectionError):
        await world.post(ping.body["ping_id"], at=AT, lp_consent_bids=pick)
    world.leads.dead = False
    # No live sale stays unchanged longer than its budget: past it, the retry settles the lead.
    clock.advance(wait.budget_s(world.catalog.campaigns["101"]) + 1)
    async with asyncio.timeout(10):  # the fake clock stands still: a wrong wait never ends
        late = await world.post(ping.body["ping_id"], at=AT, lp_consent_bids=pick)
    assert late.code is Code.OK
    assert late.headers == {"Idempotent-Replay": "true"}
    assert late.message == "the sale was interrupted; this is what the ledger confirms"
    assert [b for b, _ in reasons(late, "sold_bids", "bid_price")] == ["ann"]
    # Bob's answer was held for the stored answer, which died with it: the ledger says unknown.
    assert [b for b, _ in reasons(late, "unknown_bids")] == ["bob"]
    assert sales(world) == {"ann": SaleStatus.SOLD, "bob": SaleStatus.UNKNOWN}
    assert world.sent("post") == ["ann", "bob"]  # nobody was posted twice


async def test_a_sale_whose_lead_was_settled_meanwhile_calls_no_other_buyer() -> None:
    world = World(script(), buyers=buyers(), one_to_one={"max_sales": 3})
    ping = await world.ping()
    real = world.transport.send

    async def settle_after_ann(request: OutboundRequest, timeout_ms: int) -> Delivery:
        delivery = await real(request, timeout_ms)
        if request.url == "http://ann.test/post":
            # A retry on another node took this POST for dead and settled its lead.
            lead_id = next(iter(world.leads.leads))
            settled = StoredOutcome(lead_id, "101", "7", LeadStatus.INTERRUPTED, 2003)
            assert await world.leads.finish_lead(settled, 0)
        return delivery

    world.transport.send = settle_after_ann  # type: ignore[method-assign]
    reply = await world.post(ping.body["ping_id"], lp_consent_bids=bid_ids(ping, "ann", "bob"))
    assert world.sent("post") == ["ann"]  # bob is never called
    assert reasons(reply, "rejected_bids") == [("bob", "not attempted: the sale was settled")]
    # Replays keep the settled answer: it is what the retry already told the supplier.
    assert world.outcome(reply.body["lead_id"]).code == 2003


class BrokenBeforeBob(FakeLeadStore):
    async def start_sale(
        self, attempt: SaleAttempt, finished: SaleFinish | None = None
    ) -> int | SaleBlocked:
        if attempt.buyer_id == "bob":
            raise ConnectionError("the database went away")
        return await super().start_sale(attempt, finished)


async def test_a_failure_before_a_sale_started_is_not_called_unknown() -> None:
    world = World(script(), buyers=buyers(), one_to_one={"max_sales": 3})
    world.leads = BrokenBeforeBob()
    world.wire()
    ping = await world.ping()
    reply = await world.post(
        ping.body["ping_id"], lp_consent_bids=bid_ids(ping, "ann", "bob", "cid")
    )
    assert world.sent("post") == ["ann"]
    # Bob was never sent the lead. Ann's answer was to go with bob's start: not recorded, her
    # sale is unknown, in the answer as in the ledger.
    assert reasons(reply, "unknown_bids") == [("ann", "unknown: internal error during the sale")]
    assert sales(world) == {"ann": SaleStatus.UNKNOWN}
    assert reasons(reply, "rejected_bids") == [
        ("bob", "not attempted: internal error"),
        ("cid", "not attempted: internal error"),
    ]


class BehindAProxy(Buyers):
    """Buyers whose proxy answers 504 for ann's post: her application may have the lead."""

    async def __call__(self, request: OutboundRequest, timeout_ms: int) -> InboundResponse | None:
        if request.url == "http://ann.test/post":
            return InboundResponse(504, b"<html>Gateway Timeout</html>")
        return await super().__call__(request, timeout_ms)


async def test_a_proxy_gateway_error_is_unknown_so_an_exclusive_lead_stops() -> None:
    world = World(
        BehindAProxy(BIDS),
        type="exchange",
        exchange={"mode": "exclusive", "fallback": True},
        buyers=buyers(),
    )
    ping = await world.ping()
    reply = await world.post(ping.body["ping_id"])
    assert world.sent("post") == ["ann"]
    assert reply.code is Code.SALE_UNKNOWN
