"""The workers scenario's reading: what a second worker bought, and what limited it.

On the two cores of the development box the fleet and the generator run beside the workers, so
a second worker competes with them for the same cores (docs/benchmarks.md): the figures say how
much of the machine each took at the highest rate both setups ran.
"""

from collections.abc import Mapping, Sequence

from pickpost.bench.measure import StepResult

ONE, TWO = "1 worker", "2 workers"


def _mine(steps: Sequence[StepResult], part: str) -> dict[float, StepResult]:
    return {s.rate: s for s in steps if s.setup.endswith(part)}


def workers_figures(
    steps: Sequence[StepResult], sustained: Mapping[str, float], cores: int | None
) -> dict[str, float]:
    """Ratios of 2 workers to 1 (maximum sustained rate; server CPU per ping) and, at the highest
    rate both ran, each part's CPU as % of one core and the machine's cores all taken together."""
    one, two = _mine(steps, ONE), _mine(steps, TWO)
    figures: dict[str, float] = {}
    held = {
        part: rate
        for label, rate in sustained.items()
        for part in (ONE, TWO)
        if label.endswith(part)
    }
    if held.get(ONE) and TWO in held:
        figures["max sustained rate, 2 workers / 1"] = held[TWO] / held[ONE]
    shared = sorted(set(one) & set(two))
    if not shared:
        return figures
    rate = shared[-1]
    a, b = one[rate], two[rate]
    if a.cpu_ms_per_ping > 0:
        figures[f"server CPU per ping at {rate:g}/s, 2 workers / 1"] = (
            b.cpu_ms_per_ping / a.cpu_ms_per_ping
        )
    figures[f"at {rate:g}/s with 2 workers: server CPU %"] = b.cpu_percent
    figures[f"at {rate:g}/s with 2 workers: fleet CPU %"] = b.fleet_cpu_percent
    figures[f"at {rate:g}/s with 2 workers: generator CPU %"] = b.generator_cpu_percent
    if cores:
        total = b.cpu_percent + b.fleet_cpu_percent + b.generator_cpu_percent
        figures[f"at {rate:g}/s with 2 workers: bench's share of the {cores} cores %"] = (
            total / cores
        )
    return figures
