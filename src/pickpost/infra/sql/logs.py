"""The log tables: pings with their buyer calls, and supplier requests."""

from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.ext.asyncio import AsyncEngine

from pickpost.domain.lead import PingLog, RequestLog
from pickpost.domain.ping import PingRecord
from pickpost.infra.personal_data import PersonalData
from pickpost.infra.sql import schema
from pickpost.infra.sql.one_hop import OneHop
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
    writer's CPU on SQLite (docs/benchmarks.md, "The server's own CPU per ping")."""

    def __init__(self, table: sa.Table, columns: Sequence[str], dialect: Dialect) -> None:
        compiled = table.insert().compile(dialect=dialect, column_keys=list(columns))
        self.sql = str(compiled)
        # The positional order of the compiled statement's parameters.
        order = compiled.positiontup or []
        self._convert: list[tuple[str, Callable[[Any], Any] | None]] = [
            (name, table.c[name].type.dialect_impl(dialect).bind_processor(dialect))
            for name in order
        ]

    def run(self, conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
        """In the transaction ``conn`` began, straight to the driver's ``executemany``."""
        convert = self._convert
        converted = [
            tuple(row[name] if to is None else to(row[name]) for name, to in convert)
            for row in rows
        ]
        cursor = conn.connection.cursor()
        try:
            cursor.executemany(self.sql, converted)
        finally:
            cursor.close()


class SqlLogStore:
    """Writes the logs in batches, behind the responses: encrypting their personal values
    here keeps that cost off the PING and POST answers."""

    def __init__(self, engine: AsyncEngine, personal: PersonalData) -> None:
        self._engine = engine
        self._personal = personal
        # On an SQLite file (the embedded mode, where the log shares the node's core) a batch is
        # one step on the ledger's writer thread, with prepared inserts by table and columns:
        # one hop, and a POST's ledger write that comes meanwhile waits in that thread's line
        # for the batch to end, instead of polling the file's lock in SQLite's backoff.
        # PostgreSQL's driver wants its own types, so it keeps SQLAlchemy's path.
        self._hop = OneHop.of(engine)
        self._prepared: dict[tuple[str, tuple[str, ...]], _PreparedInsert] = {}

    async def write_logs(self, pings: Sequence[PingLog], requests: Sequence[RequestLog]) -> None:
        personal = self._personal
        tables = [
            (table, rows)
            for table, rows in (
                (schema.pings, [sealed_ping_row(p.record, personal) for p in pings]),
                (
                    schema.buyer_calls,
                    [
                        call_row(c, p.record.ping_id, None, personal.seal_call)
                        for p in pings
                        for c in p.calls
                    ],
                ),
                (schema.requests, [request_row(r, personal) for r in requests]),
            )
            if rows
        ]
        if self._hop is not None:
            batch = [(self._prepared_for(table, rows), rows) for table, rows in tables]
            await self._hop.transaction(_insert_prepared, batch)
            return
        async with self._engine.begin() as conn:
            for table, rows in tables:
                await conn.execute(table.insert(), rows)

    def _prepared_for(self, table: sa.Table, rows: list[dict[str, Any]]) -> _PreparedInsert:
        columns = tuple(rows[0])  # every row of a table comes from one function, with its keys
        prepared = self._prepared.get((table.name, columns))
        if prepared is None:
            prepared = _PreparedInsert(table, columns, self._engine.dialect)
            self._prepared[(table.name, columns)] = prepared
        return prepared


def _insert_prepared(
    conn: Connection, batch: Sequence[tuple[_PreparedInsert, list[dict[str, Any]]]]
) -> None:
    for prepared, rows in batch:
        prepared.run(conn, rows)
