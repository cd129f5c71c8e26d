"""The rollups reports read (docs/reports.md).

``lead_rollups`` is recomputed from the ledger – leads, sales and approved returns – for every
15-minute bucket holding a lead whose ``updated_at`` is past the last refresh's mark, less an
overlap window (clocks of nodes differ, and a transaction may commit seconds after it stamped
its rows). Refreshers take turns (an advisory lock on PostgreSQL, the write lock on SQLite), so
a slow one never writes stale numbers over a fresh one's. ``traffic_rollups`` is added to by
the traffic counter (``infra/sql/traffic.py``); both are read here, with their hourly, daily and
local-day tiers (``infra/sql/zoned.py``).
"""

import asyncio
import bisect
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from pickpost.domain.buckets import (
    BUCKET_S,
    DAY_S,
    HOUR_S,
    day_starts,
    differs_from_utc,
    hour_starts,
    plan,
)
from pickpost.domain.reports import (
    NOBODY,
    Grouping,
    LeadRollup,
    LeadTestFilter,
    ReportQuery,
    TrafficRollup,
)
from pickpost.infra.sql import schema
from pickpost.infra.sql import traffic as traffic_tiers
from pickpost.infra.sql.one_hop import Transactions
from pickpost.infra.sql.rows import at, utc
from pickpost.infra.sql.zoned import MAX_ZONES, fill_turn, kept_zones

MARK = "leads"
_LOCK_ROW = "leads.lock"
_LOCK_KEY = 0x70696B6C  # pg_advisory_xact_lock key of the lead rollup refresh
_CHUNK = 200  # buckets recomputed per statement
_LISTED = 2000  # bucket starts a read lists; past that, ranges
_CASE_UNITS = 400  # days or hours a read numbers in SQL; past that, by bucket in Python

leads, sales, returns = schema.leads.c, schema.sales.c, schema.returns.c
lead_rollups, traffic_rollups = schema.lead_rollups.c, schema.traffic_rollups.c


def _bucket_epoch(column: Any, dialect: str, grain: int = BUCKET_S) -> sa.ColumnElement[int]:
    """The start of the UTC bucket of ``grain`` seconds of a timestamp column, in epoch
    seconds."""
    if dialect == "sqlite":
        seconds: Any = sa.cast(sa.func.strftime("%s", column), sa.Integer)
        return (seconds // grain) * grain  # type: ignore[no-any-return]
    epoch = sa.extract("epoch", column)
    return sa.cast(sa.func.floor(epoch / grain) * grain, sa.BigInteger)


def _total(column: Any) -> sa.ColumnElement[int]:
    return sa.func.coalesce(sa.func.sum(column), 0)


class SqlRollups:
    def __init__(self, engine: AsyncEngine, overlap_s: float = 120.0) -> None:
        self._engine = engine
        self._dialect = engine.dialect.name
        self._transactions = Transactions(engine)
        self._overlap = timedelta(seconds=overlap_s)
        self._turn = asyncio.Lock()  # one refresh at a time in this process
        self._kept: set[str] = set()  # zones with rows of their own days (never unkept)

    async def refresh(self) -> int:
        async with self._turn:
            if await self._unchanged():
                return 0
            return await self._transactions.run(self._refresh)

    async def _unchanged(self) -> bool:
        """No lead changed since the last refresh's mark (less the overlap): the rollups are
        what a refresh would make, found without writing (nor waiting for a turn)."""
        async with self._engine.connect() as conn:
            mark = (
                await conn.execute(
                    sa.select(schema.rollup_marks.c.at).where(schema.rollup_marks.c.name == MARK)
                )
            ).scalar()
            if mark is None:
                return False
            since = utc(mark) - self._overlap
            found = await conn.execute(
                sa.select(leads.id).where(leads.updated_at >= since).limit(1)
            )
            return found.first() is None

    def _refresh(self, conn: Connection) -> int:
        """One transaction: on an SQLite file, one hop to the writer thread (``one_hop.py``)."""
        started = datetime.now(UTC)
        self._take_turn(conn, started)
        mark = conn.execute(
            sa.select(schema.rollup_marks.c.at).where(schema.rollup_marks.c.name == MARK)
        ).scalar()
        bucket = _bucket_epoch(leads.created_at, self._dialect)
        changed = sa.select(bucket).distinct()
        if mark is not None:
            changed = changed.where(leads.updated_at >= utc(mark) - self._overlap)
        buckets = sorted(int(b) for b in conn.execute(changed).scalars())
        for run in runs(buckets, BUCKET_S):
            self._recompute(conn, run)
        hours = sorted({b // HOUR_S * HOUR_S for b in buckets})
        _roll_up(conn, schema.lead_rollups, schema.lead_rollups_hourly, HOUR_S, hours)
        days = sorted({h // DAY_S * DAY_S for h in hours})
        _roll_up(conn, schema.lead_rollups_hourly, schema.lead_rollups_daily, DAY_S, days)
        _refresh_zoned(conn, buckets)
        self._set_mark(conn, MARK, started)
        return len(buckets)

    def _take_turn(self, conn: Connection, now: datetime) -> None:
        """Wait for any other node's refresh to commit: from here on this one reads the
        ledger as that one left it."""
        if self._dialect == "postgresql":
            conn.execute(sa.select(sa.func.pg_advisory_xact_lock(_LOCK_KEY)))
        else:  # a write takes SQLite's one write lock, held to the end of the transaction
            self._set_mark(conn, _LOCK_ROW, now)

    def _set_mark(self, conn: Connection, name: str, moment: datetime) -> None:
        table = schema.rollup_marks
        insert = sqlite.insert(table) if self._dialect == "sqlite" else postgresql.insert(table)
        conn.execute(
            insert.values(name=name, at=moment).on_conflict_do_update(
                index_elements=["name"], set_={"at": moment}
            )
        )

    def _recompute(self, conn: Connection, buckets: Sequence[int]) -> None:
        bucket = _bucket_epoch(leads.created_at, self._dialect)
        first, last = at(buckets[0]), at(buckets[-1] + BUCKET_S)
        # One run of consecutive buckets: the index on created_at finds its rows.
        within = sa.and_(leads.created_at >= first, leads.created_at < last)
        lead_rows = conn.execute(
            sa.select(
                bucket,
                leads.campaign_id,
                leads.supplier_id,
                leads.test,
                leads.status,
                sa.func.count(),
                _total(leads.payout_cents),
            )
            .where(within)
            .group_by(bucket, leads.campaign_id, leads.supplier_id, leads.test, leads.status)
        )
        rows: list[dict[str, object]] = [
            _row(b, campaign, supplier, "", test, status, count, 0, payout, 0, 0, 0)
            for b, campaign, supplier, test, status, count, payout in lead_rows
        ]
        approved = sa.and_(
            returns.lead_id == sales.lead_id,
            returns.buyer_id == sales.buyer_id,
            returns.status == "approved",
        )
        sale_rows = conn.execute(
            sa.select(
                bucket,
                leads.campaign_id,
                leads.supplier_id,
                sales.buyer_id,
                leads.test,
                sales.status,
                sa.func.count(),
                _total(sales.buyer_price_cents),
                _total(sales.payout_cents),
                sa.func.count(returns.id),
                _total(returns.credit_cents),
                _total(returns.chargeback_cents),
            )
            .select_from(
                schema.sales.join(schema.leads, leads.id == sales.lead_id).outerjoin(
                    schema.returns, approved
                )
            )
            .where(within)
            .group_by(
                bucket,
                leads.campaign_id,
                leads.supplier_id,
                sales.buyer_id,
                leads.test,
                sales.status,
            )
        )
        rows += [_row(*values) for values in sale_rows]
        conn.execute(
            schema.lead_rollups.delete().where(lead_rollups.bucket.in_([at(b) for b in buckets]))
        )
        if rows:
            conn.execute(schema.lead_rollups.insert(), rows)

    async def read(
        self, query: ReportQuery, dimensions: frozenset[str]
    ) -> tuple[list[LeadRollup], list[TrafficRollup]]:
        """Sums of the query's rows, computed in SQL from the fewest rollup rows: whole local
        days of a kept zone from its own rows, else whole UTC days from the daily tier, whole
        hours from the hourly one, quarter hours at the edges (``domain.buckets.plan``). With
        a time grouping, each row's bucket is the start of the local day or hour it belongs
        to."""
        start, end = query.window()
        by_hour = "bucket" in dimensions and Grouping.DAY not in query.group_by
        if by_hour:
            bounds = hour_starts(start, end, query.tz)
        elif "bucket" in dimensions:
            bounds = day_starts(query.start, query.end, query.tz)
        else:
            bounds = [start, end]
        span = _Span([int(b.timestamp()) for b in bounds], bounds)
        zoned = not by_hour and await self._keeps(query.tz)
        async with self._engine.connect() as conn:
            leads = await conn.run_sync(_sums, _LEADS, query, dimensions, span, zoned)
            traffic = await conn.run_sync(_sums, _TRAFFIC, query, dimensions, span, zoned)
        return (
            [LeadRollup(k[0], k[1], k[2], k[3], k[4], *v) for k, v in leads.items()],
            [
                TrafficRollup(k[0], k[1], k[2], k[3], k[4], int(v[0]), int(v[1]), v[2])
                for k, v in traffic.items()
            ],
        )

    async def _keeps(self, tz: ZoneInfo) -> bool:
        """Whether ``tz`` has rows of its own days, keeping it from now on if it has not and
        there is room (its days differ from UTC's, fewer than ``MAX_ZONES`` kept)."""
        if tz.key in self._kept:
            return True
        if not differs_from_utc(tz, datetime.now(UTC).year):
            return False
        async with self._engine.connect() as conn:
            self._kept.update(await conn.run_sync(kept_zones))
        if tz.key in self._kept or len(self._kept) >= MAX_ZONES:
            return tz.key in self._kept
        async with self._turn:
            if tz.key not in self._kept:
                await self._transactions.run(self._keep, tz)
                self._kept.add(tz.key)
        return True

    def _keep(self, conn: Connection, tz: ZoneInfo) -> None:
        """Fill ``tz``'s rows from the finer tiers and list it as kept, in one transaction
        that neither a refresh nor a traffic flush runs beside."""
        now = datetime.now(UTC)
        self._take_turn(conn, now)
        fill_turn(conn)
        table = schema.report_zones
        insert = sqlite.insert(table) if self._dialect == "sqlite" else postgresql.insert(table)
        added = conn.execute(insert.values(zone=tz.key, kept_since=now).on_conflict_do_nothing())
        if added.rowcount:  # else another node kept it first
            _fill(conn, tz)


class _Span:
    """A read's bounds (the starts of its days or hours, and the end), in epoch seconds and
    as instants, and the finer tiers' rows that cover them (``domain.buckets.plan``)."""

    def __init__(self, edges: Sequence[int], starts: Sequence[datetime]) -> None:
        self.edges = edges
        self.starts = starts
        self.ranges = plan(edges)

    def unit(self, found: int | datetime | None) -> datetime | None:
        """The start of the day or hour numbered ``found``, or holding bucket ``found``."""
        if found is None:
            return None
        if isinstance(found, datetime):
            moment = int(utc(found).timestamp())
            return self.starts[bisect.bisect_right(self.edges, moment) - 1]
        return self.starts[int(found)]


_BY_TEST = frozenset({"bucket", "campaign", "supplier", "buyer", "test"})  # each row of a tier
_LEAD_TIERS = (
    (BUCKET_S, schema.lead_rollups),
    (HOUR_S, schema.lead_rollups_hourly),
    (DAY_S, schema.lead_rollups_daily),
)
_TRAFFIC_TIERS = traffic_tiers.TIERS


def _sources(
    tiers: Sequence[tuple[int, sa.Table]], zoned: sa.Table, tz: ZoneInfo, span: _Span, kept: bool
) -> list[tuple[Any, int, Sequence[tuple[int, int]], list[Any]]]:
    """The tables a read sums: a kept zone's own rows over the whole span, else the tiers'
    rows of ``span.ranges``."""
    if kept:
        whole = [(span.edges[0], span.edges[-1])]
        return [(zoned.c, DAY_S, whole, [zoned.c.zone == tz.key])]
    return [(t.c, grain, span.ranges[grain], []) for grain, t in tiers if grain in span.ranges]


@dataclass(frozen=True, slots=True)
class _Kind:
    """Lead rows (by ``status``) or traffic rows (by ``metric``): their tiers, their local-day
    table, the columns summed and how each sum is read back."""

    by: str
    tiers: Sequence[tuple[int, sa.Table]]
    zoned: sa.Table
    sums: tuple[str, ...]

    def totals(self, columns: Any) -> list[Any]:
        return [
            sa.func.coalesce(sa.func.sum(columns[name]), 0.0 if name == "sum_ms" else 0)
            for name in self.sums
        ]

    def values(self, row: Sequence[Any]) -> list[Any]:
        return [
            float(v) if name == "sum_ms" else int(v) for name, v in zip(self.sums, row, strict=True)
        ]


_LEADS = _Kind(
    "status",
    _LEAD_TIERS,
    schema.lead_rollups_zoned,
    (
        "count",
        "price_cents",
        "payout_cents",
        "returned",
        "returned_price_cents",
        "returned_payout_cents",
    ),
)
_TRAFFIC = _Kind(
    "metric", _TRAFFIC_TIERS, schema.traffic_rollups_zoned, ("count", "sum_cents", "sum_ms")
)


def _sums(
    conn: Connection,
    kind: _Kind,
    query: ReportQuery,
    dimensions: frozenset[str],
    span: _Span,
    kept: bool,
) -> dict[tuple[Any, ...], list[Any]]:
    """Keys (unit, campaign, supplier, buyer, status or metric[, test]) to the sums."""
    sums: dict[tuple[Any, ...], list[Any]] = {}
    for columns, grain, ranges, extra in _sources(kind.tiers, kind.zoned, query.tz, span, kept):
        picked = _summed(columns, grain, query, dimensions, ranges, span.edges, kind.by)
        found = conn.execute(picked.where(*extra).add_columns(*kind.totals(columns)))
        width = len(found.keys()) - len(kind.sums)
        for row in found:
            _add(sums, (span.unit(row[0]), *row[1:width]), kind.values(row[width:]))
    return sums


def _days_span(first: date, last: date, tz: ZoneInfo) -> _Span:
    bounds = day_starts(first, last, tz)
    return _Span([int(b.timestamp()) for b in bounds], bounds)


def _zoned_rows(
    conn: Connection, tz: ZoneInfo, first: date, last: date, kind: _Kind
) -> list[dict[str, Any]]:
    """``tz``'s local-day rows (lead or traffic) of days ``first`` through ``last``, summed
    from the finer tiers as they stand in this transaction."""
    rows: list[dict[str, Any]] = []
    span = _days_span(first, last, tz)
    query = ReportQuery(first, last, tz, (Grouping.DAY,), test=LeadTestFilter.INCLUDE)
    keys = ("bucket", "campaign_id", "supplier_id", "buyer_id", kind.by, "test")
    for key, values in (_sums(conn, kind, query, _BY_TEST, span, False)).items():
        row = dict(zip(keys, key, strict=True))
        row.update(zip(kind.sums, values, strict=True), zone=tz.key)
        rows.append({k: round(v, 3) if isinstance(v, float) else v for k, v in row.items()})
    return rows


def _insert(conn: Connection, table: sa.Table, rows: Sequence[dict[str, Any]]) -> None:
    for start in range(0, len(rows), 5000):
        conn.execute(table.insert(), rows[start : start + 5000])


def _fill(conn: Connection, tz: ZoneInfo) -> None:
    """Every local day of ``tz`` that the finer tiers hold, written as its rows."""
    firsts, lasts = [], []
    for table in (schema.lead_rollups, schema.traffic_rollups):
        low, high = (
            conn.execute(sa.select(sa.func.min(table.c.bucket), sa.func.max(table.c.bucket)))
        ).one()
        if low is not None:
            firsts.append(utc(low))
            lasts.append(utc(high))
    if not firsts:
        return
    first, last = min(firsts).astimezone(tz).date(), max(lasts).astimezone(tz).date()
    zoned = _zoned_rows(conn, tz, first, last, _LEADS)
    _insert(conn, schema.lead_rollups_zoned, zoned)
    zoned = _zoned_rows(conn, tz, first, last, _TRAFFIC)
    _insert(conn, schema.traffic_rollups_zoned, zoned)


def _refresh_zoned(conn: Connection, buckets: Sequence[int]) -> None:
    """Recompute the local-day lead rows of every kept zone's days holding ``buckets``."""
    table = schema.lead_rollups_zoned
    for zone in kept_zones(conn):
        tz = ZoneInfo(zone)
        days = sorted({at(b).astimezone(tz).date() for b in buckets})
        for run in _date_runs(days):
            starts = [at(b) for b in _days_span(run[0], run[-1], tz).edges[:-1]]
            conn.execute(table.delete().where(table.c.zone == zone, table.c.bucket.in_(starts)))
            _insert(conn, table, _zoned_rows(conn, tz, run[0], run[-1], _LEADS))


def _date_runs(days: Sequence[date]) -> list[Sequence[date]]:
    """Sorted ``days`` as runs of consecutive days."""
    return [[date.fromordinal(n) for n in run] for run in runs([d.toordinal() for d in days], 1)]


def _add(sums: dict[tuple[Any, ...], list[Any]], key: tuple[Any, ...], values: list[Any]) -> None:
    found = sums.get(key)
    if found is None:
        sums[key] = values
    else:
        for n, value in enumerate(values):
            found[n] += value


def runs(starts: Sequence[int], grain: int) -> list[Sequence[int]]:
    """Sorted bucket ``starts`` as runs of consecutive buckets (at most ``_CHUNK`` each): a
    statement reads one run's range through the index, never the rows between two runs
    far apart (a return on a month-old lead and today's leads)."""
    found: list[Sequence[int]] = []
    first = 0
    for n in range(1, len(starts) + 1):
        if n == len(starts) or starts[n] != starts[n - 1] + grain or n - first == _CHUNK:
            found.append(starts[first:n])
            first = n
    return found


def _roll_up(
    conn: Connection, source: sa.Table, target: sa.Table, grain: int, starts: Sequence[int]
) -> None:
    """Recompute ``target``'s rows of the buckets of ``grain`` seconds beginning at ``starts``
    from the finer rows of ``source``."""
    columns = source.c
    bucket = _bucket_epoch(columns.bucket, conn.dialect.name, grain)
    keys = (
        columns.campaign_id,
        columns.supplier_id,
        columns.buyer_id,
        columns.test,
        columns.status,
    )
    sums = [c for c in columns if c.name not in target.primary_key.columns]
    for chunk in runs(starts, grain):
        found = conn.execute(
            sa.select(bucket, *keys, *(sa.func.sum(c) for c in sums))
            .where(
                columns.bucket >= at(chunk[0]),
                columns.bucket < at(chunk[-1] + grain),
            )
            .group_by(bucket, *keys)
        )
        names = ["bucket", *(k.name for k in keys), *(c.name for c in sums)]
        rows = [dict(zip(names, row, strict=True)) for row in found]
        for row in rows:
            row["bucket"] = at(int(row["bucket"]))
            for c in sums:
                row[c.name] = int(row[c.name])
        conn.execute(target.delete().where(target.c.bucket.in_([at(b) for b in chunk])))
        if rows:
            conn.execute(target.insert(), rows)


def _row(
    bucket: int,
    campaign_id: str,
    supplier_id: str,
    buyer_id: str,
    test: bool,
    status: str,
    count: int,
    price: int,
    payout: int,
    returned: int,
    returned_price: int,
    returned_payout: int,
) -> dict[str, object]:
    return {
        "bucket": at(int(bucket)),
        "campaign_id": campaign_id,
        "supplier_id": supplier_id,
        "buyer_id": buyer_id,
        "test": bool(test),
        "status": status,
        "count": int(count),
        "price_cents": int(price),
        "payout_cents": int(payout),
        "returned": int(returned),
        "returned_price_cents": int(returned_price),
        "returned_payout_cents": int(returned_payout),
    }


def _within(bucket: Any, grain: int, ranges: Sequence[tuple[int, int]]) -> sa.ColumnElement[bool]:
    """``bucket`` (of ``grain`` seconds) in one of ``ranges``: one range, or the buckets'
    starts listed (each found through the index, where a disjunction of ranges makes SQLite
    scan the table), or for very many, the ranges inside their common bounds."""
    if len(ranges) == 1:
        return sa.and_(bucket >= at(ranges[0][0]), bucket < at(ranges[0][1]))
    starts = [at(b) for first, stop in ranges for b in range(first, stop, grain)]
    if len(starts) <= _LISTED:
        return bucket.in_(starts)  # type: ignore[no-any-return]
    return sa.and_(
        bucket >= at(ranges[0][0]),
        bucket < at(ranges[-1][1]),
        sa.or_(*(sa.and_(bucket >= at(a), bucket < at(b)) for a, b in ranges)),
    )


def _summed(
    columns: Any,
    grain: int,
    query: ReportQuery,
    dimensions: frozenset[str],
    ranges: Sequence[tuple[int, int]],
    edges: Sequence[int],
    kind: str,
) -> sa.Select[Any]:
    """A select of one tier's rows in ``ranges`` and the query's filters, grouped by
    ``dimensions`` (the others read as NULL; the bucket as the number of the report's day
    or hour it falls in; without the buyer, a lead's row apart from its sales) and ``kind``
    (status or metric)."""
    unit: Any = sa.null()
    if "bucket" in dimensions and len(edges) > _CASE_UNITS + 1:
        unit = columns.bucket  # many hours: each bucket, placed in its hour by the caller
    elif "bucket" in dimensions and len(edges) == 2:
        unit = sa.literal_column("0")  # one day or hour
    elif "bucket" in dimensions:
        unit = sa.case(
            *((columns.bucket < at(edge), n) for n, edge in enumerate(edges[1:-1])),
            else_=len(edges) - 2,
        )
    picked: list[Any] = [
        unit,
        columns.campaign_id if "campaign" in dimensions else sa.null(),
        columns.supplier_id if "supplier" in dimensions else sa.null(),
    ]
    grouped = [c for c in picked if not isinstance(c, sa.Null)]
    if "bucket" in dimensions and unit is not columns.bucket:
        # By the output column's name: the CASE's bound values would make a second copy of
        # it in GROUP BY look like another expression to PostgreSQL.
        picked[0] = unit.label("unit")
        grouped[0] = sa.literal_column("unit")
    conditions = [_within(columns.bucket, grain, ranges)]
    if query.campaigns:
        conditions.append(columns.campaign_id.in_(sorted(query.campaigns)))
    if query.suppliers:
        # NOBODY (a scoped user asking for another's) matches nothing; PostgreSQL refuses NUL.
        conditions.append(columns.supplier_id.in_(sorted(query.suppliers - {NOBODY})))
    if query.buyers:
        conditions.append(columns.buyer_id.in_(sorted(query.buyers - {NOBODY})))
    if query.test is not LeadTestFilter.INCLUDE:
        conditions.append(columns.test == (query.test is LeadTestFilter.ONLY))
    buyer: Any = columns.buyer_id
    if "buyer" in dimensions:
        grouped.append(buyer)
    elif kind == "status":
        # Not by buyer: the lead's own row ('') apart from its sales to any buyer ('*').
        buyer = sa.case((columns.buyer_id == "", ""), else_="*").label("side")
        grouped.append(sa.literal_column("side"))
    else:  # a traffic metric is one side's whatever the buyer
        buyer = sa.literal_column("''")
    by = getattr(columns, kind)
    tested = [columns.test] if "test" in dimensions else []
    return sa.select(*picked, buyer, by, *tested).where(*conditions).group_by(*grouped, by, *tested)
