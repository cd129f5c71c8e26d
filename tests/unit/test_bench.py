"""The bench's pure parts: percentiles, the open-loop schedule, overhead and the rate search."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pickpost.bench.fleet import HANGING_BUYER, FleetPlan
from pickpost.bench.loadgen import ping_failed
from pickpost.bench.measure import (
    Resources,
    Sample,
    StepResult,
    StepSpec,
    measure_step,
    overshoot_ms,
    ping_overhead_ms,
    post_overhead_ms,
)
from pickpost.bench.runner import SETTLE_MAX_S, build_options
from pickpost.bench.scenarios import ScenarioResult
from pickpost.bench.schedule import achieved_rate, due_at, request_count
from pickpost.bench.search import climb, max_sustained, sustains
from pickpost.bench.stats import percentile, summarize
from pickpost.bench.targets import evaluate
from pickpost.bench.workspace import BenchCampaign
from pickpost.domain.workspace import Workspace
from tests.unit.factories import NO_DB

IDLE = Resources(wall_s=1.0, cpu_s=0.5, peak_rss_mb=100.0, fleet_cpu_s=0.25, generator_cpu_s=0.1)


def test_percentile_is_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 0.5) == 50
    assert percentile(values, 0.99) == 99
    assert percentile(values, 1.0) == 100
    assert percentile([7.0], 0.99) == 7


@NO_DB
@given(st.lists(st.floats(-1e6, 1e6), min_size=1), st.floats(0.001, 1.0))
def test_a_percentile_is_one_of_the_values_and_ordered(values: list[float], q: float) -> None:
    assert percentile(values, q) in values
    assert percentile(values, q) <= percentile(values, 1.0) == max(values)


def test_summary_of_nothing_is_none() -> None:
    assert summarize([]) is None
    summary = summarize([3.0, 1.0, 2.0])
    assert summary is not None
    assert (summary.count, summary.p50, summary.max) == (3, 2.0, 3.0)


def test_every_ping_body_differs_so_none_is_a_duplicate() -> None:
    campaign = BenchCampaign.fresh(1000)
    first, second = campaign.ping_body(), campaign.ping_body()
    assert first != second
    assert {k: v for k, v in first.items() if k != "lp_subid1"} == {
        k: v for k, v in second.items() if k != "lp_subid1"
    }


def test_the_soaks_campaign_sets_its_ping_ttl_and_the_others_keep_the_default() -> None:
    urls = dict.fromkeys(FleetPlan(2).buyer_ids(), "http://127.0.0.1:1")
    usual = Workspace.model_validate(BenchCampaign.fresh(1000).workspace(FleetPlan(2), urls))
    soak = Workspace.model_validate(BenchCampaign.fresh(1000, 60).workspace(FleetPlan(2), urls))
    assert usual.campaigns[0].ping_ttl_s == 900
    assert soak.campaigns[0].ping_ttl_s == 60


def test_open_loop_schedule_is_fixed_by_rate_alone() -> None:
    assert request_count(100, 2.5) == 250
    assert [due_at(10.0, i, 4) for i in range(3)] == [10.0, 10.25, 10.5]
    assert achieved_rate(200, 0.0, 2.0) == 100
    assert achieved_rate(0, 5.0, 5.0) == 0
    with pytest.raises(ValueError, match="positive"):
        request_count(0, 1)


def test_fleet_delays_spread_over_the_range_and_the_slowest_is_known() -> None:
    plan = FleetPlan(10)
    assert plan.delays_ms()[0] == 20
    assert plan.delays_ms()[-1] == plan.slowest_in_time_ms() == 80
    assert len(set(plan.delays_ms())) == 10
    hanging = FleetPlan(10, hanging=True)
    assert hanging.buyer_ids()[-1] == HANGING_BUYER
    assert hanging.slowest_in_time_ms() == 80  # the hanging buyer is never in time


def test_overheads_subtract_the_buyers_own_delays() -> None:
    plan = FleetPlan(10, post_delay_ms=10)
    assert ping_overhead_ms(83.5, plan) == pytest.approx(3.5)
    assert post_overhead_ms(27.0, 2, plan) == pytest.approx(7.0)
    assert overshoot_ms(252.0, 250) == 2.0


def test_what_counts_as_a_failed_ping() -> None:
    assert not ping_failed(200, {"status": "ACCEPTED", "code": 0})
    assert not ping_failed(200, {"status": "ERROR", "code": 2001})  # no bids
    assert ping_failed(200, {"status": "ERROR", "code": 1004})
    assert ping_failed(200, {"status": "DUPLICATED", "code": 1008})
    assert ping_failed(500, {"status": "ACCEPTED"})
    assert ping_failed(200, None)


def _spec(plan: FleetPlan, rate: float = 100) -> StepSpec:
    return StepSpec("rates", "pickpost sqlite", "pickpost", rate, 1.0, plan, 1000)


def test_a_step_measures_overhead_errors_and_posts() -> None:
    plan = FleetPlan(10, post_delay_ms=10)
    samples = [
        Sample("ping", 81.0, 1.0, error=False),
        Sample("ping", 90.0, 2.0, error=False, no_bids=True),
        Sample("ping", 5000.0, 2.0, error=True),
        Sample("post", 25.0, 2.0, error=False, attempted=2),
    ]
    step = measure_step(_spec(plan), 0.0, samples, IDLE)
    assert (step.sent, step.errors, step.no_bids, step.achieved_rate) == (3, 1, 1, 1.0)
    assert step.overhead_ms is not None
    assert (step.overhead_ms.p50, step.overhead_ms.max) == (1.0, 10.0)
    assert step.overshoot_ms is None
    assert step.post is not None
    assert step.post.overhead_ms is not None
    assert step.post.overhead_ms.max == 5.0
    assert step.cpu_percent == 50
    assert step.fleet_cpu_percent == 25


def test_with_a_hanging_buyer_the_overshoot_is_measured_not_the_overhead() -> None:
    step = measure_step(
        _spec(FleetPlan(10, hanging=True)), 0.0, [Sample("ping", 1003.0, 1.0, False)], IDLE
    )
    assert step.overhead_ms is None
    assert step.overshoot_ms is not None
    assert step.overshoot_ms.p99 == 3.0


def _step(rate: float, p99: float, errors: int = 0, setup: str = "pickpost sqlite") -> StepResult:
    ok = [Sample("ping", 80 + p99, 1.0, False)] * (100 - errors)
    bad = [Sample("ping", 0.0, 1.0, True)] * errors
    spec = StepSpec("rates", setup, "pickpost", rate, 1.0, FleetPlan(10), 1000)
    return measure_step(spec, 0.0, ok + bad, IDLE)


def test_a_step_sustains_its_rate_within_the_overhead_limit_and_without_errors() -> None:
    assert sustains(_step(100, 25.0))
    assert not sustains(_step(100, 25.5))
    assert not sustains(_step(100, 1.0, errors=5))


async def test_the_climb_runs_setups_side_by_side_and_one_rate_past_the_first_failure() -> None:
    p99 = {("a", 50): 3.0, ("a", 100): 8.0, ("a", 200): 40.0, ("b", 50): 30.0, ("a", 400): 2.0}
    p99 |= {("b", 100): 4.0, ("a", 800): 1.0}
    asked: list[tuple[str, float]] = []

    async def run_at(setup: str, rate: float) -> StepResult:
        asked.append((setup, rate))
        return _step(rate, p99[setup, int(rate)], setup=setup)

    steps = await climb([400, 50, 800, 200, 100], ["a", "b"], run_at)
    assert asked == [("a", 50), ("b", 50), ("a", 100), ("b", 100), ("a", 200), ("a", 400)]
    # A pass after a failure does not count: the highest rate held before it does.
    assert max_sustained([s for s in steps if s.setup == "a"]) == 100
    assert max_sustained([s for s in steps if s.setup == "b"]) == 0


def test_targets_are_judged_and_unmeasured_ones_say_so() -> None:
    rates = ScenarioResult(
        "rates",
        steps=[_step(100, 1.5), _step(100, 1.0, setup="baseline")],
        max_sustained={"pickpost sqlite": 200.0, "baseline": 400.0},
    )
    targets = {t.name: t for t in evaluate({"rates": rates})}
    assert targets["ping overhead p99 vs baseline, 10 buyers, 100/s"].met is True
    assert targets["max sustained rate vs baseline"].met is False
    assert targets["max sustained rate vs baseline"].measured == "200/s vs 400/s = 0.50×"
    assert targets["2 workers vs 1"].met is None
    assert targets["RSS over the soak"].met is None
    assert targets["POST overhead, postgresql+redis, 25/s"].measured == "not measured"


def _cpu_step(setup: str, rate: float, cpu_s: float, errors: int = 0) -> StepResult:
    samples = [Sample("ping", 85.0, 1.0, False)] * (100 - errors)
    samples += [Sample("ping", 0.0, 1.0, True)] * errors
    spec = StepSpec("rates", setup, "pickpost", rate, 1.0, FleetPlan(10), 1000)
    used = Resources(wall_s=1.0, cpu_s=cpu_s, peak_rss_mb=1, fleet_cpu_s=0, generator_cpu_s=0)
    return measure_step(spec, 0.0, samples, used)


def test_cpu_per_ping_is_judged_against_the_baseline_at_the_same_rate() -> None:
    steps = [
        _cpu_step("pickpost sqlite", 50, 0.36),  # 3.6 ms per ping
        _cpu_step("baseline", 50, 0.30),  # 3.0: 1.2×, met
        _cpu_step("pickpost sqlite", 100, 0.40, errors=5),  # cheap refusals: not judged
        _cpu_step("baseline", 100, 0.10),
    ]
    targets = {t.name: t for t in evaluate({"rates": ScenarioResult("rates", steps=steps)})}
    at_50 = targets["CPU per ping vs baseline, 10 buyers, 50/s"]
    assert (at_50.met, at_50.measured) == (True, "3.60 vs 3.00 ms = 1.20×")
    at_100 = targets["CPU per ping vs baseline, 10 buyers, 100/s"]
    assert at_100.met is None
    assert "not judged" in at_100.measured
    steps[1] = _cpu_step("baseline", 50, 0.29)
    targets = {t.name: t for t in evaluate({"rates": ScenarioResult("rates", steps=steps)})}
    assert targets["CPU per ping vs baseline, 10 buyers, 50/s"].met is False


def test_the_post_targets_differ_by_backend() -> None:
    def backends(post_latency_ms: float) -> dict[str, ScenarioResult]:
        steps = []
        for setup in ("pickpost sqlite", "pickpost postgresql+redis"):
            spec = StepSpec("backends", setup, "pickpost", 25, 1.0, FleetPlan(10), 1000, 10)
            samples = [
                Sample("ping", 85.0, 1.0, False),
                Sample("post", post_latency_ms, 1.0, False, 2),
            ]
            steps.append(measure_step(spec, 0.0, samples, IDLE))
        return {"backends": ScenarioResult("backends", steps=steps)}

    def met(found: dict[str, ScenarioResult]) -> tuple[bool | None, bool | None]:
        targets = {t.name: t.met for t in evaluate(found)}
        return (
            targets["POST overhead, sqlite, 25/s"],
            targets["POST overhead, postgresql+redis, 25/s"],
        )

    assert met(backends(20 + 9)) == (True, True)  # 9 ms over the two sales' 20 ms
    assert met(backends(20 + 12)) == (False, True)
    assert met(backends(20 + 16)) == (False, False)


def test_only_a_full_run_waits_for_the_machine_between_scenarios() -> None:
    full = build_options("rates,hanging", None, None, False, None, None)
    quick = build_options("rates,hanging", None, None, True, None, None)
    assert full.settle_max_s == SETTLE_MAX_S > 0
    assert quick.settle_max_s == 0
