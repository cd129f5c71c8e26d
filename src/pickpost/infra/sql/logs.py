"""The log tables: pings with their buyer calls, and supplier requests."""

from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from pickpost.domain.lead import PingLog, RequestLog
from pickpost.domain.ping import PingRecord
from pickpost.infra.personal_data import PersonalData
from pickpost.infra.sql import schema
from pickpost.infra.sql.rows import at, call_row, ping_row


def sealed_ping_row(record: PingRecord, personal: PersonalData) -> dict[str, object]:
    """A ping's row with its personal values sealed."""
    row = ping_row(record)
    row["lead"] = personal.seal(record.campaign_id, record.lead)
    row["ping_values"] = personal.seal(record.campaign_id, record.ping_values)
    return row


def request_row(log: RequestLog, personal: PersonalData) -> dict[str, object]:
    """A supplier request's row. Refused requests too: what a supplier sent is personal until
    a campaign's fields say otherwise."""
    return {
        "id": log.request_id,
        "endpoint": log.endpoint,
        "received_at": at(log.received_at),
        "duration_ms": round(log.duration_ms, 3),
        "http_status": log.http_status,
        "code": log.code,
        "campaign_id": log.campaign_id,
        "supplier_id": log.supplier_id,
        "ping_id": log.ping_id,
        "lead_id": log.lead_id,
        "remote_addr": log.remote_addr,
        "request": personal.seal(log.campaign_id, log.request),
        "response": log.response,
    }


class _PreparedInsert:
    """An INSERT of ``table`` compiled once, its rows converted by the columns' own bind
    processors (so stored exactly as SQLAlchemy stores them) and sent to the driver as they
    are. SQLAlchemy's work per executed row (parameter dictionaries, processing looked up per
    statement, a hop to the driver's thread per cursor operation) was most of the log
    writer's CPU on SQLite (docs/benchmarks.md, "The server's
    own CPU per ping")."""

    def __init__(self, table: sa.Table, columns: Sequence[str], dialect: Dialect) -> None:
        compiled = table.insert().compile(dialect=dialect, column_keys=list(columns))
        self.sql = str(compiled)
        # The positional order of the compiled statement's parameters.
        order = compiled.positiontup or []
        self._convert: list[tuple[str, Callable[[Any], Any] | None]] = [
            (name, table.c[name].type.dialect_impl(dialect).bind_processor(dialect))
            for name in order
        ]

    async def run(self, conn: AsyncConnection, rows: Sequence[dict[str, Any]]) -> None:
        convert = self._convert
        converted = [
            tuple(row[name] if to is None else to(row[name]) for name, to in convert)
            for row in rows
        ]
        # Straight to the driver, in the transaction ``conn`` began: one hop to SQLite's
        # thread, where SQLAlchemy's own execution makes several (cursor, statement, close).
        driver = (await conn.get_raw_connection()).driver_connection
        assert driver is not None  # a connection in a transaction is open
        await driver.executemany(self.sql, converted)


class SqlLogStore:
    """Writes the logs in batches, behind the responses: encrypting their personal values
    here keeps that cost off the PING and POST answers."""

    def __init__(self, engine: AsyncEngine, personal: PersonalData) -> None:
        self._engine = engine
        self._personal = personal
        # On SQLite (the embedded mode, where the log shares the node's core) prepared
        # inserts, by table and columns; PostgreSQL's driver wants its own types, so it keeps
        # SQLAlchemy's path.
        self._prepared: dict[tuple[str, tuple[str, ...]], _PreparedInsert] | None = (
            {} if engine.dialect.name == "sqlite" else None
        )

    async def write_logs(self, pings: Sequence[PingLog], requests: Sequence[RequestLog]) -> None:
        personal = self._personal
        tables = (
            [sealed_ping_row(p.record, personal) for p in pings],
            [
                call_row(c, p.record.ping_id, None, personal.seal_call)
                for p in pings
                for c in p.calls
            ],
            [request_row(r, personal) for r in requests],
        )
        async with self._engine.begin() as conn:
            for table, rows in zip(
                (schema.pings, schema.buyer_calls, schema.requests), tables, strict=True
            ):
                if rows:
                    await self._insert(conn, table, rows)

    async def _insert(
        self, conn: AsyncConnection, table: sa.Table, rows: list[dict[str, Any]]
    ) -> None:
        if self._prepared is None:
            await conn.execute(table.insert(), rows)
            return
        columns = tuple(rows[0])  # every row of a table comes from one function, with its keys
        prepared = self._prepared.get((table.name, columns))
        if prepared is None:
            prepared = _PreparedInsert(table, columns, self._engine.dialect)
            self._prepared[(table.name, columns)] = prepared
        await prepared.run(conn, rows)
