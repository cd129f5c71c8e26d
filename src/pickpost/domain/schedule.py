"""Buyer schedules: the local hours a buyer takes leads.

::

    schedule:
      timezone: America/Chicago      # optional; the campaign's time zone otherwise
      windows:
        - {days: [mon, tue, wed, thu, fri], start: "08:00", end: "20:00"}
        - {days: [fri, sat], start: "22:00", end: "02:00"}   # crosses midnight
      closed_dates: ["2026-12-25"]

Rules:

- A window is open from ``start`` (included) to ``end`` (excluded), local wall-clock time. When
  ``start`` is later than ``end`` the window crosses midnight: it opens on a listed day and closes
  the next morning (the Friday window above runs until Saturday 02:00). ``end: "24:00"`` closes at
  midnight; ``start`` and ``end`` may not be equal. Quote the times in YAML: it reads an
  unquoted ``20:00`` as the number 1200.
- Without windows the buyer is open at all hours of every day.
- A closed date closes the whole local calendar date, including the early hours of a window that
  opened the evening before.
- Wall-clock time follows daylight saving time: a local time skipped in spring never occurs, and
  one repeated in autumn is open both times if a window covers it.

Pure: no I/O; the caller passes the moment.
"""

import re
from datetime import datetime
from typing import Annotated, Final, Literal, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BeforeValidator, Field, model_validator

from pickpost.domain.filters import IsoDate
from pickpost.domain.model import Model

Day = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
_DAYS: Final[tuple[Day, ...]] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_CLOCK: Final = re.compile(r"(?:[01]\d|2[0-3]):[0-5]\d|24:00", re.ASCII)


def _known_zone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r}") from None
    return name


def _clock(raw: object) -> object:
    if not isinstance(raw, str) or not _CLOCK.fullmatch(raw):
        raise ValueError('give a time as quoted "HH:MM" text, 00:00 to 24:00')
    return raw


TimeZoneName = Annotated[str, AfterValidator(_known_zone)]
"""An IANA time zone name such as ``America/Chicago``."""
Clock = Annotated[str, BeforeValidator(_clock)]


def _minutes(clock: str) -> int:
    hours, minutes = clock.split(":")
    return int(hours) * 60 + int(minutes)


class Window(Model):
    """Open from ``start`` to ``end`` on each of ``days`` (see the module docstring)."""

    days: Annotated[tuple[Day, ...], Field(min_length=1)]
    start: Clock
    end: Clock

    @model_validator(mode="after")
    def _distinct_times(self) -> Self:
        if self.start == "24:00":
            raise ValueError("start must be before 24:00")
        if self.start == self.end:
            raise ValueError('start equals end: for a whole day use "00:00" to "24:00"')
        return self

    def covers(self, day: Day, previous_day: Day, minute: int) -> bool:
        """Whether the window is open at ``minute`` (of the local day) on ``day``."""
        start, end = _minutes(self.start), _minutes(self.end)
        if start < end:
            return day in self.days and start <= minute < end
        # Crosses midnight: the evening of a listed day, or the morning after one.
        return (day in self.days and minute >= start) or (
            previous_day in self.days and minute < end
        )


class Schedule(Model):
    """When a buyer takes leads; empty means always."""

    timezone: TimeZoneName | None = None
    windows: tuple[Window, ...] = ()
    closed_dates: tuple[IsoDate, ...] = ()


def is_open(schedule: Schedule, at_epoch: float, default_tz: str) -> bool:
    """Whether ``schedule`` is open at ``at_epoch`` (Unix seconds).

    ``default_tz`` is the campaign's time zone, used when the schedule names none.
    """
    local = datetime.fromtimestamp(at_epoch, ZoneInfo(schedule.timezone or default_tz))
    if local.date() in schedule.closed_dates:
        return False
    if not schedule.windows:
        return True
    weekday = local.weekday()
    day, previous_day = _DAYS[weekday], _DAYS[weekday - 1]
    minute = local.hour * 60 + local.minute
    return any(window.covers(day, previous_day, minute) for window in schedule.windows)
