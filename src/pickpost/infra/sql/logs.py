"""The log tables: pings with their buyer calls, and supplier requests."""

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.ext.asyncio import AsyncEngine

from pickpost.domain.lead import PingLog, RequestLog
from pickpost.domain.ping import PingRecord
from pickpost.infra.personal_data import PersonalData
from pickpost.infra.sql import schema
from pickpost.infra.sql.engine import json_text
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


# Rows a prepared INSERT carries (``VALUES (…), (…), …``): SQLite runs one statement step per
# INSERT, and each step is a release and a retake of the GIL beside the event loop plus the
# driver's binding and reset; 16 rows of the widest log table stay far below SQLite's oldest
# limit of 999 parameters.
_ROWS_PER_INSERT = 16


class _PreparedInsert:
    """An INSERT of ``table`` compiled once, its rows converted as the columns' own bind
    processors convert them (so stored exactly as SQLAlchemy stores them) and sent to the
    driver as they are, several rows a statement. SQLAlchemy's work per executed row (parameter
    dictionaries, processing looked up per statement, a hop to the driver's thread per cursor
    operation) was most of the log writer's CPU on SQLite (docs/benchmarks.md, "The server's
    own CPU per ping")."""

    def __init__(self, table: sa.Table, columns: Sequence[str], dialect: Dialect) -> None:
        compiled = table.insert().compile(dialect=dialect, column_keys=list(columns))
        # "INSERT INTO t (a, b) VALUES (?, ?)": the head, and one row's placeholders.
        self._head, _, self._row = str(compiled).partition(" VALUES ")
        self._sql: dict[int, str] = {}
        # The positional order of the compiled statement's parameters.
        order = compiled.positiontup or []
        self._convert = [(name, _bind_processor(table.c[name], dialect)) for name in order]

    def run(self, conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
        """In the transaction ``conn`` began, straight to the driver: full statements of
        ``_ROWS_PER_INSERT`` rows in one ``executemany``, then one statement for the rest."""
        convert = self._convert
        values = [
            row[name] if to is None else to(row[name]) for row in rows for name, to in convert
        ]
        step = _ROWS_PER_INSERT * len(convert)
        full = len(rows) // _ROWS_PER_INSERT
        cursor = conn.connection.cursor()
        try:
            if full:
                chunks = [values[i * step : (i + 1) * step] for i in range(full)]
                cursor.executemany(self._sql_of(_ROWS_PER_INSERT), chunks)
            rest = len(rows) - full * _ROWS_PER_INSERT
            if rest:
                cursor.execute(self._sql_of(rest), values[full * step :])
        finally:
            cursor.close()

    def _sql_of(self, rows: int) -> str:
        sql = self._sql.get(rows)
        if sql is None:
            sql = self._sql[rows] = f"{self._head} VALUES {', '.join([self._row] * rows)}"
        return sql


def _bind_processor(column: sa.Column[Any], dialect: Dialect) -> Callable[[Any], Any] | None:
    """The column's bind processor, or an equivalent that costs less: a timestamp and the JSON
    columns were most of the conversion (docs/benchmarks.md, "The ping log's CPU").
    ``tests/integration/test_log_rows.py`` compares what both store, byte for byte."""
    impl = column.type.dialect_impl(dialect)
    if isinstance(impl, sa.JSON):
        # SQLAlchemy's processor wraps the engine's serializer (``None`` included: JSON ``null``) in
        # checks for its null markers, which log rows never hold.
        return json_text
    if isinstance(impl, sa.DateTime) and dialect.name == "sqlite":
        return _sqlite_timestamp
    return impl.bind_processor(dialect)


def _sqlite_timestamp(value: datetime | None) -> str | None:
    """SQLAlchemy's SQLite text of a timestamp (``2026-11-27 22:57:53.000000``: always six
    digits of microseconds, the zone left out) from the C ``isoformat``, not a %-format of
    seven attributes: a third less."""
    return None if value is None else value.isoformat(" ", "microseconds")[:26]


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
        seal = personal.call_sealer()
        tables = [
            (table, rows)
            for table, rows in (
                (schema.pings, [sealed_ping_row(p.record, personal) for p in pings]),
                (
                    schema.buyer_calls,
                    [call_row(c, p.record.ping_id, None, seal) for p in pings for c in p.calls],
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
