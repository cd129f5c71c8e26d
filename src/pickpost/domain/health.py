"""A buyer's live health from its recent calls: bid rate, win rate, average bid, latency
percentiles, errors and timeouts. Pure: the calls are read elsewhere."""

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from pickpost.domain.outcomes import CallStep, Outcome
from pickpost.domain.reports import average, ratio


@dataclass(frozen=True, slots=True)
class CallSample:
    """One buyer call as health needs it (no bodies, no lead values)."""

    buyer_id: str
    step: str  # CallStep
    outcome: str  # Outcome
    latency_ms: float
    price_cents: int | None


@dataclass(frozen=True, slots=True)
class Health:
    pings: int  # ping calls made
    bids: int
    posts: int  # post calls made
    wins: int  # posts accepted
    errors: int
    timeouts: int
    bid_rate: float | None  # bids / pings
    win_rate: float | None  # accepted posts / bids
    average_bid_cents: int | None
    p50_ms: float | None  # latency of every call, ping and post
    p95_ms: float | None


def percentile(values: Sequence[float], q: float) -> float | None:
    """The nearest-rank ``q`` percentile (0 < q ≤ 100) of ``values``; None if empty."""
    if not values:
        return None
    ranked = sorted(values)
    return ranked[max(0, math.ceil(q / 100 * len(ranked)) - 1)]


def health_of(calls: Iterable[CallSample]) -> Health:
    pings = bids = posts = wins = errors = timeouts = bid_cents = 0
    latencies: list[float] = []
    for call in calls:
        latencies.append(call.latency_ms)
        if call.step == CallStep.PING:
            pings += 1
            if call.outcome == Outcome.BID:
                bids += 1
                bid_cents += call.price_cents or 0
        elif call.step == CallStep.POST:
            posts += 1
            wins += call.outcome == Outcome.ACCEPTED
        errors += call.outcome == Outcome.ERROR
        timeouts += call.outcome == Outcome.TIMEOUT
    return Health(
        pings=pings,
        bids=bids,
        posts=posts,
        wins=wins,
        errors=errors,
        timeouts=timeouts,
        bid_rate=ratio(bids, pings),
        win_rate=ratio(wins, bids) if bids else None,
        average_bid_cents=average(bid_cents, bids),
        p50_ms=percentile(latencies, 50),
        p95_ms=percentile(latencies, 95),
    )
