"""Writing a generated history (``pickpost seed``) into the ledger, in large chunks, with the
rows the live path writes: personal values sealed and hashed for lookups as a POST stores
them, outcomes as a finished sale stores them."""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from pickpost.domain.lead import NewLead
from pickpost.domain.outcomes import Exchange
from pickpost.infra.personal_data import PersonalData
from pickpost.infra.sql import schema
from pickpost.infra.sql.leads import consent_row, lead_row
from pickpost.infra.sql.logs import request_row, sealed_ping_row
from pickpost.infra.sql.rows import at, call_row
from pickpost.infra.sql.traffic import TrafficTiers
from pickpost.seed.history import DayHistory, SeededCall, SeededLead, SeededReturn, SeededSale

CHUNK = 5000  # rows per statement (SQLite)


async def has_leads(engine: AsyncEngine) -> bool:
    async with engine.connect() as conn:
        found = await conn.execute(sa.select(schema.leads.c.id).limit(1))
        return found.first() is not None


class SqlSeeder:
    """Writes the batches of a history; ``written_at`` is every seeded lead's ``updated_at``,
    so the rollups' next refresh (which reads the leads changed past its mark) takes in the
    whole history, even one appended behind rollups that are up to date."""

    def __init__(self, engine: AsyncEngine, personal: PersonalData, written_at: datetime) -> None:
        self._engine = engine
        self._personal = personal
        self._written_at = written_at
        self._postgres = engine.dialect.name == "postgresql"
        self._hashed: dict[tuple[str, str, object], list[dict[str, str]]] = {}
        self._traffic = TrafficTiers(engine.dialect.name)

    async def write(self, batch: DayHistory) -> None:
        """One batch, in one transaction: its leads and everything that refers to them."""
        personal = self._personal
        async with self._engine.begin() as conn:
            _insert = self._insert
            await _insert(conn, schema.pings, [sealed_ping_row(p, personal) for p in batch.pings])
            await _insert(conn, schema.leads, [self._lead(s) for s in batch.leads])
            await _insert(
                conn,
                schema.consents,
                [consent_row(s.consent, s.lead, personal) for s in batch.leads],
            )
            await _insert(
                conn,
                schema.lead_lookups,
                [row for s in batch.leads for row in self._lookups(s.lead)],
            )
            await _insert(conn, schema.sales, [_sale(s) for s in batch.sales])
            await _insert(conn, schema.buyer_calls, [self._call(c) for c in batch.calls])
            await _insert(conn, schema.requests, [request_row(r, personal) for r in batch.requests])
            await _insert(conn, schema.returns, [_return(r) for r in batch.returns])
            traffic = [
                {
                    "bucket": at(bucket),
                    "campaign_id": campaign_id,
                    "supplier_id": supplier_id,
                    "buyer_id": buyer_id,
                    "test": test,
                    "metric": metric,
                    "count": tally.count,
                    "sum_cents": tally.sum_cents,
                    "sum_ms": round(tally.sum_ms, 3),
                }
                for (bucket, campaign_id, supplier_id, buyer_id, test, metric), tally in (
                    batch.traffic.items()
                )
            ]
            await conn.run_sync(self._traffic.add, traffic)

    async def _insert(
        self, conn: AsyncConnection, table: sa.Table, rows: Sequence[dict[str, Any]]
    ) -> None:
        if not rows:
            return
        if self._postgres:
            await _copy(conn, table, rows)
            return
        await _executemany(conn, table, rows)

    def _lookups(self, lead: NewLead) -> list[dict[str, object]]:
        """The lead's lookup rows, hashed field by field by the live path's code; remembered,
        as fake people's names and phones repeat and hashing is a large part of the cost."""
        rows: list[dict[str, object]] = []
        for name, value in lead.fields.items():
            key = (lead.campaign_id, name, value)
            found = self._hashed.get(key)
            if found is None:
                if len(self._hashed) > 500_000:
                    self._hashed.clear()
                found = self._hashed[key] = self._personal.lookups(lead.campaign_id, {name: value})
            rows.extend({"lead_id": lead.lead_id, **row} for row in found)
        return rows

    def _lead(self, seeded: SeededLead) -> dict[str, object]:
        outcome = seeded.outcome
        row = lead_row(seeded.lead, self._personal)
        row.update(
            status=outcome.status.value,
            payout_cents=seeded.payout,
            outcome={"code": outcome.code, "message": outcome.message, "body": outcome.body},
            updated_at=self._written_at,
        )
        return row

    def _call(self, seeded: SeededCall) -> dict[str, object]:
        """The call's row as a live call's is written: its bodies as bytes on the wire,
        recorded (redacted, capped, sealed) by the same ``call_row``."""
        bodies = seeded.bodies
        sent = Exchange(
            bodies.request_headers,
            orjson.dumps(bodies.request_body),
            bodies.response_headers,
            None if bodies.response_body is None else orjson.dumps(bodies.response_body),
        )
        call = seeded.call._replace(exchange=sent)
        return call_row(call, seeded.ping_id, seeded.lead_id, self._personal.seal_call)


def _sale(seeded: SeededSale) -> dict[str, object]:
    attempt = seeded.attempt
    return {
        "lead_id": attempt.lead_id,
        "buyer_id": attempt.buyer_id,
        "bid_id": attempt.bid_id,
        "buyer_price_cents": attempt.buyer_price,
        "payout_cents": attempt.payout,
        "status": seeded.status.value,
        "reason": seeded.reason,
        "created_at": at(attempt.created_at),
        "updated_at": at(seeded.finished_at),
    }


def _return(seeded: SeededReturn) -> dict[str, object]:
    return {
        "lead_id": seeded.lead_id,
        "buyer_id": seeded.buyer_id,
        "reason": seeded.reason,
        "note": "",
        "status": seeded.status,
        "opened_by": f"buyer:{seeded.buyer_id}",
        "opened_at": at(seeded.opened_at),
        "decided_by": None if seeded.decided_at is None else "seed",
        "decided_at": None if seeded.decided_at is None else at(seeded.decided_at),
        "credit_cents": seeded.credit_cents,
        "chargeback_cents": seeded.chargeback_cents,
    }


async def _executemany(
    conn: AsyncConnection, table: sa.Table, rows: Sequence[dict[str, Any]]
) -> None:
    """Many INSERTs through the driver, each value encoded by its column type's own bind
    processor (so stored exactly as ``conn.execute(table.insert(), rows)`` stores it), without
    the per-row parameter building that costs more than SQLite's own work."""
    columns = list(rows[0])
    dialect = conn.dialect
    encoders = [
        table.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in columns
    ]
    statement = (
        f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
    )
    for start in range(0, len(rows), CHUNK):
        records = [
            tuple(
                value if encode is None or value is None else encode(value)
                for value, encode in zip(row.values(), encoders, strict=True)
            )
            for row in rows[start : start + CHUNK]
        ]
        await conn.exec_driver_sql(statement, records)


async def _copy(conn: AsyncConnection, table: sa.Table, rows: Sequence[dict[str, Any]]) -> None:
    """PostgreSQL's COPY through asyncpg: several times faster than INSERTs of many rows.
    (The rows keep the same keys as the INSERTs would bind, so both write the same values.)"""
    columns = list(rows[0])
    json = {name for name in columns if isinstance(table.c[name].type, sa.JSON)}
    records = [
        tuple(
            orjson.dumps(row[name]).decode()
            if name in json and row[name] is not None
            else row[name]
            for name in columns
        )
        for row in rows
    ]
    raw = await conn.get_raw_connection()
    copy = raw.driver_connection.copy_records_to_table  # type: ignore[union-attr]
    await copy(table.name, records=records, columns=columns)
