"""The bench's derived numbers: the capacity model, the soak's slopes, the workers' figures."""

import pytest

from pickpost.bench.capacity import POST_COST_SCENARIO, capacity, capacity_lines
from pickpost.bench.fleet import FleetPlan
from pickpost.bench.measure import Resources, Sample, StepResult, StepSpec, measure_step
from pickpost.bench.soak import SoakRecorder, slope_per_min
from pickpost.bench.workers import workers_figures


def step(
    scenario: str,
    setup: str,
    cpu_s: float,
    *,
    pings: int = 100,
    posts: int = 0,
    post_every: int | None = None,
    buyers: int = 10,
    rate: float = 25,
    errors: int = 0,
    wall_s: float = 4.0,
    fleet_cpu_s: float = 0.0,
) -> StepResult:
    samples = [Sample("ping", 85.0, 1.0, False)] * (pings - errors)
    samples += [Sample("ping", 0.0, 1.0, True)] * errors
    samples += [Sample("post", 30.0, 1.0, False, 2)] * posts
    spec = StepSpec(scenario, setup, "pickpost", rate, 4.0, FleetPlan(buyers), 1000, post_every)
    used = Resources(wall_s, cpu_s, 100.0, fleet_cpu_s, 0.0)
    return measure_step(spec, 0.0, samples, used)


SQLITE = "pickpost sqlite"


def test_a_posts_cost_is_the_cpu_it_adds_to_the_same_pings() -> None:
    steps = [
        step(POST_COST_SCENARIO, SQLITE, 0.5),  # 5 ms per ping
        step(POST_COST_SCENARIO, SQLITE, 2.1, posts=80, post_every=1),  # + 80 POSTs of 20 ms
        step("rates", SQLITE, 0.7, posts=10, post_every=10, rate=50),  # 7 − 10 × 20 / 100 = 5
        step("fanout50", SQLITE, 2.5, posts=10, post_every=10, buyers=50, rate=5),  # 23 ms
    ]
    model = capacity(steps)
    (post,) = model.posts
    assert (post.setup, post.posts) == (SQLITE, 80)
    assert post.cpu_ms == pytest.approx(20.0)
    assert post.posts_per_s_per_core == pytest.approx(35.0)  # 70 % of 1000 ms / 20 ms
    pings = {(c.setup, c.buyers): c for c in model.pings}
    assert pings[SQLITE, 10].cpu_ms == pytest.approx(5.0)
    assert pings[SQLITE, 10].steps == 2  # the pings-only step and the rates step
    assert pings[SQLITE, 10].pings_per_s_per_core == pytest.approx(140.0)
    assert pings[SQLITE, 50].cpu_ms == pytest.approx(23.0)
    assert any("23.00 ms CPU per ping" in line for line in capacity_lines(model))


def test_steps_that_did_not_hold_or_cannot_be_split_are_left_out() -> None:
    steps = [
        step("rates", SQLITE, 0.1, errors=20),  # refused pings flatter the CPU per ping
        step("rates", SQLITE, 0.7, posts=10, post_every=10),  # no POST cost to take out
        step("hanging", SQLITE, 0.5),  # not a steady fan-out
        step("rates", "baseline", 0.3),
    ]
    model = capacity(steps)
    assert model.posts == []
    assert [(c.setup, round(c.cpu_ms, 6)) for c in model.pings] == [("baseline", 3.0)]
    # A POST-per-ping step whose pings were partly refused gives no POST cost.
    refused = [
        step(POST_COST_SCENARIO, SQLITE, 0.5),
        step(POST_COST_SCENARIO, SQLITE, 1.5, posts=50, post_every=1, errors=50),
    ]
    assert capacity(refused).posts == []
    assert capacity_lines(capacity([])) == [
        "capacity: not measured (no steady steps held their rate)"
    ]


def test_the_slope_is_least_squares_per_minute() -> None:
    assert slope_per_min([(0, 100.0), (30, 101.0), (60, 102.0)]) == pytest.approx(2.0)
    assert slope_per_min([(0, 100.0)]) is None
    assert slope_per_min([(5, 100.0), (5, 110.0)]) is None


def test_the_soak_keeps_points_tells_warm_up_from_growth_and_cpu_per_ping() -> None:
    def soak(rss: list[float]) -> SoakRecorder:
        recorder = SoakRecorder(duration_s=60, rate=50, began=1000.0)
        for second, value in enumerate(rss):
            recorder.offer(1000.0 + second, value, cpu_s=second * 0.4, sent=second * 50)
            recorder.offer(1000.0 + second + 0.2, 999.0, cpu_s=0, sent=0)  # not due: ignored
        return recorder

    warm = soak([100.0 + min(second, 20) for second in range(61)]).numbers()
    assert warm is not None
    assert len(warm.points) == 61
    assert (warm.rss_mb_start, warm.rss_mb_end, warm.rss_mb_max) == (100.0, 120.0, 120.0)
    assert warm.rss_slope_second_half_mb_per_min == pytest.approx(0.0)
    assert warm.rss_slope_mb_per_min is not None
    assert warm.rss_slope_mb_per_min > 0
    assert warm.flat() is True
    assert warm.points[0].cpu_ms_per_ping is None
    assert warm.points[1].cpu_ms_per_ping == pytest.approx(8.0)  # 0.4 s over 50 pings
    leak = soak([100.0 + second / 6 for second in range(61)]).numbers()  # 10 MiB a minute
    assert leak is not None
    assert leak.rss_slope_second_half_mb_per_min == pytest.approx(10.0)
    assert leak.flat() is False
    assert SoakRecorder(60, 50, 0.0).numbers() is None


def test_workers_figures_give_the_ratios_and_who_used_the_cores() -> None:
    one, two = "pickpost pg+redis, 1 worker", "pickpost pg+redis, 2 workers"
    steps = [
        step("workers", one, 1.0, rate=50),
        step("workers", two, 1.2, rate=50, fleet_cpu_s=2.0),
        step("workers", one, 1.0, rate=100),
    ]
    figures = workers_figures(steps, {one: 50.0, two: 100.0}, cores=2)
    assert figures["max sustained rate, 2 workers / 1"] == 2.0
    assert figures["server CPU per ping at 50/s, 2 workers / 1"] == pytest.approx(1.2)
    assert figures["at 50/s with 2 workers: server CPU %"] == pytest.approx(30.0)
    assert figures["at 50/s with 2 workers: fleet CPU %"] == pytest.approx(50.0)
    assert figures["at 50/s with 2 workers: bench's share of the 2 cores %"] == pytest.approx(40)
    assert workers_figures([], {one: 0.0, two: 25.0}, cores=2) == {}
