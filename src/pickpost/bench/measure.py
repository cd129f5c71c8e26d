"""From the samples of one step to its numbers: latency, overhead, overshoot, errors."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from pickpost.bench.fleet import FleetPlan
from pickpost.bench.schedule import achieved_rate
from pickpost.bench.stats import Summary, summarize

Step = Literal["ping", "post"]


@dataclass(frozen=True, slots=True)
class Sample:
    """One request as the generator saw it.

    ``latency_ms`` runs from the request's due time (pings) or send time (posts) to the end of
    its answer; ``answered_at`` is on the monotonic clock; ``attempted`` is, for a post, how
    many buyers the sale was attempted with; ``no_bids`` marks a ping answered "no bids".
    """

    step: Step
    latency_ms: float
    answered_at: float
    error: bool
    attempted: int = 0
    no_bids: bool = False


@dataclass(frozen=True, slots=True)
class Resources:
    """What the server (with its child processes), the fleet and the generator used during
    ``wall_s``."""

    wall_s: float
    cpu_s: float
    peak_rss_mb: float
    fleet_cpu_s: float
    generator_cpu_s: float


@dataclass(frozen=True, slots=True)
class PostNumbers:
    count: int
    errors: int
    latency_ms: Summary | None
    overhead_ms: Summary | None


@dataclass(frozen=True, slots=True)
class StepResult:
    """Everything measured in one step: one setup at one rate for ``duration_s``."""

    scenario: str
    setup: str
    target: Literal["pickpost", "baseline"]
    rate: float
    duration_s: float
    buyers: int
    # Every n-th ping with bids was followed by its POST; None: pings only.
    post_every: int | None
    sent: int
    errors: int
    no_bids: int
    achieved_rate: float
    latency_ms: Summary | None
    overhead_ms: Summary | None
    overshoot_ms: Summary | None
    post: PostNumbers | None
    cpu_percent: float
    cpu_ms_per_ping: float
    peak_rss_mb: float
    fleet_cpu_percent: float
    generator_cpu_percent: float


def post_mix(target: str, post_every: int | None) -> str:
    """A label's suffix for a Pickpost step whose POSTs are not the usual every 10th ping."""
    if target != "pickpost":
        return ""
    return {None: ", pings only", 1: ", a POST per ping"}.get(post_every, "")


def ping_overhead_ms(latency_ms: float, plan: FleetPlan) -> float:
    """Latency beyond the slowest in-time buyer's own delay."""
    return latency_ms - plan.slowest_in_time_ms()


def post_overhead_ms(latency_ms: float, attempted: int, plan: FleetPlan) -> float:
    """Latency beyond the buyers' own delays: a sale tries consented buyers one after another."""
    return latency_ms - attempted * plan.post_delay_ms


def overshoot_ms(latency_ms: float, deadline_ms: int) -> float:
    """How far past the campaign's deadline the answer came (negative: before it)."""
    return latency_ms - deadline_ms


@dataclass(frozen=True, slots=True)
class StepSpec:
    """What a step was asked to do."""

    scenario: str
    setup: str
    target: Literal["pickpost", "baseline"]
    rate: float
    duration_s: float
    plan: FleetPlan
    deadline_ms: int
    post_every: int | None = None


def measure_step(
    spec: StepSpec, start: float, samples: Sequence[Sample], used: Resources
) -> StepResult:
    """The numbers of one step. Errored requests count as errors and nothing else."""
    pings = [s for s in samples if s.step == "ping"]
    posts = [s for s in samples if s.step == "post"]
    good = [s.latency_ms for s in pings if not s.error]
    answered = len(good)
    last = max((s.answered_at for s in pings), default=start)
    post_good = [s for s in posts if not s.error]
    post = (
        PostNumbers(
            count=len(posts),
            errors=len(posts) - len(post_good),
            latency_ms=summarize([s.latency_ms for s in post_good]),
            overhead_ms=summarize(
                [post_overhead_ms(s.latency_ms, s.attempted, spec.plan) for s in post_good]
            ),
        )
        if posts
        else None
    )
    deadline_cut = spec.plan.hanging
    return StepResult(
        scenario=spec.scenario,
        setup=spec.setup,
        target=spec.target,
        rate=spec.rate,
        duration_s=spec.duration_s,
        buyers=spec.plan.buyers,
        post_every=spec.post_every,
        sent=len(pings),
        errors=len(pings) - answered,
        no_bids=sum(s.no_bids for s in pings),
        achieved_rate=achieved_rate(answered, start, last),
        latency_ms=summarize(good),
        overhead_ms=None
        if deadline_cut
        else summarize([ping_overhead_ms(v, spec.plan) for v in good]),
        overshoot_ms=summarize([overshoot_ms(v, spec.deadline_ms) for v in good])
        if deadline_cut
        else None,
        post=post,
        cpu_percent=100 * used.cpu_s / used.wall_s,
        cpu_ms_per_ping=1000 * used.cpu_s / len(pings) if pings else 0.0,
        peak_rss_mb=used.peak_rss_mb,
        fleet_cpu_percent=100 * used.fleet_cpu_s / used.wall_s,
        generator_cpu_percent=100 * used.generator_cpu_s / used.wall_s,
    )
