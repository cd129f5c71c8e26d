"""Buyer schedules: windows, midnight crossings, closed dates, time zones and DST."""

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from pickpost.domain.schedule import Schedule, is_open
from tests.unit.factories import NO_DB

CHICAGO = "America/Chicago"
DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


def schedule(**data: Any) -> Schedule:
    return Schedule.model_validate(data)


def at(local: str, tz: str = CHICAGO) -> float:
    """Epoch seconds of a local wall-clock time (the first one, if it repeats)."""
    return datetime.fromisoformat(local).replace(tzinfo=ZoneInfo(tz)).timestamp()


WEEKDAYS = schedule(
    windows=[{"days": ["mon", "tue", "wed", "thu", "fri"], "start": "08:00", "end": "20:00"}]
)
NIGHTS = schedule(windows=[{"days": ["fri", "sun"], "start": "22:00", "end": "02:00"}])

# 2026-11-27 is a Friday.
CASES = [
    (WEEKDAYS, "2026-11-27T08:00:00", True),
    (WEEKDAYS, "2026-11-27T07:59:59", False),
    (WEEKDAYS, "2026-11-27T19:59:59", True),
    (WEEKDAYS, "2026-11-27T20:00:00", False),
    (WEEKDAYS, "2026-11-28T12:00:00", False),  # Saturday
    (NIGHTS, "2026-11-27T21:59:00", False),
    (NIGHTS, "2026-11-27T22:00:00", True),  # Friday evening
    (NIGHTS, "2026-11-28T01:59:59", True),  # Saturday morning, Friday's window
    (NIGHTS, "2026-11-28T02:00:00", False),
    (NIGHTS, "2026-11-28T23:00:00", False),  # Saturday evening is not listed
    (NIGHTS, "2026-11-29T23:30:00", True),  # Sunday evening …
    (NIGHTS, "2026-11-30T00:30:00", True),  # … into Monday morning (across the week's end)
    (NIGHTS, "2026-11-27T01:00:00", False),  # Thursday was not listed
    (schedule(), "2026-11-28T03:00:00", True),  # no windows: always open
]


@pytest.mark.parametrize(("config", "local", "expected"), CASES)
def test_windows(config: Schedule, local: str, expected: bool) -> None:
    assert is_open(config, at(local), CHICAGO) is expected


def test_end_2400_closes_at_midnight() -> None:
    late = schedule(windows=[{"days": ["fri"], "start": "18:00", "end": "24:00"}])
    assert is_open(late, at("2026-11-27T23:59:59"), CHICAGO)
    assert not is_open(late, at("2026-11-28T00:00:00"), CHICAGO)


def test_closed_dates_close_the_local_calendar_date() -> None:
    config = schedule(
        windows=[{"days": ["thu", "fri"], "start": "20:00", "end": "04:00"}],
        closed_dates=["2026-11-27"],
    )
    assert is_open(config, at("2026-11-26T23:00:00"), CHICAGO)  # Thursday evening
    assert not is_open(config, at("2026-11-27T01:00:00"), CHICAGO)  # its morning is closed
    assert not is_open(config, at("2026-11-27T21:00:00"), CHICAGO)
    assert is_open(config, at("2026-11-28T01:00:00"), CHICAGO)  # Friday's window, next date
    assert not is_open(
        schedule(closed_dates=[date(2026, 11, 27)]), at("2026-11-27T12:00:00"), CHICAGO
    )


def test_the_schedule_zone_wins_over_the_campaign_zone() -> None:
    moment = at("2026-11-27T09:00:00", CHICAGO)  # 10:00 in New York, 15:00 in UTC
    window = [{"days": ["fri"], "start": "08:00", "end": "09:30"}]
    assert is_open(schedule(windows=window), moment, CHICAGO)
    assert not is_open(schedule(windows=window), moment, "America/New_York")
    assert not is_open(schedule(windows=window, timezone="America/New_York"), moment, CHICAGO)
    assert is_open(schedule(windows=window, timezone=CHICAGO), moment, "UTC")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"timezone": "Mars/Olympus"}, "unknown time zone"),
        ({"windows": [{"days": [], "start": "08:00", "end": "20:00"}]}, "at least 1 item"),
        ({"windows": [{"days": ["monday"], "start": "08:00", "end": "20:00"}]}, "'mon'"),
        ({"windows": [{"days": ["mon"], "start": "8:00", "end": "20:00"}]}, "HH:MM"),
        ({"windows": [{"days": ["mon"], "start": "08:00", "end": 1200}]}, "HH:MM"),
        ({"windows": [{"days": ["mon"], "start": "08:00", "end": "24:01"}]}, "HH:MM"),
        ({"windows": [{"days": ["mon"], "start": "08:60", "end": "20:00"}]}, "HH:MM"),
        ({"windows": [{"days": ["mon"], "start": "24:00", "end": "08:00"}]}, "before 24:00"),
        ({"windows": [{"days": ["mon"], "start": "08:00", "end": "08:00"}]}, "start equals end"),
        ({"closed_dates": ["12/25/2026"]}, "YYYY-MM-DD"),
        ({"open": True}, "Extra inputs"),
    ],
)
def test_invalid_schedules_are_refused(data: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        Schedule.model_validate(data)


# --- daylight saving time -----------------------------------------------------------------------


def open_minutes(config: Schedule, local_day: str, tz: str) -> int:
    """Real minutes open during one local calendar day, sampled each minute."""
    zone = ZoneInfo(tz)
    start = datetime.fromisoformat(local_day).replace(tzinfo=zone).timestamp()
    end = (datetime.fromisoformat(local_day) + timedelta(days=1)).replace(tzinfo=zone).timestamp()
    return sum(is_open(config, t, tz) for t in range(int(start), int(end), 60))


EARLY = schedule(windows=[{"days": ["sun"], "start": "01:00", "end": "04:00"}])
DAYTIME = schedule(windows=[{"days": ["sun"], "start": "08:00", "end": "20:00"}])


def test_spring_forward_skips_the_missing_hour() -> None:
    # 2026-03-08 in Chicago: 02:00 jumps to 03:00, so 01:00–04:00 lasts two real hours.
    assert open_minutes(EARLY, "2026-03-08", CHICAGO) == 120
    assert open_minutes(DAYTIME, "2026-03-08", CHICAGO) == 12 * 60


def test_fall_back_is_open_in_both_repeated_hours() -> None:
    # 2026-11-01 in Chicago: 01:00–02:00 happens twice, so 01:00–04:00 lasts four real hours.
    assert open_minutes(EARLY, "2026-11-01", CHICAGO) == 240
    assert open_minutes(DAYTIME, "2026-11-01", CHICAGO) == 12 * 60


def test_a_skipped_midnight_opens_the_new_day_at_once() -> None:
    # Havana springs forward at midnight: 2026-03-08 starts at 01:00.
    havana = "America/Havana"
    config = schedule(windows=[{"days": ["sun"], "start": "00:00", "end": "02:00"}])
    assert datetime.fromtimestamp(at("2026-03-08T00:30:00", havana), ZoneInfo(havana)).hour == 1
    assert open_minutes(config, "2026-03-08", havana) == 60


ZONES = [
    CHICAGO,
    "Europe/London",
    "Australia/Lord_Howe",
    "America/Havana",
    "America/Santiago",
    "Asia/Kolkata",
]
YEAR_START = int(datetime(2026, 1, 1, tzinfo=UTC).timestamp())
YEAR_END = int(datetime(2027, 1, 1, tzinfo=UTC).timestamp())


def transitions(tz: str) -> list[int]:
    """Instants of 2026 at which ``tz`` changes its UTC offset (to the minute)."""
    zone = ZoneInfo(tz)

    def offset(t: int) -> timedelta | None:
        return datetime.fromtimestamp(t, zone).utcoffset()

    found = []
    for hour in range(YEAR_START, YEAR_END, 3600):
        if offset(hour) != offset(hour + 3600):
            low, high = hour, hour + 3600
            while high - low > 60:
                mid = (low + high) // 2
                low, high = (low, mid) if offset(mid) != offset(low) else (mid, high)
            found.append(high)
    return found


TRANSITIONS = {tz: transitions(tz) for tz in ZONES}


def expected_open(config: Schedule, epoch: float, tz: str) -> bool:
    """The rule restated: wall-clock intervals started on the local date or the day before."""
    local = datetime.fromtimestamp(epoch, ZoneInfo(tz)).replace(
        tzinfo=None, second=0, microsecond=0
    )
    if local.date() in config.closed_dates:
        return False
    for window in config.windows:
        start = timedelta(hours=int(window.start[:2]), minutes=int(window.start[3:]))
        end = timedelta(hours=int(window.end[:2]), minutes=int(window.end[3:]))
        if end <= start:
            end += timedelta(days=1)
        for back in (0, 1):
            opened_on = datetime.combine(local.date(), datetime.min.time()) - timedelta(days=back)
            if (
                DAYS[opened_on.weekday()] in window.days
                and opened_on + start <= local < opened_on + end
            ):
                return True
    return not config.windows


clocks = st.builds(
    lambda h, m: f"{h:02d}:{m:02d}", st.integers(0, 23), st.sampled_from([0, 15, 30, 59])
)


@st.composite
def schedules(draw: st.DrawFn) -> Schedule:
    windows = []
    for _ in range(draw(st.integers(0, 3))):
        start = draw(clocks)
        end = draw(clocks | st.just("24:00"))
        if end == start:
            end = "24:00"
        days = draw(st.lists(st.sampled_from(DAYS), min_size=1, unique=True))
        windows.append({"days": days, "start": start, "end": end})
    closed = draw(st.lists(st.dates(date(2026, 1, 1), date(2026, 12, 31)), max_size=2))
    return Schedule.model_validate({"windows": windows, "closed_dates": closed})


@st.composite
def moments(draw: st.DrawFn) -> tuple[str, float]:
    tz = draw(st.sampled_from(ZONES))
    near_a_change = draw(st.booleans())
    if near_a_change and TRANSITIONS[tz]:
        # Within three hours either side of a DST change, where the wall clock jumps.
        near = draw(st.sampled_from(TRANSITIONS[tz]))
        return tz, near + draw(st.floats(-3 * 3600, 3 * 3600))
    return tz, draw(st.floats(YEAR_START, YEAR_END))


def test_the_zones_used_have_transitions_in_2026() -> None:
    assert all(TRANSITIONS[tz] for tz in ZONES if tz != "Asia/Kolkata")


@NO_DB
@given(config=schedules(), moment=moments())
def test_is_open_follows_the_local_wall_clock(config: Schedule, moment: tuple[str, float]) -> None:
    tz, epoch = moment
    assert is_open(config, epoch, tz) is expected_open(config, epoch, tz)
