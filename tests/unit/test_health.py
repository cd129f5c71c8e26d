"""Live health from buyer calls, and caps read back from their counters."""

from dataclasses import replace

from pickpost.domain.caps import BuyerCaps, SupplierCaps, counters_of, period_keys, uses
from pickpost.domain.health import CallSample, health_of, percentile
from pickpost.infra.counters import MemoryCounters


def _call(step: str, outcome: str, ms: float, price: int | None = None) -> CallSample:
    return CallSample("b1", step, outcome, ms, price)


def test_percentiles_are_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 50) == 50.0
    assert percentile(values, 95) == 95.0
    assert percentile([7.0], 95) == 7.0
    assert percentile([], 50) is None


def test_health_counts_bids_wins_errors_and_timeouts() -> None:
    calls = [
        _call("ping", "bid", 100, 4000),
        _call("ping", "bid", 200, 3001),
        _call("ping", "no_bid", 50),
        _call("ping", "timeout", 1000),
        _call("ping", "error", 30),
        _call("post", "accepted", 300),
        _call("post", "rejected", 250),
    ]
    health = health_of(calls)
    assert (health.pings, health.bids, health.posts, health.wins) == (5, 2, 2, 1)
    assert (health.errors, health.timeouts) == (1, 1)
    assert health.bid_rate == 0.4
    assert health.win_rate == 0.5
    assert health.average_bid_cents == 3501  # 3500.5, half up
    assert health.p50_ms == 200.0
    assert health.p95_ms == 1000.0


def test_no_calls_have_no_rates() -> None:
    health = health_of([])
    assert (health.bid_rate, health.win_rate, health.average_bid_cents, health.p50_ms) == (
        None,
        None,
        None,
        None,
    )


async def test_caps_used_are_the_counters_the_exchange_charges() -> None:
    at = 1_795_000_000.0
    windows = period_keys(at, "America/Chicago")
    caps = BuyerCaps.model_validate({"leads": {"day": 10}, "budget": {"month": 500}})
    counters = MemoryCounters(clock=lambda: 0.0)
    held = counters_of("c1", "buyer", "b1", caps, windows)
    # What a sale of $40 charges: one lead and 4000 cents, in the same counters.
    sale = [replace(c, amount=1 if "leads" in c.key else 4000) for c in held]
    assert await counters.charge(sale) is None
    used = uses(held, await counters.values(held), windows)
    assert [(u.cap.counted, u.cap.period, u.used, u.limit) for u in used] == [
        ("leads", "day", 1, 10),
        ("budget", "month", 4000, 50000),
    ]
    assert used[0].window == windows[used[0].cap.period].label
    supplier = SupplierCaps.model_validate({"pings": {"minute": 60}})
    pings = counters_of("c1", "supplier", "s1", supplier, windows)
    assert [c.cap.counted for c in pings if c.cap] == ["pings"]
