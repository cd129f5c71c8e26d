"""Issue 12's performance targets (docs/benchmarks.md, "Targets"), judged on one run.

Every comparison with the baseline uses the baseline measured in the same run, against the same
fleet, minutes apart: the machine is shared and noisy, so only such ratios mean anything.
"""

from collections.abc import Mapping
from dataclasses import dataclass

from pickpost.bench.measure import StepResult
from pickpost.bench.overload import OverloadNumbers
from pickpost.bench.scenarios import ScenarioResult
from pickpost.bench.search import MAX_ERROR_SHARE
from pickpost.bench.soak import FLAT_SHARE

REFERENCE_RATE = 100.0
CPU_RATES = (50.0, REFERENCE_RATE)
CPU_FACTOR = 1.2
SUSTAINED_FACTOR = 0.8
P99_MARGIN_MS = 5.0
POST_RATE = 25.0
POST_P99_MS = {"pickpost postgresql+redis": 15.0, "pickpost sqlite": 10.0}
WORKERS_FACTOR = 1.7
PICKPOST, BASELINE = "pickpost sqlite", "baseline"


@dataclass(frozen=True, slots=True)
class Target:
    """``met`` is None when the run did not measure what the target needs."""

    name: str
    goal: str
    measured: str
    met: bool | None


def _step(
    scenarios: Mapping[str, ScenarioResult], scenario: str, setup: str, rate: float
) -> StepResult | None:
    """The scenario's own step of ``setup`` at ``rate`` (not its POST-cost steps)."""
    found = scenarios.get(scenario)
    steps = found.steps if found else []
    return next(
        (s for s in steps if s.scenario == scenario and s.setup == setup and s.rate == rate), None
    )


def _unmeasured(name: str, goal: str) -> Target:
    return Target(name, goal, "not measured", None)


def _held(step: StepResult) -> bool:
    return step.errors <= MAX_ERROR_SHARE * step.sent


def _cpu_per_ping(scenarios: Mapping[str, ScenarioResult], rate: float) -> Target:
    name = f"CPU per ping vs baseline, 10 buyers, {rate:g}/s"
    goal = f"≤ {CPU_FACTOR} × the baseline's (Pickpost with a POST every 10th ping)"
    mine, floor = (
        _step(scenarios, "rates", PICKPOST, rate),
        _step(scenarios, "rates", BASELINE, rate),
    )
    if mine is None or floor is None or floor.cpu_ms_per_ping <= 0:
        return _unmeasured(name, goal)
    ratio = mine.cpu_ms_per_ping / floor.cpu_ms_per_ping
    measured = f"{mine.cpu_ms_per_ping:.2f} vs {floor.cpu_ms_per_ping:.2f} ms = {ratio:.2f}×"
    if not (_held(mine) and _held(floor)):
        # Refused pings cost next to nothing: a CPU per ping with many of them flatters.
        failed = f"{mine.errors}/{mine.sent} and {floor.errors}/{floor.sent}"
        return Target(name, goal, f"{measured}; not judged: errors {failed}", None)
    return Target(name, goal, measured, ratio <= CPU_FACTOR)


def _sustained(scenarios: Mapping[str, ScenarioResult]) -> Target:
    name = "max sustained rate vs baseline"
    goal = f"≥ {SUSTAINED_FACTOR} × the baseline's (p99 overhead ≤ 25 ms, ≤ 1 % errors)"
    return _ratio(scenarios, "rates", name, goal, (PICKPOST, BASELINE), SUSTAINED_FACTOR)


def _workers(scenarios: Mapping[str, ScenarioResult]) -> Target:
    name, goal = "2 workers vs 1", f"≥ {WORKERS_FACTOR} × 1 worker's max sustained rate"
    parts = ("pickpost pg+redis, 2 workers", "pickpost pg+redis, 1 worker")
    return _ratio(scenarios, "workers", name, goal, parts, WORKERS_FACTOR)


def _ratio(
    scenarios: Mapping[str, ScenarioResult],
    scenario: str,
    name: str,
    goal: str,
    setups: tuple[str, str],
    floor: float,
) -> Target:
    """``max_sustained[a] / max_sustained[b] ≥ floor``."""
    found = scenarios.get(scenario)
    sustained = found.max_sustained if found else {}
    top, bottom = (sustained.get(setup) for setup in setups)
    if top is None or bottom is None:
        return _unmeasured(name, goal)
    if bottom == 0:
        return Target(name, goal, f"{top:g}/s vs 0/s: the lowest of --rates already failed", None)
    ratio = top / bottom
    return Target(name, goal, f"{top:g}/s vs {bottom:g}/s = {ratio:.2f}×", ratio >= floor)


def _p99_beside_baseline(scenarios: Mapping[str, ScenarioResult]) -> Target:
    name = f"ping overhead p99 vs baseline, 10 buyers, {REFERENCE_RATE:g}/s"
    goal = f"within {P99_MARGIN_MS:g} ms of the baseline's p99"
    mine = _step(scenarios, "rates", PICKPOST, REFERENCE_RATE)
    floor = _step(scenarios, "rates", BASELINE, REFERENCE_RATE)
    if mine is None or floor is None or mine.overhead_ms is None or floor.overhead_ms is None:
        return _unmeasured(name, goal)
    a, b = mine.overhead_ms.p99, floor.overhead_ms.p99
    measured = f"p99 {a:.1f} vs {b:.1f} ms (+{a - b:.1f}), errors {mine.errors}/{mine.sent}"
    return Target(name, goal, measured, a - b <= P99_MARGIN_MS and _held(mine))


def _post_overhead(scenarios: Mapping[str, ScenarioResult], setup: str) -> Target:
    limit = POST_P99_MS[setup]
    backend = setup.removeprefix("pickpost ")
    name = f"POST overhead, {backend}, {POST_RATE:g}/s"
    goal = f"p99 ≤ {limit:g} ms over buyer time (two consented bids)"
    step = _step(scenarios, "backends", setup, POST_RATE)
    if step is None or step.post is None or step.post.overhead_ms is None:
        return _unmeasured(name, goal)
    found = step.post.overhead_ms
    measured = f"p50 {found.p50:.1f}, p99 {found.p99:.1f} ms over {found.count} POSTs"
    return Target(name, goal, measured, found.p99 <= limit and step.post.errors == 0)


def _soak(scenarios: Mapping[str, ScenarioResult]) -> Target:
    name = "RSS over the soak"
    goal = f"flat: the second half's slope over a whole soak ≤ {FLAT_SHARE:.0%} of the start"
    found = scenarios.get("soak")
    soak = found.soak if found else None
    if soak is None:
        return _unmeasured(name, goal)
    slope = soak.rss_slope_second_half_mb_per_min
    measured = (
        f"{soak.duration_s:g} s at {soak.rate:g}/s: start {soak.rss_mb_start:.0f} MiB, end "
        f"{soak.rss_mb_end:.0f}, max {soak.rss_mb_max:.0f}; second half "
        + ("–" if slope is None else f"{slope:+.2f} MiB/min")
    )
    return Target(name, goal, measured, soak.flat())


def _overload(numbers: OverloadNumbers | None, name: str) -> Target:
    goal = "answered p99 ≤ deadline + 50 ms, refused p99 ≤ 10 ms, normal within 2 s"
    phase = next((p for p in numbers.phases if p.name == "overload"), None) if numbers else None
    if numbers is None or phase is None or phase.answered_ms is None:
        return _unmeasured(name, goal)
    answered, refused = phase.answered_ms.p99, phase.refused_ms.p99 if phase.refused_ms else 0.0
    recovered = numbers.recovered_after_s
    sent = phase.refused_from_sent_ms
    measured = (
        f"answered p99 {answered:.0f} ms, refused p99 {refused:.1f} ms"
        + ("" if sent is None else f" ({sent.p99:.1f} from sent)")
        + f" ({phase.refused} of {phase.sent}), errors {phase.errors}, normal after "
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
    overload = scenarios.get("overload")
    targets = [
        *(_cpu_per_ping(scenarios, rate) for rate in CPU_RATES),
        _sustained(scenarios),
        _p99_beside_baseline(scenarios),
        *(_post_overhead(scenarios, setup) for setup in POST_P99_MS),
        _workers(scenarios),
        _soak(scenarios),
        _overload(overload.overload if overload else None, "overload at 3× the sustained rate"),
    ]
    at_rate = overload.overload_at_rate if overload else None
    if at_rate is not None:
        rate = next(p.rate for p in at_rate.phases if p.name == "overload")
        targets.append(_overload(at_rate, f"overload at {rate:g}/s"))
    return targets
