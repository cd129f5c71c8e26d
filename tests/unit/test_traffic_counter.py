"""Traffic counted in memory and added to the database by flushes: a failed flush keeps its
deltas, merged with what arrived meanwhile, and the next one writes them all."""

import pytest

from pickpost.domain.outcomes import BuyerCall, CallStep, Outcome
from pickpost.domain.traffic import (
    Delta,
    Source,
    TrafficKey,
    call_events,
    ping_events,
    refusal_event,
)
from pickpost.services.traffic import TrafficCounter

AT = 1_794_999_600.0  # the start of a 15-minute bucket (900 × 1_994_444)
SOURCE = Source("100", "7", False, AT + 10)


class FlakyStore:
    def __init__(self) -> None:
        self.rows: dict[TrafficKey, Delta] = {}
        self.failing = False

    async def add(self, deltas: dict[TrafficKey, Delta]) -> None:
        if self.failing:
            raise ConnectionError("database down")
        for key, delta in deltas.items():
            self.rows.setdefault(key, Delta()).add(delta.count, delta.sum_cents, delta.sum_ms)


def bid(buyer: str, cents: int, ms: float) -> BuyerCall:
    return BuyerCall(buyer, CallStep.PING, "", Outcome.BID, "", AT, ms, 200, cents)


def counts(store: FlakyStore) -> dict[tuple[str, str], tuple[int, int, float]]:
    return {(k.buyer_id, k.metric): (d.count, d.sum_cents, d.sum_ms) for k, d in store.rows.items()}


async def test_a_failed_flush_keeps_its_deltas_for_the_next() -> None:
    store = FlakyStore()
    counter = TrafficCounter(store)
    counter.count(ping_events(SOURCE, with_bids=True))
    counter.count(call_events(SOURCE, [bid("alpha", 4000, 12.5)]))
    store.failing = True
    with pytest.raises(ConnectionError):
        await counter.flush()
    assert store.rows == {}
    counter.count(ping_events(SOURCE, with_bids=False))
    counter.count(call_events(SOURCE, [bid("alpha", 3000, 7.5)]))
    store.failing = False
    await counter.flush()
    assert counts(store) == {
        ("", "ping"): (2, 0, 0.0),
        ("", "ping_bid"): (1, 0, 0.0),
        ("alpha", "call"): (2, 0, 20.0),
        ("alpha", "bid"): (2, 7000, 0.0),
    }
    assert counter.pending == 0


async def test_memory_grows_with_the_keys_not_the_traffic() -> None:
    counter = TrafficCounter(FlakyStore())
    for _ in range(10_000):
        counter.count(ping_events(SOURCE, with_bids=True))
    assert counter.pending == 2


async def test_close_writes_what_is_left() -> None:
    store = FlakyStore()
    counter = TrafficCounter(store, every_s=3600)
    counter.start()
    counter.count([refusal_event(SOURCE, "/direct_post", 1008)])
    await counter.close()
    assert counts(store) == {("", "refused:direct_post:1008"): (1, 0, 0.0)}


def test_skipped_calls_and_post_calls_are_no_pings_sent() -> None:
    skipped = BuyerCall.unanswered("beta", CallStep.PING, "", Outcome.SKIPPED, "paused", AT)
    posted = BuyerCall("alpha", CallStep.POST, "", Outcome.ACCEPTED, "", AT, 5.0)
    timed_out = BuyerCall.unanswered("hang", CallStep.PING, "", Outcome.TIMEOUT, "", AT, AT + 1)
    events = list(call_events(SOURCE, [skipped, posted, timed_out]))
    assert [(key.buyer_id, key.metric) for key, _, _ in events] == [
        ("hang", "call"),
        ("hang", "timeout"),
    ]
    assert all(key.bucket == int(AT) for key, _, _ in events)
