"""Counters and histograms in plain numbers: the counts, and the scrape prometheus_client gives."""

import re

import pytest
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest

from pickpost.infra.local_metrics import LocalCounter, LocalHistogram

BOUNDS = (0.001, 0.01, 0.1, 1)
# At a bound (counted in that bound's bucket), between bounds, below all, above all, zero.
AMOUNTS = (0.001, 0.0005, 0.01, 0.05, 0.1000001, 1, 7.5, 0.0, 0.002, 0.001)


def exposed(registry: CollectorRegistry) -> str:
    """The scrape, each ``_created`` timestamp replaced (the families are made apart)."""
    return re.sub(r"(_created\S*) \S+", r"\1 T", generate_latest(registry).decode())


def test_a_histogram_counts_each_amount_in_the_first_bucket_that_holds_it() -> None:
    registry = CollectorRegistry()
    latency = LocalHistogram("t_seconds", "T.", ["step"], registry, BOUNDS)
    for amount in AMOUNTS:
        latency.labels("ping").observe(amount)
    latency.labels("post").observe(0.02)

    def value(name: str, **labels: str) -> float | None:
        return registry.get_sample_value(name, labels)

    # Cumulative: ≤ 0.001 holds 0.001 twice, 0.0005 and 0.0; ≤ 0.01 adds 0.01 and 0.002; ...
    expected = {"0.001": 4, "0.01": 6, "0.1": 7, "1.0": 9, "+Inf": 10}
    for le, count in expected.items():
        assert value("t_seconds_bucket", step="ping", le=le) == count, le
    assert value("t_seconds_count", step="ping") == 10
    assert value("t_seconds_sum", step="ping") == pytest.approx(sum(AMOUNTS))
    assert value("t_seconds_bucket", step="post", le="0.01") == 0
    assert value("t_seconds_bucket", step="post", le="0.1") == 1
    assert value("t_seconds_count", step="post") == 1


def test_a_counter_counts_per_series() -> None:
    registry = CollectorRegistry()
    calls = LocalCounter("t_calls", "T.", ["buyer_id", "outcome"], registry)
    for _ in range(3):
        calls.labels("a", "bid").inc()
    calls.labels("a", "no_bid").inc(2)
    calls.labels("b", "bid").inc()
    assert registry.get_sample_value("t_calls_total", {"buyer_id": "a", "outcome": "bid"}) == 3
    assert registry.get_sample_value("t_calls_total", {"buyer_id": "a", "outcome": "no_bid"}) == 2
    assert registry.get_sample_value("t_calls_total", {"buyer_id": "b", "outcome": "bid"}) == 1


def test_the_scrape_is_what_prometheus_client_gives_for_the_same_observations() -> None:
    theirs, ours = CollectorRegistry(), CollectorRegistry()
    their_latency = Histogram("t_seconds", "Latency.", ["b", "s"], buckets=BOUNDS, registry=theirs)
    their_wait = Histogram("t_wait_seconds", "Wait.", buckets=BOUNDS, registry=theirs)
    their_calls = Counter("t_calls", "Calls.", ["b", "o"], registry=theirs)
    Counter("t_unused", "None yet.", ["b"], registry=theirs)
    our_latency = LocalHistogram("t_seconds", "Latency.", ["b", "s"], ours, BOUNDS)
    our_wait = LocalHistogram("t_wait_seconds", "Wait.", [], ours, BOUNDS)
    our_calls = LocalCounter("t_calls", "Calls.", ["b", "o"], ours)
    LocalCounter("t_unused", "None yet.", ["b"], ours)
    for i, amount in enumerate(AMOUNTS):
        buyer, step = f"b{i % 3}", ("ping", "post")[i % 2]
        their_latency.labels(buyer, step).observe(amount)
        our_latency.labels(buyer, step).observe(amount)
        their_wait.observe(amount / 3)
        our_wait.labels().observe(amount / 3)
        their_calls.labels(buyer, "bid").inc()
        our_calls.labels(buyer, "bid").inc()
    assert exposed(ours) == exposed(theirs)
    assert "t_wait_seconds_created" in exposed(ours)


def test_wrong_labels_a_negative_count_and_unordered_bounds_are_refused() -> None:
    registry = CollectorRegistry()
    calls = LocalCounter("t_calls", "T.", ["buyer_id"], registry)
    with pytest.raises(ValueError, match="expected labels"):
        calls.labels("a", "extra")
    with pytest.raises(ValueError, match="non-negative"):
        calls.labels("a").inc(-1)
    with pytest.raises(ValueError, match="ascending"):
        LocalHistogram("t_seconds", "T.", [], registry, (0.1, 0.01))
