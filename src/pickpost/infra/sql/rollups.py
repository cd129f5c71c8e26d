"""The rollups reports read (docs/reports.md).

``lead_rollups`` is recomputed from the ledger – leads, sales and approved returns – for every
15-minute bucket holding a lead whose ``updated_at`` is past the last refresh's mark, less an
overlap window (clocks of nodes differ, and a transaction may commit seconds after it stamped
its rows). Refreshers take turns (an advisory lock on PostgreSQL, the write lock on SQLite), so
a slow one never writes stale numbers over a fresh one's. ``traffic_rollups`` is added to by
the traffic counter (``infra/sql/traffic.py``); both are read here.
"""

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from pickpost.domain.buckets import BUCKET_S
from pickpost.domain.reports import (
    NOBODY,
    LeadRollup,
    LeadTestFilter,
    ReportQuery,
    TrafficRollup,
)
from pickpost.infra.sql import schema
from pickpost.infra.sql.rows import at, utc

MARK = "leads"
_LOCK_ROW = "leads.lock"
_LOCK_KEY = 0x70696B6C  # pg_advisory_xact_lock key of the lead rollup refresh
_CHUNK = 200  # buckets recomputed per statement
DIMENSIONS = frozenset({"bucket", "campaign", "supplier", "buyer"})

leads, sales, returns = schema.leads.c, schema.sales.c, schema.returns.c
lead_rollups, traffic_rollups = schema.lead_rollups.c, schema.traffic_rollups.c


def _bucket_epoch(column: Any, dialect: str) -> sa.ColumnElement[int]:
    """The start of the 15-minute UTC bucket of a timestamp column, in epoch seconds."""
    if dialect == "sqlite":
        seconds: Any = sa.cast(sa.func.strftime("%s", column), sa.Integer)
        return (seconds // BUCKET_S) * BUCKET_S  # type: ignore[no-any-return]
    epoch = sa.extract("epoch", column)
    return sa.cast(sa.func.floor(epoch / BUCKET_S) * BUCKET_S, sa.BigInteger)


def _total(column: Any) -> sa.ColumnElement[int]:
    return sa.func.coalesce(sa.func.sum(column), 0)


class SqlRollups:
    def __init__(self, engine: AsyncEngine, overlap_s: float = 120.0) -> None:
        self._engine = engine
        self._dialect = engine.dialect.name
        self._overlap = timedelta(seconds=overlap_s)
        self._turn = asyncio.Lock()  # one refresh at a time in this process

    async def refresh(self) -> int:
        async with self._turn, self._engine.begin() as conn:
            started = datetime.now(UTC)
            await self._take_turn(conn, started)
            mark = (
                await conn.execute(
                    sa.select(schema.rollup_marks.c.at).where(schema.rollup_marks.c.name == MARK)
                )
            ).scalar()
            bucket = _bucket_epoch(leads.created_at, self._dialect)
            changed = sa.select(bucket).distinct()
            if mark is not None:
                changed = changed.where(leads.updated_at >= utc(mark) - self._overlap)
            buckets = sorted(int(b) for b in (await conn.execute(changed)).scalars())
            for start in range(0, len(buckets), _CHUNK):
                await self._recompute(conn, buckets[start : start + _CHUNK])
            await self._set_mark(conn, MARK, started)
        return len(buckets)

    async def _take_turn(self, conn: AsyncConnection, now: datetime) -> None:
        """Wait for any other node's refresh to commit: from here on this one reads the
        ledger as that one left it."""
        if self._dialect == "postgresql":
            await conn.execute(sa.select(sa.func.pg_advisory_xact_lock(_LOCK_KEY)))
        else:  # a write takes SQLite's one write lock, held to the end of the transaction
            await self._set_mark(conn, _LOCK_ROW, now)

    async def _set_mark(self, conn: AsyncConnection, name: str, moment: datetime) -> None:
        table = schema.rollup_marks
        insert = sqlite.insert(table) if self._dialect == "sqlite" else postgresql.insert(table)
        await conn.execute(
            insert.values(name=name, at=moment).on_conflict_do_update(
                index_elements=["name"], set_={"at": moment}
            )
        )

    async def _recompute(self, conn: AsyncConnection, buckets: Sequence[int]) -> None:
        bucket = _bucket_epoch(leads.created_at, self._dialect)
        first, last = at(buckets[0]), at(buckets[-1] + BUCKET_S)
        # The range lets the index on created_at find the rows; the list picks the buckets.
        within = sa.and_(
            leads.created_at >= first, leads.created_at < last, bucket.in_(list(buckets))
        )
        lead_rows = await conn.execute(
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
        sale_rows = await conn.execute(
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
        await conn.execute(
            schema.lead_rollups.delete().where(lead_rollups.bucket.in_([at(b) for b in buckets]))
        )
        if rows:
            await conn.execute(schema.lead_rollups.insert(), rows)

    async def read(
        self, query: ReportQuery, dimensions: frozenset[str]
    ) -> tuple[list[LeadRollup], list[TrafficRollup]]:
        start, end = query.window()
        async with self._engine.connect() as conn:
            lead_rows = await conn.execute(
                _summed(lead_rollups, query, dimensions, start, end, "status").add_columns(
                    _total(lead_rollups.count),
                    _total(lead_rollups.price_cents),
                    _total(lead_rollups.payout_cents),
                    _total(lead_rollups.returned),
                    _total(lead_rollups.returned_price_cents),
                    _total(lead_rollups.returned_payout_cents),
                )
            )
            found_leads = [
                LeadRollup(
                    None if r[0] is None else utc(r[0]), r[1], r[2], r[3], r[4], *map(int, r[5:])
                )
                for r in lead_rows
            ]
            traffic_rows = await conn.execute(
                _summed(traffic_rollups, query, dimensions, start, end, "metric").add_columns(
                    _total(traffic_rollups.count),
                    _total(traffic_rollups.sum_cents),
                    sa.func.coalesce(sa.func.sum(traffic_rollups.sum_ms), 0.0),
                )
            )
            found_traffic = [
                TrafficRollup(
                    None if r[0] is None else utc(r[0]),
                    r[1],
                    r[2],
                    r[3],
                    r[4],
                    int(r[5]),
                    int(r[6]),
                    float(r[7]),
                )
                for r in traffic_rows
            ]
        return found_leads, found_traffic


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


def _summed(
    columns: Any,
    query: ReportQuery,
    dimensions: frozenset[str],
    start: datetime,
    end: datetime,
    kind: str,
) -> sa.Select[Any]:
    """A select of one rollup table's rows in the query's window and filters, grouped by
    ``dimensions`` (the others read as NULL), the buyer and ``kind`` (status or metric)."""
    picked: list[Any] = [
        columns.bucket if "bucket" in dimensions else sa.null(),
        columns.campaign_id if "campaign" in dimensions else sa.null(),
        columns.supplier_id if "supplier" in dimensions else sa.null(),
    ]
    grouped = [c for c in picked if not isinstance(c, sa.Null)]
    conditions: list[sa.ColumnElement[bool]] = [columns.bucket >= start, columns.bucket < end]
    if query.campaigns:
        conditions.append(columns.campaign_id.in_(sorted(query.campaigns)))
    if query.suppliers:
        # NOBODY (a scoped user asking for another's) matches nothing; PostgreSQL refuses NUL.
        conditions.append(columns.supplier_id.in_(sorted(query.suppliers - {NOBODY})))
    if query.buyers:
        conditions.append(columns.buyer_id.in_(sorted(query.buyers - {NOBODY})))
    if query.test is not LeadTestFilter.INCLUDE:
        conditions.append(columns.test == (query.test is LeadTestFilter.ONLY))
    by = getattr(columns, kind)
    return (
        sa.select(*picked, columns.buyer_id, by)
        .where(*conditions)
        .group_by(*grouped, columns.buyer_id, by)
    )
