"""A buyer's answer goes to the ledger with the lead's next write – the next sale's start, or
the stored answer – exactly once; when that write fails, the sale is unknown in the answer as
in the ledger, and the lead still ends with an answer a retry replays."""

from typing import Any

from pickpost.domain.errors import Code
from pickpost.domain.lead import SaleAttempt, SaleBlocked, SaleFinish, SaleStatus, StoredOutcome
from pickpost.services.replies import Reply
from tests.unit.fakes import FakeLeadStore
from tests.unit.world import Buyers, World, bid_ids, pinged_buyer, priced_buyer

BIDS = {"ann": "40", "bob": "30", "cid": "20"}


class Writes(FakeLeadStore):
    """The ledger's writes in order, each with the sale answer that went with it; a sale's
    answer written twice would show twice."""

    def __init__(self) -> None:
        super().__init__()
        self.writes: list[tuple[str, int | None]] = []
        self.fail_with: set[str] = set()  # writes that fail when they carry an answer

    def _log(self, write: str, finished: SaleFinish | None) -> None:
        if finished is not None and write in self.fail_with:
            raise ConnectionError("the database went away")
        self.writes.append((write, None if finished is None else finished.sale_id))

    async def start_sale(
        self, attempt: SaleAttempt, finished: SaleFinish | None = None
    ) -> int | SaleBlocked:
        self._log(f"start {attempt.buyer_id}", finished)
        return await super().start_sale(attempt, finished)

    async def finish_lead(
        self,
        outcome: StoredOutcome,
        payout: int,
        stale_before: float | None = None,
        finished: SaleFinish | None = None,
    ) -> bool:
        self._log("lead", finished)
        return await super().finish_lead(outcome, payout, stale_before, finished)


def one_to_one(script: Buyers | None = None) -> tuple[World, Writes]:
    buyers = [pinged_buyer(b, post_timeout_ms=20) for b in BIDS]
    world = World(script or Buyers(BIDS), buyers=buyers, one_to_one={"max_sales": 3})
    world.leads = ledger = Writes()
    world.wire()
    return world, ledger


async def post_all(world: World) -> tuple[Reply, Reply]:
    """A POST of ann, bob and cid, and its retry."""
    ping = await world.ping()
    picked = bid_ids(ping, "ann", "bob", "cid")
    reply = await world.post(ping.body["ping_id"], lp_consent_bids=picked)
    return reply, await world.post(ping.body["ping_id"], lp_consent_bids=picked)


def in_answer(reply: Reply, key: str) -> list[str]:
    found: Any = reply.body[key]
    return [b["buyer_id"] for b in found]


def reasons(reply: Reply, key: str) -> list[tuple[str, str]]:
    found: Any = reply.body[key]
    return [(b["buyer_id"], b["reason"]) for b in found]


def statuses(world: World) -> dict[str, SaleStatus]:
    return {a.buyer_id: status for a, status in world.leads.sales.values()}


def answered(world: World) -> list[str]:
    """The buyers whose post-step call the ledger holds, once per write."""
    return [c.buyer_id for c in world.leads.calls]


async def test_each_answer_goes_with_the_next_write_once() -> None:
    world, ledger = one_to_one()
    reply, again = await post_all(world)
    assert reply.code is Code.OK
    # Ann's answer with bob's start, bob's with cid's, cid's with the stored answer (the
    # port has no write of an answer alone).
    assert [w for w in ledger.writes if w[0] != "claim"] == [
        ("start ann", None),
        ("start bob", 1),
        ("start cid", 2),
        ("lead", 3),
    ]
    assert answered(world) == ["ann", "bob", "cid"]
    assert statuses(world) == dict.fromkeys(BIDS, SaleStatus.SOLD)
    assert again.body == reply.body


async def test_a_failed_start_loses_no_answer_silently() -> None:
    world, ledger = one_to_one()
    ledger.fail_with = {"start cid"}  # bob's answer was to go with it
    reply, again = await post_all(world)
    assert in_answer(reply, "sold_bids") == ["ann"]
    assert reasons(reply, "unknown_bids") == [("bob", "unknown: internal error during the sale")]
    assert reasons(reply, "rejected_bids") == [("cid", "not attempted: internal error")]
    assert world.sent("post") == ["ann", "bob"]  # cid was never sent the lead
    # The ledger says what the answer says: bob's sale, still pending, was cut off.
    assert statuses(world) == {"ann": SaleStatus.SOLD, "bob": SaleStatus.UNKNOWN}
    assert answered(world) == ["ann"]
    assert again.headers == {"Idempotent-Replay": "true"}
    assert again.body == reply.body


async def test_a_failed_stored_answer_is_stored_again_without_the_held_answer() -> None:
    world, ledger = one_to_one()
    ledger.fail_with = {"lead"}  # cid's answer was to go with it
    reply, again = await post_all(world)
    assert reply.code is Code.OK
    assert in_answer(reply, "sold_bids") == ["ann", "bob"]
    assert in_answer(reply, "unknown_bids") == ["cid"]
    assert ledger.writes[-1] == ("lead", None)  # the answer made again, stored alone
    assert statuses(world) == {
        "ann": SaleStatus.SOLD,
        "bob": SaleStatus.SOLD,
        "cid": SaleStatus.UNKNOWN,
    }
    assert answered(world) == ["ann", "bob"]
    assert again.headers == {"Idempotent-Replay": "true"}
    assert again.body == reply.body


async def test_direct_post_holds_its_answers_too() -> None:
    buyers = [priced_buyer("d1", "40"), priced_buyer("d2", "30")]
    script = Buyers()
    script.rejecting = {"d1"}
    world = World(script, buyers=buyers, type="direct_post")
    world.leads = ledger = Writes()
    world.wire()
    reply = await world.direct()
    assert reply.code is Code.OK
    assert [w for w in ledger.writes if w[0] != "claim"] == [
        ("start d1", None),
        ("start d2", 1),
        ("lead", 2),
    ]
    assert answered(world) == ["d1", "d2"]
