"""The in-process counter store: all-or-none charges, refunds, expiry, sequences, marks."""

import asyncio

from hypothesis import given
from hypothesis import strategies as st

from pickpost.domain.caps import Charge
from pickpost.infra.counters import MemoryCounters
from tests.unit.factories import NO_DB


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def store() -> tuple[MemoryCounters, Clock]:
    clock = Clock()
    return MemoryCounters(clock), clock


async def test_charges_up_to_the_limit_then_refuses() -> None:
    counters, _ = store()
    leads = Charge("leads", limit=2, amount=1, ttl_s=None)
    assert await counters.charge([leads]) is None
    assert await counters.charge([leads]) is None
    assert await counters.charge([leads]) == leads


async def test_a_refused_batch_changes_nothing_and_names_the_first_charge_over() -> None:
    counters, _ = store()
    leads = Charge("leads", limit=10, amount=1, ttl_s=None)
    budget = Charge("budget", limit=5000, amount=3000, ttl_s=None)
    pings = Charge("pings", limit=0, amount=1, ttl_s=None)
    assert await counters.charge([leads, budget]) is None
    assert await counters.charge([leads, budget, pings]) == budget  # 6000 > 5000, before pings
    # leads was not charged by the refused batch: 9 more fit, not 8.
    for _ in range(9):
        assert await counters.charge([leads]) is None
    assert await counters.charge([leads]) == leads
    assert await counters.charge([Charge("budget", 5000, 2000, None)]) is None


async def test_the_same_key_twice_in_a_batch_counts_twice() -> None:
    counters, _ = store()
    half = Charge("k", limit=3, amount=2, ttl_s=None)
    assert await counters.charge([half, half]) == half
    assert await counters.charge([half]) is None


async def test_an_empty_batch_is_applied() -> None:
    counters, _ = store()
    assert await counters.charge([]) is None


async def test_a_counter_expires_after_the_ttl_of_its_first_charge() -> None:
    counters, clock = store()
    day = Charge("day", limit=1, amount=1, ttl_s=60)
    assert await counters.charge([day]) is None
    clock.now += 59.9
    assert await counters.charge([day]) == day  # a later charge does not extend the window
    clock.now += 0.1
    assert await counters.charge([day]) is None
    assert await counters.charge([day]) == day


async def test_refund_gives_back_a_charge() -> None:
    counters, _ = store()
    lead = Charge("k", limit=1, amount=1, ttl_s=60)
    assert await counters.charge([lead]) is None
    await counters.refund([lead])
    assert await counters.charge([lead]) is None
    assert await counters.charge([lead]) == lead


async def test_refund_after_expiry_does_nothing() -> None:
    counters, clock = store()
    lead = Charge("k", limit=1, amount=1, ttl_s=60)
    assert await counters.charge([lead]) is None
    clock.now += 60
    await counters.refund([lead])  # must not leave a counter at -1
    assert await counters.charge([lead]) is None
    assert await counters.charge([lead]) == lead


async def test_refund_keeps_the_window() -> None:
    counters, clock = store()
    two = Charge("k", limit=2, amount=1, ttl_s=60)
    assert await counters.charge([two, two]) is None
    await counters.refund([two])
    clock.now += 30
    assert await counters.charge([two]) is None
    assert await counters.charge([two]) == two
    clock.now += 30  # the window of the first charge ends
    assert await counters.charge([two, two]) is None


async def test_concurrent_charges_never_pass_the_limit() -> None:
    counters, _ = store()
    lead = Charge("k", limit=7, amount=1, ttl_s=None)
    results = await asyncio.gather(*(counters.charge([lead]) for _ in range(20)))
    assert results.count(None) == 7


async def test_sequences_count_from_zero_per_key() -> None:
    counters, clock = store()
    assert [await counters.next_in_sequence("a") for _ in range(3)] == [0, 1, 2]
    clock.now += 10**9  # sequences never expire
    assert await counters.next_in_sequence("b") == 0
    assert await counters.next_in_sequence("a") == 3


async def test_first_seen_marks_a_key_for_its_ttl() -> None:
    counters, clock = store()
    assert await counters.first_seen("dupe", 60)
    clock.now += 59
    assert not await counters.first_seen("dupe", 60)  # not extended by being seen again
    assert await counters.first_seen("other", 60)
    clock.now += 1
    assert await counters.first_seen("dupe", 60)
    assert not await counters.first_seen("dupe", 60)


async def test_expired_counters_are_dropped_from_memory() -> None:
    counters, clock = store()
    for i in range(100):
        assert await counters.charge([Charge(f"k{i}", 1, 1, ttl_s=10)]) is None
    assert await counters.first_seen("mark", 10)
    assert await counters.charge([Charge("forever", 1, 1, ttl_s=None)]) is None
    clock.now += 10
    assert await counters.first_seen("new", 10)
    assert set(counters._counters) == {"forever", "new"}


charges = st.builds(
    Charge,
    key=st.sampled_from(["a", "b", "c"]),
    limit=st.integers(0, 10),
    amount=st.integers(0, 4),
    ttl_s=st.none(),
)


@NO_DB
@given(batches=st.lists(st.lists(charges, max_size=4), max_size=12))
def test_charges_match_a_simple_model(batches: list[list[Charge]]) -> None:
    asyncio.run(check_against_model(batches))


async def check_against_model(batches: list[list[Charge]]) -> None:
    counters, _ = store()
    totals = {"a": 0, "b": 0, "c": 0}
    for batch in batches:
        trial = dict(totals)
        expected = None
        for charge in batch:
            trial[charge.key] += charge.amount
            if trial[charge.key] > charge.limit:
                expected = charge
                break
        assert await counters.charge(batch) == expected
        if expected is None:
            totals = trial
    # Each counter holds exactly the accepted total: it has room for 0 more, not 1.
    for key, total in totals.items():
        probe = Charge(key, limit=total, amount=1, ttl_s=None)
        assert await counters.charge([probe]) == probe
        assert await counters.charge([Charge(key, total, 0, None)]) is None


async def test_exceeded_checks_without_charging() -> None:
    counters, _ = store()
    lead = Charge("k", limit=1, amount=1, ttl_s=None)
    assert await counters.exceeded([lead]) is None
    assert await counters.exceeded([lead, lead]) == lead  # the same key twice counts twice
    assert await counters.charge([lead]) is None  # nothing was charged by the checks
    assert await counters.exceeded([lead]) == lead


async def test_forget_removes_a_mark() -> None:
    counters, _ = store()
    assert await counters.first_seen("dupe", 60)
    await counters.forget("dupe")
    assert await counters.first_seen("dupe", 60)
    assert not await counters.first_seen("dupe", 60)
    await counters.forget("never-marked")
