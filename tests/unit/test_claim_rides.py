"""A POST's claim goes to the ledger with its first sale's start (one write), unless something
before that start marks or charges what another POST of the ping would see: then the lead is
claimed alone first. A POST that loses the claim has called no buyer and keeps no reservation;
one whose claim cannot be written neither."""

from typing import Any

import pytest

from pickpost.domain.errors import Code
from pickpost.domain.lead import (
    ConsentRecord,
    NewLead,
    SaleAttempt,
    SaleBlocked,
    SaleFinish,
    SaleStatus,
    StoredOutcome,
)
from pickpost.domain.outcomes import BuyerCall
from tests.unit.fakes import FakeLeadStore
from tests.unit.world import Buyers, World, bid_ids, pinged_buyer

SUPPLIER = "cap:101:supplier:7"
PHONE_512 = [{"field": "phone", "allow_prefix": ["512"]}]
TOTAL_CAPS = {"leads": {"total": 10}, "budget": {"total": 1000}}


class Writes(FakeLeadStore):
    """The ledger's writes, in order, as the seller asked for them."""

    def __init__(self) -> None:
        super().__init__()
        self.writes: list[str] = []
        self._inner = False  # the fake's own composition of claim and start is not logged

    async def claim(self, lead: NewLead, consent: ConsentRecord) -> bool:
        if not self._inner:
            self.writes.append("claim")
        return await super().claim(lead, consent)

    async def claim_and_start(
        self, lead: NewLead, consent: ConsentRecord, attempt: SaleAttempt
    ) -> int | None:
        self.writes.append(f"claim, start {attempt.buyer_id}")
        self._inner = True
        try:
            return await super().claim_and_start(lead, consent, attempt)
        finally:
            self._inner = False

    async def start_sale(
        self, attempt: SaleAttempt, finished: SaleFinish | None = None
    ) -> int | SaleBlocked:
        if not self._inner:
            self.writes.append(f"start {attempt.buyer_id}")
        return await super().start_sale(attempt, finished)

    async def finish_lead(
        self,
        outcome: StoredOutcome,
        payout: int,
        stale_before: float | None = None,
        finished: SaleFinish | None = None,
    ) -> bool:
        self.writes.append("lead")
        return await super().finish_lead(outcome, payout, stale_before, finished)

    async def record_calls(self, lead_id: str, calls: list[BuyerCall]) -> None:
        self.writes.append("calls " + ", ".join(c.buyer_id for c in calls))
        await super().record_calls(lead_id, calls)


class UnwritableClaim(Writes):
    async def claim_and_start(
        self, lead: NewLead, consent: ConsentRecord, attempt: SaleAttempt
    ) -> int | None:
        raise ConnectionError("the database went away")


def world_of(ledger: Writes, **overrides: Any) -> World:
    buyers = overrides.pop("buyers", [pinged_buyer("ann"), pinged_buyer("bob")])
    world = World(
        Buyers({"ann": "40", "bob": "30"}),
        one_to_one={},
        buyers=buyers,
        suppliers=[{"id": "7", "key": "k7secret", "caps": TOTAL_CAPS}],
        **overrides,
    )
    world.leads = ledger
    world.wire()
    return world


async def post_both(world: World, ping: Any = None) -> Any:
    ping = ping or await world.ping()
    return await world.post(ping.body["ping_id"], lp_consent_bids=bid_ids(ping, "ann", "bob"))


async def supplier_totals(world: World) -> tuple[int, int]:
    leads = await world.counter(f"{SUPPLIER}:leads:total:all")
    return leads, await world.counter(f"{SUPPLIER}:budget:total:all")


async def test_the_claim_rides_the_first_sale_start() -> None:
    ledger = Writes()
    world = world_of(ledger)
    ping = await world.ping()
    reply = await post_both(world, ping)
    assert in_answer(reply) == ["ann", "bob"]
    assert ledger.writes == ["claim, start ann", "start bob", "lead"]
    statuses = {a.buyer_id: status for a, status in ledger.sales.values()}
    assert statuses == {"ann": SaleStatus.SOLD, "bob": SaleStatus.SOLD}
    again = await post_both(world, ping)
    assert again.headers == {"Idempotent-Replay": "true"}
    assert again.body == reply.body
    assert ledger.writes == ["claim, start ann", "start bob", "lead"]  # a replay writes nothing
    assert world.sent("post") == ["ann", "bob"]


@pytest.mark.parametrize(
    "overrides",
    [
        # Ann's caps are charged before her sale starts: the lead is claimed first.
        {"buyers": [pinged_buyer("ann", caps={"leads": {"total": 5}}), pinged_buyer("bob")]},
        # So are the per-buyer duplicate marks.
        {"dupe_check": {"fields": ["phone"], "scope": "buyer"}},
        # The campaign's duplicate check marks the lead before any sale.
        {"dupe_check": {"fields": ["phone"], "scope": "campaign"}},
    ],
    ids=["buyer caps", "buyer duplicates", "campaign duplicates"],
)
async def test_a_mark_or_charge_before_the_first_start_claims_the_lead_first(
    overrides: dict[str, Any],
) -> None:
    ledger = Writes()
    world = world_of(ledger, **overrides)
    reply = await post_both(world)
    assert in_answer(reply) == ["ann", "bob"]
    assert ledger.writes == ["claim", "start ann", "start bob", "lead"]


async def test_a_buyer_the_gate_leaves_out_does_not_keep_the_claim_from_riding() -> None:
    ledger = Writes()
    world = world_of(ledger, buyers=[pinged_buyer("ann", filters=PHONE_512), pinged_buyer("bob")])
    ping = await world.ping(phone=None)
    picked = bid_ids(ping, "ann", "bob")
    reply = await world.post(ping.body["ping_id"], lp_consent_bids=picked, phone="7135550142")
    assert in_answer(reply) == ["bob"]
    assert world.skipped() == {"ann": "filtered: phone"}
    assert ledger.writes == ["claim, start bob", "calls ann", "lead"]


async def test_no_sale_started_claims_the_lead_alone_before_its_first_write() -> None:
    ledger = Writes()
    filtered = [pinged_buyer(b, filters=PHONE_512) for b in ("ann", "bob")]
    world = world_of(ledger, buyers=filtered)
    ping = await world.ping(phone=None)
    picked = bid_ids(ping, "ann", "bob")
    reply = await world.post(ping.body["ping_id"], lp_consent_bids=picked, phone="7135550142")
    assert reply.code is Code.NOT_SOLD
    assert ledger.writes == ["claim", "calls ann, bob", "lead"]
    assert world.sent("post") == []
    assert await supplier_totals(world) == (0, 0)


async def test_a_lost_claim_calls_no_buyer_and_gives_the_reservation_back() -> None:
    ledger = Writes()
    world = world_of(ledger)
    ping = await world.ping()
    first = await post_both(world, ping)
    # The next POST looks before the first one's lead is visible, then loses the claim.
    ledger.blind_lookups = 1
    again = await post_both(world, ping)
    assert again.headers == {"Idempotent-Replay": "true"}
    assert again.body == first.body
    assert ledger.writes[-1] == "claim, start ann"  # refused whole: nothing written
    assert len(ledger.sales) == 2
    assert world.sent("post") == ["ann", "bob"]
    assert await supplier_totals(world) == (1, 7000)  # the first POST's sales only


async def test_a_claim_that_cannot_be_written_calls_no_buyer_and_keeps_nothing() -> None:
    world = world_of(UnwritableClaim())
    with pytest.raises(ConnectionError):
        await post_both(world)
    assert world.sent("post") == []
    assert await supplier_totals(world) == (0, 0)


def in_answer(reply: Any) -> list[str]:
    assert reply.code is Code.OK
    return [b["buyer_id"] for b in reply.body["sold_bids"]]
