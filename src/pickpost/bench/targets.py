"""The project's performance targets (docs/benchmarks.md), judged."""

from collections.abc import Mapping
from dataclasses import dataclass

from pickpost.bench.measure import StepResult
from pickpost.bench.scenarios import ScenarioResult

REFERENCE_RATE = 100.0


@dataclass(frozen=True, slots=True)
class Target:
    """``met`` is None when the run did not measure what the target needs."""

    name: str
    goal: str
    measured: str
    met: bool | None


def _step(
    scenarios: Mapping[str, ScenarioResult], scenario: str, setup_part: str, rate: float
) -> StepResult | None:
    found = scenarios.get(scenario)
    steps = found.steps if found else []
    return next((s for s in steps if setup_part in s.setup and s.rate == rate), None)


def _unmeasured(name: str, goal: str) -> Target:
    return Target(name, goal, "not measured", None)


def _ping_overhead(scenarios: Mapping[str, ScenarioResult]) -> Target:
    name, goal = "ping overhead, 10 buyers, 100/s", "p50 ≤ 2 ms and p99 ≤ 10 ms"
    # The climb may stop below 100/s; the backends scenario runs the same setup at 100/s.
    step = _step(scenarios, "rates", "pickpost", REFERENCE_RATE) or _step(
        scenarios, "backends", "pickpost sqlite", REFERENCE_RATE
    )
    if step is None or step.overhead_ms is None:
        return _unmeasured(name, goal)
    o = step.overhead_ms
    measured = f"p50 {o.p50:.2f} ms, p99 {o.p99:.2f} ms"
    # The fleet and the machine add to every fan-out: the baseline's own overhead shows how much.
    floor = _step(scenarios, "rates", "baseline", REFERENCE_RATE)
    if floor is not None and floor.overhead_ms is not None:
        measured += (
            f" (baseline p50 {floor.overhead_ms.p50:.2f} ms, p99 {floor.overhead_ms.p99:.2f} ms)"
        )
    return Target(name, goal, measured, o.p50 <= 2 and o.p99 <= 10)


def _overshoot(scenarios: Mapping[str, ScenarioResult]) -> Target:
    name, goal = "deadline overshoot, hanging buyer, 100/s", "p99 ≤ 5 ms"
    step = _step(scenarios, "hanging", "pickpost", REFERENCE_RATE)
    if step is None or step.overshoot_ms is None:
        return _unmeasured(name, goal)
    measured = f"p99 {step.overshoot_ms.p99:.2f} ms"
    floor = _step(scenarios, "hanging", "baseline", REFERENCE_RATE)
    if floor is not None and floor.overshoot_ms is not None:
        measured += f" (baseline p99 {floor.overshoot_ms.p99:.2f} ms)"
    return Target(name, goal, measured, step.overshoot_ms.p99 <= 5)


def _ratio(
    scenarios: Mapping[str, ScenarioResult],
    scenario: str,
    name: str,
    goal: str,
    parts: tuple[str, str],
    floor: float,
) -> Target:
    """``max_sustained[a] / max_sustained[b] ≥ floor`` for the setups naming ``parts``."""
    found = scenarios.get(scenario)
    sustained = found.max_sustained if found else {}
    top, bottom = (
        next((rate for label, rate in sustained.items() if part in label), None) for part in parts
    )
    if top is None or bottom is None:
        return _unmeasured(name, goal)
    if bottom == 0:
        return Target(name, goal, f"{top:g}/s vs 0/s: the lowest of --rates already failed", None)
    ratio = top / bottom
    return Target(name, goal, f"{top:g}/s vs {bottom:g}/s = {ratio:.2f}×", ratio >= floor)


def _post_overhead(scenarios: Mapping[str, ScenarioResult]) -> Target:
    name, goal = "POST overhead on PostgreSQL, 100/s", "p99 ≤ 10 ms"
    step = _step(scenarios, "backends", "postgresql", REFERENCE_RATE)
    if step is None or step.post is None or step.post.overhead_ms is None:
        return _unmeasured(name, goal)
    p99 = step.post.overhead_ms.p99
    return Target(name, goal, f"p99 {p99:.2f} ms", p99 <= 10)


def _overload(scenarios: Mapping[str, ScenarioResult]) -> Target:
    name = "overload at 3× the sustained rate"
    goal = "answered p99 ≤ deadline + 50 ms, refused p99 ≤ 10 ms, normal within 2 s"
    found = scenarios.get("overload")
    numbers = found.overload if found else None
    phase = next((p for p in numbers.phases if p.name == "overload"), None) if numbers else None
    if numbers is None or phase is None or phase.answered_ms is None:
        return _unmeasured(name, goal)
    answered, refused = phase.answered_ms.p99, phase.refused_ms.p99 if phase.refused_ms else 0.0
    recovered = numbers.recovered_after_s
    measured = (
        f"answered p99 {answered:.0f} ms, refused p99 {refused:.1f} ms ({phase.refused} of "
        f"{phase.sent}), errors {phase.errors}, normal after "
        + ("never" if recovered is None else f"{recovered:.2f} s")
    )
    met = (
        answered <= numbers.deadline_ms + 50
        and refused <= 10
        and phase.errors == 0
        and recovered is not None
        and recovered <= 2
    )
    return Target(name, goal, measured, met)


def evaluate(scenarios: Mapping[str, ScenarioResult]) -> list[Target]:
    """Every target, met or not, with the number it was judged on."""
    return [
        _ping_overhead(scenarios),
        _overshoot(scenarios),
        _ratio(
            scenarios,
            "rates",
            "max sustained rate vs baseline",
            "≥ 0.7 × baseline",
            ("pickpost", "baseline"),
            0.7,
        ),
        _ratio(
            scenarios,
            "workers",
            "2 workers vs 1",
            "≥ 1.8 × 1 worker",
            ("2 workers", "1 worker"),
            1.8,
        ),
        _post_overhead(scenarios),
        _overload(scenarios),
    ]
