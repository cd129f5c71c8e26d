"""Rollups by local day of the time zones reports are read in (docs/reports.md, "Days in a
time zone").

A zone is kept from the first report read in it (up to ``MAX_ZONES``; UTC-like zones need
none): its rows are filled from the finer tiers then (``SqlRollups``), and from there on the
lead refresh recomputes its local days as it recomputes buckets, and every traffic flush adds
its counts to them. Filling a zone and adding traffic take turns – an advisory lock on
PostgreSQL (shared by flushes, exclusive for a fill), SQLite's one write lock – so a flush
either commits before the fill reads the finer rows, or finds the zone kept and adds to it.
"""

from collections.abc import Sequence
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from pickpost.domain.buckets import day_start_of
from pickpost.infra.sql import schema
from pickpost.infra.sql.rows import at, epoch

MAX_ZONES = 16  # zones kept; a report in yet another zone reads the finer tiers
_ZONES_LOCK = 0x70696B7A  # pg_advisory_xact_lock key: filling a zone vs adding traffic

report_zones = schema.report_zones.c


def kept_zones(conn: Connection) -> list[str]:
    found = conn.execute(sa.select(report_zones.zone).order_by(report_zones.zone))
    return list(found.scalars())


def traffic_turn(conn: Connection) -> None:
    """Before a flush's first write: wait for a zone being filled to commit (PostgreSQL; on
    SQLite the flush's first write waits for the filling transaction's write lock)."""
    if conn.dialect.name == "postgresql":
        conn.execute(sa.select(sa.func.pg_advisory_xact_lock_shared(_ZONES_LOCK)))


def fill_turn(conn: Connection) -> None:
    """Before a zone is filled: wait for flushes in flight to commit, and hold new ones."""
    if conn.dialect.name == "postgresql":
        conn.execute(sa.select(sa.func.pg_advisory_xact_lock(_ZONES_LOCK)))


def by_local_day(
    rows: Sequence[dict[str, Any]], zone: str, keys: Sequence[str], sums: Sequence[str]
) -> list[dict[str, Any]]:
    """Rows of 15-minute buckets summed into ``zone``'s days (``bucket``: when the day
    begins), in key order."""
    tz = ZoneInfo(zone)
    starts: dict[float, int] = {}
    summed: dict[tuple[Any, ...], dict[str, Any]] = {}
    for row in rows:
        moment = epoch(row["bucket"])
        start = starts.get(moment)
        if start is None:
            start = starts[moment] = day_start_of(int(moment), tz)
        key = (start, *(row[name] for name in keys))
        found = summed.get(key)
        if found is None:
            summed[key] = {**row, "zone": zone, "bucket": at(start)}
        else:
            for name in sums:
                total = found[name] + row[name]
                found[name] = round(total, 3) if isinstance(total, float) else total
    return [summed[key] for key in sorted(summed)]
