"""The capacity model an operator sizes with: pings/s and POSTs/s per core, from the CPU the
run measured (docs/benchmarks.md, "Capacity model").

A step's server CPU divided by its pings is a ping's cost only when no POST rode along; steps
with POSTs have them subtracted at the POST cost measured for the same setup. That cost comes
from the ``post cost`` steps: the same rate with pings only, and with a POST after every ping
that got bids; the difference in CPU, over the POSTs, is a POST's own cost (its two sales
included).
"""

import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from pickpost.bench.measure import StepResult
from pickpost.bench.search import MAX_ERROR_SHARE

# The share of a core a node is sized to use: headroom for bursts and for the log writer.
CORE_SHARE = 0.7
POST_COST_SCENARIO = "post cost"
# The ping rate of the post-cost steps: with a POST after every ping the server does several
# times a ping's work per ping, so a rate far below saturation, that both steps hold.
POST_COST_RATE = 10.0
# Steps whose CPU per ping stands for a steady fan-out (no hanging buyer, no overload phases).
PING_SCENARIOS = ("rates", "fanout50", "backends", POST_COST_SCENARIO)


@dataclass(frozen=True, slots=True)
class PingCost:
    setup: str
    buyers: int
    cpu_ms: float  # median over ``steps`` steps
    steps: int
    pings_per_s_per_core: float  # at CORE_SHARE of a core


@dataclass(frozen=True, slots=True)
class PostCost:
    setup: str
    cpu_ms: float
    posts: int
    posts_per_s_per_core: float  # on top of their pings, at CORE_SHARE of a core


@dataclass(frozen=True, slots=True)
class Capacity:
    core_share: float
    pings: list[PingCost]
    posts: list[PostCost]


def _cpu_ms(step: StepResult) -> float:
    return step.cpu_ms_per_ping * step.sent


def _posts(step: StepResult) -> int:
    return step.post.count if step.post else 0


def _held(step: StepResult) -> bool:
    """At most 1 % errors: a refused ping costs next to nothing, so a step with many of them
    would flatter a CPU per ping (and, subtracted, skew a CPU per POST)."""
    return step.sent > 0 and step.errors <= MAX_ERROR_SHARE * step.sent


def post_costs(steps: Sequence[StepResult]) -> list[PostCost]:
    """A POST's CPU per setup, from its pings-only and POST-per-ping steps at the same rate,
    both held."""
    costs = []
    mixes = [s for s in steps if s.scenario == POST_COST_SCENARIO and s.post_every == 1]
    for mix in mixes:
        alone = next(
            (
                s
                for s in steps
                if s.scenario == POST_COST_SCENARIO
                and s.setup == mix.setup
                and s.rate == mix.rate
                and s.post_every is None
            ),
            None,
        )
        posts = _posts(mix)
        if alone is None or posts == 0 or not (_held(alone) and _held(mix)):
            continue
        cpu_ms = (_cpu_ms(mix) - alone.cpu_ms_per_ping * mix.sent) / posts
        if cpu_ms > 0:
            costs.append(PostCost(mix.setup, cpu_ms, posts, 1000 * CORE_SHARE / cpu_ms))
    return costs


def ping_costs(steps: Sequence[StepResult], posts: Mapping[str, float]) -> list[PingCost]:
    """A ping's CPU per setup and fleet size: the median over the steady steps that held, POSTs
    taken out at ``posts[setup]``; a step with POSTs and no POST cost for its setup is left
    out."""
    found: dict[tuple[str, int], list[float]] = {}
    for step in steps:
        if step.scenario not in PING_SCENARIOS or step.cpu_ms_per_ping <= 0 or not _held(step):
            continue
        if step.scenario == POST_COST_SCENARIO and step.post_every is not None:
            continue  # the same pings as its pings-only step, by construction
        count = _posts(step)
        if count and step.setup not in posts:
            continue
        cpu_ms = (_cpu_ms(step) - count * posts.get(step.setup, 0.0)) / step.sent
        found.setdefault((step.setup, step.buyers), []).append(cpu_ms)
    return [
        PingCost(setup, buyers, median, len(values), 1000 * CORE_SHARE / median)
        for (setup, buyers), values in sorted(found.items())
        if (median := statistics.median(values)) > 0
    ]


def capacity(steps: Sequence[StepResult]) -> Capacity:
    posts = post_costs(steps)
    by_setup = {cost.setup: cost.cpu_ms for cost in posts}
    return Capacity(CORE_SHARE, ping_costs(steps, by_setup), posts)


def capacity_lines(model: Capacity) -> list[str]:
    """The model in sentences, for the printed summary."""
    share = f"{model.core_share:.0%} of a core"
    lines = [
        f"capacity: {c.setup}, {c.buyers} buyers: {c.cpu_ms:.2f} ms CPU per ping (median of "
        f"{c.steps} steps) = {c.pings_per_s_per_core:.0f} pings/s at {share}"
        for c in model.pings
    ]
    lines += [
        f"capacity: {c.setup}: {c.cpu_ms:.2f} ms CPU per POST (2 sales; {c.posts} POSTs) = "
        f"{c.posts_per_s_per_core:.0f} POSTs/s at {share}, on top of their pings"
        for c in model.posts
    ]
    return lines or ["capacity: not measured (no steady steps held their rate)"]
