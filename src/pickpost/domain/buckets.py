"""Time for reports: 15-minute UTC buckets, and the UTC instants where a time zone's days and
hours begin.

Every time zone in use today is a whole number of quarter hours from UTC (India +5:30, Nepal
+5:45, Chatham +12:45), so each local day and hour starts on a bucket boundary and counts
summed by bucket give that zone's days and hours exactly (docs/reports.md).
"""

import itertools
from collections.abc import Sequence
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


def day_start_of(epoch: int, tz: ZoneInfo) -> int:
    """When the day of ``tz`` holding the instant ``epoch`` began, in epoch seconds."""
    local = datetime.fromtimestamp(epoch, tz).date()
    return int(day_start(local, tz).timestamp())


def differs_from_utc(tz: ZoneInfo, year: int) -> bool:
    """Whether ``tz``'s days begin elsewhere than UTC's in ``year`` (summer or winter): only
    such a zone needs rows of its own days; UTC's daily rows serve the others."""
    return any(tz.utcoffset(datetime(year, month, 1)) != timedelta(0) for month in (1, 4, 7, 10))


def local_day(moment: datetime, tz: ZoneInfo) -> str:
    """The day (ISO) ``moment`` falls on in ``tz``."""
    return moment.astimezone(tz).date().isoformat()


def local_hour(moment: datetime, tz: ZoneInfo) -> str:
    """The start of the local hour ``moment`` falls in, ISO with its UTC offset (a repeated
    hour at the end of summer time is two hours, told apart by their offsets)."""
    local = moment.astimezone(tz)
    return local.replace(minute=0, second=0, microsecond=0).isoformat()


HOUR_S = 3600
DAY_S = 86400
GRAINS = (BUCKET_S, HOUR_S, DAY_S)  # the rollup tiers: 15-minute, hourly and daily UTC rows
_COARSER = {BUCKET_S: HOUR_S, HOUR_S: DAY_S}


def cover(start: int, end: int) -> list[tuple[int, int, int]]:
    """``[start, end)`` (epoch seconds on bucket boundaries) as ``(grain, first, stop)``
    pieces that cover it exactly once: whole UTC days read from the daily tier, whole hours
    at their edges from the hourly one, and 15-minute buckets only where the range starts or
    ends inside an hour (a zone 30 or 45 minutes off the hour)."""
    if start % BUCKET_S or end % BUCKET_S:
        raise ValueError("a range to cover starts and ends on bucket boundaries")
    pieces: list[tuple[int, int, int]] = []

    def split(grain: int, first: int, stop: int) -> None:
        coarser = _COARSER.get(grain)
        inner_first = 0 if coarser is None else -(-first // coarser) * coarser
        inner_stop = 0 if coarser is None else stop // coarser * coarser
        if coarser is None or inner_first >= inner_stop:
            pieces.append((grain, first, stop))
            return
        pieces.append((grain, first, inner_first))
        split(coarser, inner_first, inner_stop)
        pieces.append((grain, inner_stop, stop))

    if start < end:
        split(BUCKET_S, start, end)
    return [piece for piece in pieces if piece[1] < piece[2]]


def plan(bounds: Sequence[int]) -> dict[int, list[tuple[int, int]]]:
    """The rows to read for ``[bounds[0], bounds[-1])`` split at every bound (the starts of a
    report's days or hours, epoch seconds): per tier's grain, its ranges, contiguous pieces
    merged. No row read crosses a bound, so each falls in one day or hour of the report."""
    ranges: dict[int, list[tuple[int, int]]] = {}
    for first, stop in itertools.pairwise(bounds):
        for grain, piece_first, piece_stop in cover(first, stop):
            found = ranges.setdefault(grain, [])
            if found and found[-1][1] == piece_first:
                found[-1] = (found[-1][0], piece_stop)
            else:
                found.append((piece_first, piece_stop))
    return ranges


def day_starts(first: date, last: date, tz: ZoneInfo) -> list[datetime]:
    """When each day ``first`` through ``last`` begins in ``tz``, and when the next begins."""
    return [day_start(first + timedelta(days=n), tz) for n in range((last - first).days + 2)]


def hour_starts(start: datetime, end: datetime, tz: ZoneInfo) -> list[datetime]:
    """When each local hour in ``tz`` between ``start`` and ``end`` (UTC, on bucket
    boundaries) begins, with ``start`` and ``end`` themselves."""
    starts = [start]
    moment = start + timedelta(seconds=BUCKET_S)
    while moment < end:
        if moment.astimezone(tz).minute == 0:
            starts.append(moment)
        moment += timedelta(seconds=BUCKET_S)
    starts.append(end)
    return starts
