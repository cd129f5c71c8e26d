"""The rate search: climb through rising rates while the overhead stays within the limit."""

from collections.abc import Awaitable, Callable, Hashable, Sequence
from typing import TypeVar

from pickpost.bench.measure import StepResult

OVERHEAD_LIMIT_MS = 25.0
MAX_ERROR_SHARE = 0.01
_Setup = TypeVar("_Setup", bound=Hashable)


def sustains(result: StepResult, limit_ms: float = OVERHEAD_LIMIT_MS) -> bool:
    """Whether a step held its rate: p99 overhead within ``limit_ms`` and (almost) no errors."""
    if result.overhead_ms is None or result.sent == 0:
        return False
    return result.overhead_ms.p99 <= limit_ms and result.errors <= MAX_ERROR_SHARE * result.sent


async def climb(
    rates: Sequence[float],
    setups: Sequence[_Setup],
    run_at: Callable[[_Setup, float], Awaitable[StepResult]],
    limit_ms: float = OVERHEAD_LIMIT_MS,
) -> list[StepResult]:
    """Run every setup at each rate, lowest rate first, the setups side by side so that a
    noisy moment on the machine hits them alike. A setup runs one rate past its first failure,
    so the plot shows how it breaks (one noisy step is told from a knee), then drops out."""
    results = []
    climbing = list(setups)
    failed: set[_Setup] = set()
    for rate in sorted(rates):
        for setup in list(climbing):
            result = await run_at(setup, rate)
            results.append(result)
            if setup in failed:
                climbing.remove(setup)
            elif not sustains(result, limit_ms):
                failed.add(setup)
        if not climbing:
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
