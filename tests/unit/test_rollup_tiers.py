"""The rows a report reads from the rollup tiers: any range in any zone, split at its days or
hours, is covered by daily, hourly and 15-minute rows exactly once, no row crossing a day or
hour of the report."""

import itertools
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from pickpost.domain.buckets import (
    BUCKET_S,
    DAY_S,
    GRAINS,
    HOUR_S,
    cover,
    day_start,
    day_start_of,
    day_starts,
    differs_from_utc,
    hour_starts,
    plan,
)

EPOCH_2026 = int(datetime(2026, 1, 1, tzinfo=UTC).timestamp())
ZONES = st.sampled_from(
    [
        "UTC",
        "America/New_York",
        "Asia/Kolkata",
        "Asia/Kathmandu",
        "Australia/Lord_Howe",  # a 30-minute summer-time shift
        "Pacific/Chatham",
        "America/St_Johns",
        "Europe/London",
    ]
)
bucket_edges = st.integers(0, 2 * 366 * 96).map(lambda n: EPOCH_2026 + n * BUCKET_S)


def _buckets(ranges: dict[int, list[tuple[int, int]]]) -> list[int]:
    """The 15-minute buckets the planned rows hold, one entry per row that holds each."""
    held: list[int] = []
    for grain, spans in ranges.items():
        for first, stop in spans:
            assert first % grain == 0, (grain, first)
            assert stop % grain == 0, (grain, stop)
            held += range(first, stop, BUCKET_S)
    return sorted(held)


@given(bucket_edges, bucket_edges)
def test_any_range_is_covered_once_by_rows_aligned_to_their_tier(a: int, b: int) -> None:
    start, end = min(a, b), max(a, b)
    pieces = cover(start, end)
    held: list[int] = []
    for grain, first, stop in pieces:
        assert grain in GRAINS
        assert first < stop
        assert first % grain == 0
        assert stop % grain == 0
        held += range(first, stop, BUCKET_S)
    assert sorted(held) == list(range(start, end, BUCKET_S))


@given(bucket_edges, bucket_edges)
def test_only_a_range_s_edges_read_finer_rows(a: int, b: int) -> None:
    start, end = min(a, b), max(a, b)
    quarters = sum(stop - first for grain, first, stop in cover(start, end) if grain == BUCKET_S)
    hours = sum(stop - first for grain, first, stop in cover(start, end) if grain == HOUR_S)
    assert quarters < 2 * HOUR_S  # under an hour at each end
    assert hours < 2 * DAY_S  # under a day at each end


@given(ZONES, st.dates(date(2026, 1, 1), date(2027, 12, 1)), st.integers(0, 40))
def test_a_zone_s_days_are_read_once_and_no_row_straddles_two_of_them(
    name: str, first: date, length: int
) -> None:
    starts = [
        int(s.timestamp())
        for s in day_starts(first, first + timedelta(days=length), ZoneInfo(name))
    ]
    ranges = plan(starts)
    assert _buckets(ranges) == list(range(starts[0], starts[-1], BUCKET_S))
    for grain, spans in ranges.items():
        for first_s, stop in spans:
            for row in range(first_s, stop, grain):
                # The day a row falls in holds it whole.
                assert any(s <= row and row + grain <= e for s, e in itertools.pairwise(starts))


@given(ZONES, st.dates(date(2026, 1, 1), date(2027, 12, 1)), st.integers(0, 2))
def test_a_zone_s_hours_are_read_once_and_no_row_straddles_two_of_them(
    name: str, first: date, length: int
) -> None:
    zone = ZoneInfo(name)
    start, end = day_starts(first, first + timedelta(days=length), zone)[:: length + 1][:2]
    bounds = [int(s.timestamp()) for s in hour_starts(start, end, zone)]
    ranges = plan(bounds)
    assert _buckets(ranges) == list(range(bounds[0], bounds[-1], BUCKET_S))
    for grain, spans in ranges.items():
        for first_s, stop in spans:
            for row in range(first_s, stop, grain):
                assert any(s <= row and row + grain <= e for s, e in itertools.pairwise(bounds))


def test_new_york_s_hours_include_the_repeated_one_when_summer_time_ends() -> None:
    zone = ZoneInfo("America/New_York")
    start, end = day_starts(date(2026, 11, 1), date(2026, 11, 1), zone)
    assert len(hour_starts(start, end, zone)) == 25 + 1


def test_a_utc_month_reads_daily_rows_only() -> None:
    starts = [
        int(s.timestamp())
        for s in day_starts(date(2026, 11, 1), date(2026, 11, 30), ZoneInfo("UTC"))
    ]
    assert plan(starts) == {DAY_S: [(starts[0], starts[-1])]}


def test_kolkata_s_days_read_quarter_hours_only_at_their_half_hour_edges() -> None:
    zone = ZoneInfo("Asia/Kolkata")
    starts = [int(s.timestamp()) for s in day_starts(date(2026, 11, 1), date(2026, 11, 2), zone)]
    ranges = plan(starts)
    assert sum(stop - first for first, stop in ranges[BUCKET_S]) == 2 * HOUR_S  # ½ h, 1 h, ½ h
    assert set(ranges) == {BUCKET_S, HOUR_S}  # no UTC day lies inside a day in India


def test_only_zones_whose_days_are_not_utc_days_get_rows_of_their_own() -> None:
    assert not differs_from_utc(ZoneInfo("UTC"), 2026)
    assert not differs_from_utc(ZoneInfo("Africa/Abidjan"), 2026)  # UTC all year
    assert differs_from_utc(ZoneInfo("Europe/London"), 2026)  # UTC in winter only
    assert differs_from_utc(ZoneInfo("Asia/Kolkata"), 2026)


@given(st.integers(0, 3 * 365 * 96))
def test_a_moment_s_local_day_begins_at_or_before_it_and_ends_after(quarter: int) -> None:
    moment = int(datetime(2025, 1, 1, tzinfo=UTC).timestamp()) + quarter * BUCKET_S
    for name in ("America/New_York", "Asia/Kolkata", "Pacific/Chatham"):
        tz = ZoneInfo(name)
        start = day_start_of(moment, tz)
        day = datetime.fromtimestamp(moment, tz).date()
        assert start <= moment < int(day_start(day + timedelta(days=1), tz).timestamp())
        assert start % BUCKET_S == 0
