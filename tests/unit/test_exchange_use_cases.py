"""Ping/Post Exchange over fakes: the exclusive quote and its fallbacks, the shared pick, the
margin a supplier is offered and its floor."""

from typing import Any

import orjson
import pytest

from pickpost.domain.errors import Code
from pickpost.domain.lead import SaleStatus
from tests.unit.world import Buyers, World, bid_ids, pinged_buyer, prices

BIDS = {"ann": "40", "bob": "30", "cid": "20"}


def exchange(mode: str = "exclusive", buyers: Buyers | None = None, **overrides: Any) -> World:
    settings = {"mode": mode, **overrides.pop("exchange", {})}
    return World(
        buyers or Buyers(BIDS),
        type="exchange",
        exchange=settings,
        buyers=overrides.pop("buyer_list", [pinged_buyer(b) for b in ("ann", "bob", "cid")]),
        **overrides,
    )


def posted_price(world: World, buyer_id: str) -> object:
    """The price a buyer was told at its post (what it pays)."""
    for request, _ in world.transport.sent:
        if request.url == f"http://{buyer_id}.test/post":
            return orjson.loads(request.body)["price"]
    raise AssertionError(f"{buyer_id} was not posted")


# Exclusive: one quote, the best bid after margin


async def test_exclusive_ping_quotes_the_best_bid_after_margin_and_sells_it() -> None:
    world = exchange(margin={"percent": 10})
    ping = await world.ping()
    assert ping.code is Code.OK
    assert ping.body["payout"] == 36.0  # ann's 40 less 10 %
    assert "bids" not in ping.body
    reply = await world.post(ping.body["ping_id"])
    assert (reply.code, reply.body["payout"]) == (Code.OK, 36.0)
    assert world.sent("post") == ["ann"]
    assert posted_price(world, "ann") == 40.0


async def test_exclusive_fallback_tries_the_next_bids_in_rank_order() -> None:
    buyers = Buyers(BIDS)
    buyers.rejecting = {"ann", "bob"}
    world = exchange(buyers=buyers, margin={"percent": 10}, exchange={"fallback": True})
    ping = await world.ping()
    reply = await world.post(ping.body["ping_id"])
    assert world.sent("post") == ["ann", "bob", "cid"]
    assert reply.code is Code.OK
    assert reply.body["payout"] == 18.0  # cid's own 20 less 10 %, under the quote of 36
    body: dict[str, Any] = reply.body
    assert (body["meta"]["attempts"], body["meta"]["sold_count"]) == (3, 1)


async def test_a_fallback_never_pays_more_than_the_quote() -> None:
    # ann pays more but is penalised so it ranks below bob: bob is quoted, ann falls back.
    buyers = Buyers({"ann": "50", "bob": "40"})
    buyers.rejecting = {"bob"}
    world = exchange(
        buyers=buyers,
        exchange={"fallback": True},
        buyer_list=[pinged_buyer("ann", bid_penalty=50), pinged_buyer("bob")],
    )
    ping = await world.ping()
    assert ping.body["payout"] == 40.0
    reply = await world.post(ping.body["ping_id"])
    assert world.sent("post") == ["bob", "ann"]
    assert reply.code is Code.OK
    assert reply.body["payout"] == 40.0  # capped at the quote, not ann's 50
    assert posted_price(world, "ann") == 50.0  # the buyer still pays its own bid
    (lead,) = world.leads.leads.values()
    sold = [a for a, status in world.leads.sales.values() if status is SaleStatus.SOLD]
    assert [(a.buyer_id, a.payout) for a in sold] == [("ann", 4000)]
    assert world.outcome(lead.lead_id).body["payout"] == 40.0


async def test_without_fallback_only_the_best_buyer_is_posted() -> None:
    buyers = Buyers(BIDS)
    buyers.rejecting = {"ann"}
    world = exchange(buyers=buyers, exchange={"fallback": False})
    ping = await world.ping()
    reply = await world.post(ping.body["ping_id"])
    assert world.sent("post") == ["ann"]
    assert (reply.code, reply.body["payout"]) == (Code.NOT_SOLD, 0)


async def test_exclusive_without_bids_answers_2001_and_calls_nobody_at_the_post() -> None:
    world = exchange(buyers=Buyers({}))
    ping = await world.ping()
    assert (ping.code, ping.body["payout"]) == (Code.NO_BIDS, 0)
    pinged = len(world.transport.sent)
    reply = await world.post(ping.body["ping_id"])
    assert reply.code is Code.NO_BIDS
    assert len(world.transport.sent) == pinged
    assert world.leads.leads == {}  # nothing claimed


# Shared: the supplier names the bids


async def test_shared_sells_the_named_bids_in_the_order_given() -> None:
    world = exchange("shared", margin={"percent": 10})
    ping = await world.ping()
    assert prices(ping) == {"ann": 36.0, "bob": 27.0, "cid": 18.0}
    reply = await world.post(ping.body["ping_id"], lp_bid_ids=bid_ids(ping, "cid", "ann"))
    assert reply.code is Code.OK
    assert world.sent("post") == ["cid", "ann"]
    body: dict[str, Any] = reply.body
    assert [b["buyer_id"] for b in body["sold_bids"]] == ["cid", "ann"]
    assert reply.body["payout"] == 54.0


async def test_shared_max_sales_stops_selling_and_says_why() -> None:
    world = exchange("shared", exchange={"max_sales": 1})
    ping = await world.ping()
    picked = ",".join(bid_ids(ping, "bob", "ann", "cid"))  # the comma-separated form
    reply = await world.post(ping.body["ping_id"], lp_bid_ids=picked)
    assert world.sent("post") == ["bob"]
    body: dict[str, Any] = reply.body
    assert [b["buyer_id"] for b in body["sold_bids"]] == ["bob"]
    assert [(b["buyer_id"], b["reason"]) for b in body["rejected_bids"]] == [
        ("ann", "max_sales reached"),
        ("cid", "max_sales reached"),
    ]
    assert reply.body["payout"] == 30.0


@pytest.mark.parametrize("pick", ["unknown", "repeated", "one unknown among known", "empty"])
async def test_a_bad_pick_is_1013_sells_nothing_and_keeps_the_ping(pick: str) -> None:
    world = exchange("shared")
    ping = await world.ping()
    ann, bob = bid_ids(ping, "ann", "bob")
    bad = {
        "unknown": ["b_nope"],
        "repeated": [ann, bob, ann],
        "one unknown among known": [ann, "b_nope"],
        "empty": [],
    }[pick]
    pinged = len(world.transport.sent)
    refused = await world.post(ping.body["ping_id"], lp_bid_ids=bad)
    assert refused.code is Code.INVALID_BID_SELECTION
    assert len(world.transport.sent) == pinged
    assert (world.leads.leads, world.leads.sales) == ({}, {})
    # The refused POST did not use the ping up: a good pick still sells it.
    reply = await world.post(ping.body["ping_id"], lp_bid_ids=[bob])
    assert reply.code is Code.OK
    assert world.sent("post") == ["bob"]


async def test_shared_post_without_lp_bid_ids_is_1001() -> None:
    world = exchange("shared")
    ping = await world.ping()
    reply = await world.post(ping.body["ping_id"])
    assert reply.code is Code.MISSING_PARAMETER
    assert "lp_bid_ids" in reply.message


# Margin and the supplier's floor


@pytest.mark.parametrize(
    ("supplier_margin", "bob_margin", "expected"),
    [
        (None, None, {"ann": 36.0, "bob": 27.0}),  # the campaign's 10 %
        (None, {"amount": "5"}, {"ann": 36.0, "bob": 25.0}),  # bob's own margin wins
        ({"percent": 50}, {"amount": "5"}, {"ann": 20.0, "bob": 15.0}),  # the supplier's wins
    ],
    ids=["campaign", "buyer-over-campaign", "supplier-over-buyer"],
)
async def test_margin_precedence_is_supplier_then_buyer_then_campaign(
    supplier_margin: dict[str, str] | None,
    bob_margin: dict[str, str] | None,
    expected: dict[str, float],
) -> None:
    supplier: dict[str, Any] = {"id": "7", "key": "k7secret"}
    if supplier_margin is not None:
        supplier["margin"] = supplier_margin
    bob = pinged_buyer("bob") if bob_margin is None else pinged_buyer("bob", margin=bob_margin)
    world = exchange(
        "shared",
        buyers=Buyers({"ann": "40", "bob": "30"}),
        margin={"percent": 10},
        suppliers=[supplier],
        buyer_list=[pinged_buyer("ann"), bob],
    )
    assert prices(await world.ping()) == expected


@pytest.mark.parametrize(
    ("floor", "code", "offered"),
    [
        ("40.01", Code.NO_BIDS, {}),
        ("40", Code.OK, {"ann": 36.0}),
        ("30", Code.OK, {"ann": 36.0, "bob": 27.0}),
    ],
)
async def test_min_buyer_bid_drops_each_bid_whose_raw_price_is_under_it(
    floor: str, code: Code, offered: dict[str, float]
) -> None:
    supplier = {"id": "7", "key": "k7secret", "min_buyer_bid": floor}
    world = exchange(
        "shared",
        buyers=Buyers({"ann": "40", "bob": "30"}),
        margin={"percent": 10},
        suppliers=[supplier],
        buyer_list=[pinged_buyer("ann"), pinged_buyer("bob")],
    )
    ping = await world.ping()
    assert ping.code is code
    assert prices(ping) == offered


async def test_a_supplier_is_never_quoted_from_a_bid_under_its_floor() -> None:
    world = World(
        Buyers({"ann": "50", "bob": "30"}),
        type="exchange",
        buyers=[pinged_buyer("ann", bid_penalty=60), pinged_buyer("bob")],
        suppliers=[{"id": "7", "key": "k7secret", "min_buyer_bid": "45"}],
    )
    reply = await world.ping()
    # bob would rank first (30 vs 50 × 40 %), but his 30 is under the floor of 45: dropped.
    assert reply.code is Code.OK
    assert reply.body["payout"] == 50.0
    assert reply.body["meta"]["max_bid_price"] == 50.0  # type: ignore[index]


async def test_max_bid_price_is_the_highest_offered_whatever_the_ranking() -> None:
    world = exchange(
        "shared",
        buyer_list=[pinged_buyer("ann", bid_penalty=60), pinged_buyer("bob")],
        buyers=Buyers({"ann": "50", "bob": "30"}),
    )
    ping = await world.ping()
    assert list(prices(ping)) == ["bob", "ann"]  # ranked: ann's penalty puts her second
    assert ping.body["meta"]["max_bid_price"] == 50.0  # type: ignore[index]
