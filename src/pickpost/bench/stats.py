"""Percentiles of measured latencies."""

import math
from collections.abc import Sequence
from dataclasses import dataclass


def percentile(values: Sequence[float], q: float) -> float:
    """The nearest-rank ``q``-quantile (0 < q ≤ 1): the smallest value with at least a share
    ``q`` of the values at or below it; never an interpolation between two measurements."""
    if not values:
        raise ValueError("no values")
    if not 0 < q <= 1:
        raise ValueError("q must be in (0, 1]")
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


@dataclass(frozen=True, slots=True)
class Summary:
    """p50/p90/p99/max of a set of measurements, in milliseconds."""

    count: int
    p50: float
    p90: float
    p99: float
    max: float


def summarize(values: Sequence[float]) -> Summary | None:
    """The summary of ``values``, or None when there are none."""
    if not values:
        return None
    return Summary(
        count=len(values),
        p50=percentile(values, 0.5),
        p90=percentile(values, 0.9),
        p99=percentile(values, 0.99),
        max=max(values),
    )
