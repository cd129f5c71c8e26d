"""The rate search: climb through rising rates while the overhead stays within the limit."""

from collections.abc import Awaitable, Callable, Sequence

from pickpost.bench.measure import StepResult

OVERHEAD_LIMIT_MS = 25.0
MAX_ERROR_SHARE = 0.01


def sustains(result: StepResult, limit_ms: float = OVERHEAD_LIMIT_MS) -> bool:
    """Whether a step held its rate: p99 overhead within ``limit_ms`` and (almost) no errors."""
    if result.overhead_ms is None or result.sent == 0:
        return False
    return result.overhead_ms.p99 <= limit_ms and result.errors <= MAX_ERROR_SHARE * result.sent


async def climb(
    rates: Sequence[float],
    run_at: Callable[[float], Awaitable[StepResult]],
    limit_ms: float = OVERHEAD_LIMIT_MS,
) -> list[StepResult]:
    """Run ``run_at`` for each rate, lowest first, stopping after the first that fails."""
    results = []
    for rate in sorted(rates):
        result = await run_at(rate)
        results.append(result)
        if not sustains(result, limit_ms):
            break
    return results


def max_sustained(results: Sequence[StepResult], limit_ms: float = OVERHEAD_LIMIT_MS) -> float:
    """The highest rate of the passing steps before the first failure (0 if the first fails)."""
    best = 0.0
    for result in sorted(results, key=lambda r: r.rate):
        if not sustains(result, limit_ms):
            break
        best = result.rate
    return best
