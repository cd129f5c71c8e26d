"""Time for reports: 15-minute UTC buckets, and the UTC instants where a time zone's days and
hours begin.

Every time zone in use today is a whole number of quarter hours from UTC (India +5:30, Nepal
+5:45, Chatham +12:45), so each local day and hour starts on a bucket boundary and counts
summed by bucket give that zone's days and hours exactly (docs/reports.md).
"""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

BUCKET_S = 900


def bucket_start(moment: datetime) -> datetime:
    """The start of the 15-minute UTC bucket ``moment`` falls in."""
    epoch = int(moment.timestamp() // BUCKET_S) * BUCKET_S
    return datetime.fromtimestamp(epoch, UTC)


def zone(name: str) -> ZoneInfo | None:
    """The IANA time zone called ``name``; None for a name that is none."""
    if not name or len(name) > 64 or name.startswith(("/", ".")) or ".." in name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def day_start(day: date, tz: ZoneInfo) -> datetime:
    """When ``day`` begins in ``tz``, in UTC (a day of 23 or 25 hours ends where the next
    begins)."""
    return datetime(day.year, day.month, day.day, tzinfo=tz).astimezone(UTC)


def window(first: date, last: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """The UTC instants ``[start, end)`` of the days ``first`` through ``last`` in ``tz``."""
    return day_start(first, tz), day_start(last + timedelta(days=1), tz)


def local_day(moment: datetime, tz: ZoneInfo) -> str:
    """The day (ISO) ``moment`` falls on in ``tz``."""
    return moment.astimezone(tz).date().isoformat()


def local_hour(moment: datetime, tz: ZoneInfo) -> str:
    """The start of the local hour ``moment`` falls in, ISO with its UTC offset (a repeated
    hour at the end of summer time is two hours, told apart by their offsets)."""
    local = moment.astimezone(tz)
    return local.replace(minute=0, second=0, microsecond=0).isoformat()
