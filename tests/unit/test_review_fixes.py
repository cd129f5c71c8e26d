"""Rules added after review, over fakes: races, test leads, per-lead payouts, marks and
refunds when a sale's outcome is unknown."""

from collections.abc import Sequence
from typing import Any

import pytest

from pickpost.domain.caps import Charge
from pickpost.domain.errors import Code
from pickpost.domain.lead import SaleStatus
from pickpost.domain.outcomes import BuyerCall
from pickpost.infra.counters import MemoryCounters
from pickpost.services.auction import Auction
from pickpost.services.direct import DirectPostService
from pickpost.services.gate import Gate
from pickpost.services.selling import Seller
from tests.unit.fakes import FakeLeadStore
from tests.unit.test_gate import TOTAL_CAPS, buyer_cap, direct, supplier
from tests.unit.world import Buyers, World, bid_ids, pinged_buyer, priced_buyer


async def test_a_post_refused_by_a_cap_while_another_post_of_its_ping_sold_replays_it() -> None:
    world = World(
        Buyers({"ann": "40", "bob": "30"}),
        buyers=[pinged_buyer("ann"), pinged_buyer("bob")],
        one_to_one={"max_sales": 1},
        suppliers=supplier(caps={"leads": {"day": 1}}),
    )
    ping = await world.ping()
    ids = bid_ids(ping, "ann")
    first = await world.post(ping.body["ping_id"], lp_consent_bids=ids)
    assert first.code is Code.OK
    # The second POST of the same ping misses the winner's claim at first (not yet visible),
    # then finds the cap spent: it must answer the winner's outcome, not 1006.
    world.leads.blind_lookups = 1
    again = await world.post(ping.body["ping_id"], lp_consent_bids=ids)
    assert again.code is Code.OK
    assert again.headers == {"Idempotent-Replay": "true"}
    assert again.body["lead_id"] == first.body["lead_id"]
    assert world.sent("post") == ["ann"]


async def test_test_leads_leave_no_duplicate_marks() -> None:
    world = direct(dupe_check={"fields": ["phone"], "scope": "campaign"})
    assert (await world.direct(lp_action="test")).code is Code.OK
    assert (await world.direct(lp_action="test", zip_code="73301")).code is Code.OK
    live = await world.direct(zip_code="73344")
    assert live.code is Code.OK  # the same consumer, but only tests came before


async def test_test_leads_leave_no_buyer_duplicate_marks() -> None:
    world = direct(dupe_check={"fields": ["phone"], "scope": "buyer"})
    assert (await world.direct(lp_action="test")).code is Code.OK
    assert (await world.direct(zip_code="73301")).code is Code.OK
    assert world.sent("post") == ["d1", "d1"]  # d1 is not skipped for the live lead
    assert world.skipped() == {}


async def test_test_leads_take_no_turn_in_a_rotation() -> None:
    buyers = [priced_buyer(b, "10") for b in ("d1", "d2")]
    world = World(type="direct_post", buyers=buyers, distribution={"method": "round_robin"})
    await world.direct(lp_action="test")
    await world.direct(lp_action="test")
    await world.direct()
    await world.direct()
    # Tests always start at the first turn; live leads rotate from the first turn too.
    assert world.sent("post") == ["d1", "d1", "d1", "d2"]


async def test_a_configured_payout_is_on_the_first_sale_row_only() -> None:
    buyers = [priced_buyer(b, "30", priority=i) for i, b in enumerate(("d1", "d2", "d3"))]
    world = World(
        type="direct_post",
        buyers=buyers,
        distribution={"method": "send_to_all"},
        suppliers=supplier(payout={"static": "10"}),
    )
    reply = await world.direct()
    assert (reply.code, reply.body["payout"]) == (Code.OK, 10.0)
    rows = [(a.buyer_id, a.payout) for a, status in world.leads.sales.values()]
    assert rows == [("d1", 1000), ("d2", 0), ("d3", 0)]
    assert all(status is SaleStatus.SOLD for _, status in world.leads.sales.values())


async def test_a_payload_refused_by_a_supplier_cap_may_be_sent_again() -> None:
    world = direct(suppliers=supplier(caps={"budget": {"total": 30}}))
    body: dict[str, Any] = {"lp_subid6": "same-request"}
    capped = await world.direct_service.direct_post(*world.request("/direct_post", None, body))
    assert capped.code is Code.CAPPED  # d1 pays 40: more than the budget of 30
    world.catalog = direct(suppliers=supplier(caps={"budget": {"total": 50}})).catalog
    again = await world.direct_service.direct_post(*world.request("/direct_post", None, body))
    assert again.code is Code.OK  # not 1008: the refused request left no mark


async def test_a_supplier_is_never_quoted_from_a_bid_under_its_floor() -> None:
    world = World(
        Buyers({"ann": "50", "bob": "30"}),
        type="exchange",
        buyers=[pinged_buyer("ann", bid_penalty=60), pinged_buyer("bob")],
        suppliers=supplier(min_buyer_bid="45"),
    )
    reply = await world.ping()
    # bob would rank first (30 vs 50 × 40 %), but his 30 is under the floor of 45: dropped.
    assert reply.code is Code.OK
    assert reply.body["payout"] == 50.0
    assert reply.body["meta"]["max_bid_price"] == 50.0  # type: ignore[index]


class FailingLedger(FakeLeadStore):
    """A ledger that fails to record the buyer's answer: the sale's outcome is unknown."""

    async def finish_sale(self, sale_id: int, status: SaleStatus, call: BuyerCall) -> None:
        raise ConnectionError("database went away after the buyer answered")


async def test_an_unknown_sale_keeps_the_buyer_cap_charged() -> None:
    world = direct(buyers=[priced_buyer("d1", "40", caps=TOTAL_CAPS)])
    world.leads = FailingLedger()
    seller = Seller(world.transport, world.leads, world.gate, world.counters)
    world.direct_service = DirectPostService(
        Auction(world.transport), world.gate, seller, world.leads, world.counters
    )
    reply = await world.direct()
    assert reply.code is Code.SALE_UNKNOWN  # never "not sold": d1 may have bought it
    assert world.sent("post") == ["d1"]
    assert await world.counter(buyer_cap("d1", "leads")) == 1  # d1 may have bought it


class FlakyCounters(MemoryCounters):
    """Counters whose first read fails, as a store that is briefly down."""

    def __init__(self) -> None:
        super().__init__(clock=lambda: 0.0)
        self.down = True

    async def exceeded_each(self, groups: Sequence[Sequence[Charge]]) -> list[Charge | None]:
        if self.down:
            self.down = False
            raise ConnectionError("counter store unreachable")
        return await super().exceeded_each(groups)


async def test_a_direct_post_that_failed_before_making_a_lead_may_be_sent_again() -> None:
    world = direct(buyers=[priced_buyer("d1", "40", caps=TOTAL_CAPS)])
    world.counters = FlakyCounters()
    world.gate = Gate(world.counters)
    seller = Seller(world.transport, world.leads, world.gate, world.counters)
    world.direct_service = DirectPostService(
        Auction(world.transport), world.gate, seller, world.leads, world.counters
    )
    body: dict[str, Any] = {"lp_subid6": "same-request"}
    with pytest.raises(ConnectionError):
        await world.direct_service.direct_post(*world.request("/direct_post", None, body))
    again = await world.direct_service.direct_post(*world.request("/direct_post", None, body))
    assert again.code is Code.OK  # not 1008: the failed request left no mark
