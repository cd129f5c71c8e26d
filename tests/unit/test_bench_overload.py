"""The overload scenario's pure parts: its schedule, its numbers, recovery, the server's view."""

from pickpost.bench.overload import (
    Outcome,
    OverloadNumbers,
    Phase,
    Shot,
    phase_numbers,
    phases_for,
    recovered_after_s,
    schedule,
    server_view,
)
from pickpost.bench.scenarios import ScenarioResult
from pickpost.bench.targets import evaluate

ANSWERED, REFUSED, ERROR = Outcome.ANSWERED, Outcome.REFUSED, Outcome.ERROR


def test_the_phases_run_at_the_rate_then_three_times_it_then_at_it_again() -> None:
    assert [(p.name, p.rate) for p in phases_for(40, 5)] == [
        ("before", 40),
        ("overload", 120),
        ("after", 40),
    ]


def test_each_phase_starts_where_the_previous_one_ended() -> None:
    due = schedule([Phase("a", 2, 1.0), Phase("b", 4, 0.5)], start=100.0)
    assert due == [("a", 100.0), ("a", 100.5), ("b", 101.0), ("b", 101.25)]


def test_phase_numbers_keep_answered_and_refused_apart() -> None:
    shots = [
        Shot("overload", 0, 120.0, ANSWERED),
        Shot("overload", 0, 80.0, ANSWERED, no_bids=True),
        Shot("overload", 0, 3.0, REFUSED),
        Shot("overload", 0, 45.0, REFUSED, sent_late_ms=44.0),  # the generator's lateness
        Shot("overload", 0, 30000.0, ERROR),
        Shot("before", 0, 90.0, ANSWERED),
    ]
    numbers = phase_numbers(Phase("overload", 150, 10), shots)
    assert (numbers.sent, numbers.answered, numbers.refused, numbers.errors) == (5, 2, 2, 1)
    assert numbers.no_bids == 1
    assert numbers.answered_ms is not None
    assert numbers.answered_ms.max == 120.0
    assert numbers.refused_ms is not None
    assert numbers.refused_ms.max == 45.0
    assert numbers.refused_from_sent_ms is not None
    assert numbers.refused_from_sent_ms.max == 3.0


def test_recovery_is_the_first_window_from_which_all_are_normal() -> None:
    before = [Shot("before", 0, 100.0, ANSWERED)]  # normal: a median up to 100 ms
    after = [
        Shot("after", 10.0, 90.0, ANSWERED),  # window 0: normal
        Shot("after", 10.6, 400.0, ANSWERED),  # window 1: slow, its median 400 ms
        Shot("after", 11.0, 5.0, REFUSED),  # window 2: a refusal
        Shot("after", 11.1, 90.0, ANSWERED),
        Shot("after", 11.5, 90.0, ANSWERED),  # windows 3 and 4: normal,
        Shot("after", 11.6, 300.0, ANSWERED),  # one slow answer among them
        Shot("after", 11.7, 80.0, ANSWERED),
        Shot("after", 12.2, 80.0, ANSWERED),
    ]
    assert recovered_after_s([*before, *reversed(after)], dropped_at=10.0) == 1.5


def test_no_recovery_when_the_last_window_still_refuses() -> None:
    shots = [Shot("before", 0, 100.0, ANSWERED), Shot("after", 10.0, 5.0, REFUSED)]
    assert recovered_after_s(shots, dropped_at=10.0) is None
    assert recovered_after_s([Shot("after", 10.0, 5.0, ANSWERED)], dropped_at=10.0) is None


EXPOSITION = """\
# TYPE pickpost_supplier_admissions counter
pickpost_supplier_admissions_total{endpoint="/ping",verdict="admitted"} 90.0
pickpost_supplier_admissions_total{endpoint="/ping",verdict="busy"} 10.0
pickpost_supplier_admissions_total{endpoint="/post",verdict="admitted"} 5.0
# TYPE pickpost_supplier_queue_wait_seconds histogram
pickpost_supplier_queue_wait_seconds_bucket{endpoint="/ping",le="0.001"} 50.0
pickpost_supplier_queue_wait_seconds_bucket{endpoint="/ping",le="0.01"} 98.0
pickpost_supplier_queue_wait_seconds_bucket{endpoint="/ping",le="0.05"} 100.0
pickpost_supplier_queue_wait_seconds_bucket{endpoint="/ping",le="+Inf"} 100.0
pickpost_supplier_queue_wait_seconds_count{endpoint="/ping"} 100.0
pickpost_supplier_queue_wait_seconds_sum{endpoint="/ping"} 0.3
"""


def test_the_server_view_reads_verdicts_and_the_p99_bucket_of_pings() -> None:
    verdicts, p99_ms = server_view(EXPOSITION)
    assert verdicts == {"admitted": 90, "busy": 10}
    assert p99_ms == 50.0
    assert server_view("") == ({}, None)


def numbers(answered_p99: float, refused_p99: float, recovered: float | None) -> OverloadNumbers:
    overload = phase_numbers(
        Phase("overload", 150, 10),
        [Shot("overload", 0, answered_p99, ANSWERED), Shot("overload", 0, refused_p99, REFUSED)],
    )
    return OverloadNumbers(1000, [overload], recovered, 100, 120, 110, 90, {}, None)


def test_the_overload_target_needs_the_deadline_fast_refusals_and_recovery() -> None:
    def met(found: OverloadNumbers) -> bool | None:
        result = ScenarioResult("overload", overload=found)
        return next(t.met for t in evaluate({"overload": result}) if "overload" in t.name)

    assert met(numbers(1040, 8, 1.5)) is True
    assert met(numbers(1060, 8, 1.5)) is False
    assert met(numbers(1040, 30, 1.5)) is False
    assert met(numbers(1040, 8, 2.5)) is False
    assert met(numbers(1040, 8, None)) is False
