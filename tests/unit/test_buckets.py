"""Report time: 15-minute UTC buckets, and the zones' days and hours falling on them exactly,
on days of 23 and 25 hours too."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from pickpost.domain.buckets import bucket_start, day_start, local_day, local_hour, window, zone

NEW_YORK = ZoneInfo("America/New_York")


def test_a_moment_falls_in_the_quarter_hour_that_starts_at_or_before_it() -> None:
    moment = datetime(2026, 11, 27, 10, 44, 59, 999_000, tzinfo=UTC)
    assert bucket_start(moment) == datetime(2026, 11, 27, 10, 30, tzinfo=UTC)
    assert bucket_start(moment.replace(minute=45, second=0, microsecond=0)).minute == 45


def test_days_of_india_and_nepal_begin_on_a_quarter_hour() -> None:
    kolkata = day_start(date(2026, 11, 27), ZoneInfo("Asia/Kolkata"))
    kathmandu = day_start(date(2026, 11, 27), ZoneInfo("Asia/Kathmandu"))
    assert kolkata == datetime(2026, 11, 26, 18, 30, tzinfo=UTC)
    assert kathmandu == datetime(2026, 11, 26, 18, 15, tzinfo=UTC)
    assert bucket_start(kathmandu) == kathmandu


def test_the_spring_forward_day_has_23_hours_and_the_fall_back_day_25() -> None:
    spring = window(date(2026, 3, 8), date(2026, 3, 8), NEW_YORK)
    fall = window(date(2026, 11, 1), date(2026, 11, 1), NEW_YORK)
    assert spring[1] - spring[0] == timedelta(hours=23)
    assert fall[1] - fall[0] == timedelta(hours=25)
    assert spring[0] == datetime(2026, 3, 8, 5, tzinfo=UTC)
    assert fall[1] == datetime(2026, 11, 2, 5, tzinfo=UTC)


def test_a_range_of_days_ends_where_the_day_after_its_last_begins() -> None:
    start, end = window(date(2026, 3, 7), date(2026, 3, 9), NEW_YORK)
    assert (end - start) == timedelta(hours=71)


def test_the_repeated_hour_of_fall_back_is_two_hours_told_apart_by_their_offsets() -> None:
    first = datetime(2026, 11, 1, 5, 30, tzinfo=UTC)  # 01:30 EDT
    second = datetime(2026, 11, 1, 6, 30, tzinfo=UTC)  # 01:30 EST
    assert local_hour(first, NEW_YORK) == "2026-11-01T01:00:00-04:00"
    assert local_hour(second, NEW_YORK) == "2026-11-01T01:00:00-05:00"
    assert local_day(first, NEW_YORK) == local_day(second, NEW_YORK) == "2026-11-01"


def test_hours_of_a_quarter_hour_zone_start_at_its_quarter() -> None:
    moment = datetime(2026, 11, 27, 4, 20, tzinfo=UTC)  # 10:05 in Kathmandu
    assert local_hour(moment, ZoneInfo("Asia/Kathmandu")) == "2026-11-27T10:00:00+05:45"


def test_only_real_zone_names_are_zones() -> None:
    assert zone("Asia/Kolkata") == ZoneInfo("Asia/Kolkata")
    for name in ("Mars/Olympus", "", "../etc/passwd", "/etc/localtime", "UTC" * 30):
        assert zone(name) is None
