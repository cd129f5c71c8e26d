"""Direct Post over fakes: the order of each distribution method, the supplier's payout, and
the answers when nobody buys."""

from collections import Counter
from typing import Any

from pickpost.domain.errors import Code
from pickpost.domain.lead import LeadStatus, SaleStatus
from tests.unit.world import Buyers, World, pinged_buyer, priced_buyer


def direct(
    method: str = "waterfall",
    buyers: list[dict[str, Any]] | None = None,
    script: Buyers | None = None,
    **overrides: Any,
) -> World:
    distribution = {"method": method, **overrides.pop("distribution", {})}
    return World(
        script,
        type="direct_post",
        distribution=distribution,
        buyers=buyers
        or [
            priced_buyer("d1", "30", priority=2),
            priced_buyer("d2", "20", priority=1),
            priced_buyer("d3", "50", priority=3),
        ],
        **overrides,
    )


def payout_supplier(payout: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"id": "7", "key": "k7secret", "payout": payout}]


async def test_waterfall_tries_buyers_by_priority_until_one_buys() -> None:
    script = Buyers()
    script.rejecting = {"d2"}
    world = direct(script=script, margin={"percent": 10})
    reply = await world.direct()
    assert world.sent("post") == ["d2", "d1"]  # d3 pays most but comes last
    assert (reply.code, reply.body["payout"]) == (Code.OK, 27.0)


async def test_highest_bidder_ranks_configured_and_live_prices_together() -> None:
    script = Buyers({"ann": "40"})
    script.rejecting = {"ann"}
    world = direct(
        "highest_bidder",
        buyers=[
            priced_buyer("d1", "30", priority=1),
            priced_buyer("d2", "35", priority=2),
            pinged_buyer("ann", priority=3),
        ],
        script=script,
    )
    reply = await world.direct()
    assert world.sent("ping") == ["ann"]
    assert world.sent("post") == ["ann", "d2"]  # 40 live, then 35; d1's 30 is never tried
    assert (reply.code, reply.body["payout"]) == (Code.OK, 35.0)


async def test_send_to_all_sells_by_priority_up_to_the_sell_limit() -> None:
    world = direct("send_to_all", distribution={"sell_limit": 2}, margin={"percent": 10})
    reply = await world.direct()
    assert world.sent("post") == ["d2", "d1"]
    body: dict[str, Any] = reply.body
    assert (reply.code, body["payout"], body["meta"]["sold_count"]) == (Code.OK, 18.0 + 27.0, 2)


async def test_round_robin_rotates_the_first_buyer_across_consecutive_leads() -> None:
    world = direct("round_robin")
    firsts = []
    for _ in range(4):
        reply = await world.direct()
        assert reply.code is Code.OK
        firsts.append(world.sent("post")[-1])
    assert firsts == ["d2", "d1", "d3", "d2"]  # the priority order, rotated one step a lead


async def test_test_leads_take_no_turn_in_a_rotation() -> None:
    buyers = [priced_buyer(b, "10") for b in ("d1", "d2")]
    world = World(type="direct_post", buyers=buyers, distribution={"method": "round_robin"})
    await world.direct(lp_action="test")
    await world.direct(lp_action="test")
    await world.direct()
    await world.direct()
    # Tests always start at the first turn; live leads rotate from the first turn too.
    assert world.sent("post") == ["d1", "d1", "d1", "d2"]


async def test_weighted_sends_two_leads_to_one_for_weights_two_to_one() -> None:
    world = direct(
        "weighted",
        buyers=[priced_buyer("heavy", "30", weight=2), priced_buyer("light", "30", weight=1)],
    )
    firsts = []
    for _ in range(6):
        reply = await world.direct()
        assert reply.code is Code.OK
        firsts.append(world.sent("post")[-1])
    assert Counter(firsts[:3]) == Counter(firsts[3:]) == {"heavy": 2, "light": 1}


async def test_a_configured_payout_is_paid_once_per_lead_however_many_buy_it() -> None:
    world = direct("send_to_all", suppliers=payout_supplier({"static": "10"}))
    reply = await world.direct()
    assert world.sent("post") == ["d2", "d1", "d3"]
    body: dict[str, Any] = reply.body
    assert (reply.code, body["payout"], body["meta"]["sold_count"]) == (Code.OK, 10.0, 3)
    assert world.outcome(body["lead_id"]).status is LeadStatus.SOLD


async def test_a_configured_payout_is_on_the_first_sale_row_only() -> None:
    buyers = [priced_buyer(b, "30", priority=i) for i, b in enumerate(("d1", "d2", "d3"))]
    world = World(
        type="direct_post",
        buyers=buyers,
        distribution={"method": "send_to_all"},
        suppliers=payout_supplier({"static": "10"}),
    )
    reply = await world.direct()
    assert (reply.code, reply.body["payout"]) == (Code.OK, 10.0)
    rows = [(a.buyer_id, a.payout) for a, status in world.leads.sales.values()]
    assert rows == [("d1", 1000), ("d2", 0), ("d3", 0)]
    assert all(status is SaleStatus.SOLD for _, status in world.leads.sales.values())


async def test_a_buyer_paying_less_than_the_configured_payout_is_not_offered_the_lead() -> None:
    script = Buyers()
    script.rejecting = {"d1", "d3"}
    world = direct(script=script, suppliers=payout_supplier({"static": "25"}))
    reply = await world.direct()
    assert world.sent("post") == ["d1", "d3"]  # d2 pays 20 < 25, so it is never tried
    body: dict[str, Any] = reply.body
    assert (reply.code, body["meta"]["buyers_priced"]) == (Code.NOT_SOLD, 2)


async def test_a_conditional_payout_follows_the_lead() -> None:
    payout = {"conditional": [{"when": [{"field": "state", "allow": ["CA"]}], "price": "12"}]}
    world = direct(suppliers=payout_supplier({**payout, "default": "8"}))
    texas = await world.direct()
    california = await world.direct(state="CA", zip_code="90210")
    assert (texas.body["payout"], california.body["payout"]) == (8.0, 12.0)


async def test_no_eligible_buyer_is_2001_and_the_lead_is_kept_as_not_sold() -> None:
    world = direct(buyers=[priced_buyer("d1", "30", filters=[{"field": "state", "allow": ["CA"]}])])
    reply = await world.direct()
    assert (reply.code, reply.body["payout"]) == (Code.NO_BIDS, 0)
    assert world.transport.sent == []
    stored = world.outcome(reply.body["lead_id"])
    assert (stored.status, stored.code) == (LeadStatus.NOT_SOLD, Code.NO_BIDS)
    assert world.skipped() == {"d1": "filtered: state"}


async def test_every_buyer_rejecting_is_2002_and_the_lead_is_kept_as_not_sold() -> None:
    script = Buyers()
    script.rejecting = {"d1", "d2", "d3"}
    world = direct(script=script)
    reply = await world.direct()
    assert world.sent("post") == ["d2", "d1", "d3"]
    assert (reply.code, reply.body["payout"]) == (Code.NOT_SOLD, 0)
    stored = world.outcome(reply.body["lead_id"])
    assert (stored.status, stored.code) == (LeadStatus.NOT_SOLD, Code.NOT_SOLD)


async def test_highest_bidder_ranks_after_margin_as_the_exchange_does() -> None:
    # d1 bids more raw (50) but keeps the supplier 25 after its 50 % margin; d2's 40 keeps 36.
    world = direct(
        "highest_bidder",
        buyers=[
            priced_buyer("d1", "50", margin={"percent": 50}),
            priced_buyer("d2", "40", margin={"percent": 10}),
        ],
    )
    reply = await world.direct()
    assert world.sent("post") == ["d2"]
    assert reply.body["payout"] == 36.0
