"""Migration 0011 (fewer index entries per ping in the log tables) keeps every log row, and a
lead's timeline still reads its buyer calls and requests by the lead's index, on SQLite and on
PostgreSQL."""

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from pickpost.infra.sql import schema
from pickpost.infra.sql.engine import make_engine
from pickpost.infra.sql.migrate import upgrade
from pickpost.infra.sql.views import _about
from tests.support.databases import deployment_urls

_CALL = (
    "INSERT INTO buyer_calls (ping_id, lead_id, buyer_id, step, url, outcome, reason, latency_ms,"
    " started_at, request_headers) VALUES (:ping, :lead, 'b', 'ping', 'http://b', 'bid', '', 1.5,"
    " '2026-11-27 10:00:00', '{\"Content-Type\": \"application/json\"}')"
)
_REQUEST = (
    "INSERT INTO requests (id, endpoint, received_at, duration_ms, http_status, code, ping_id,"
    " lead_id, request, response) VALUES (:id, '/ping', '2026-11-27 10:00:00', 2.5, 200, 0,"
    " :ping, :lead, '{}', '{}')"
)


@pytest.fixture(params=["sqlite", "postgres"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with deployment_urls(request.param, tmp_path) as (url, _):
        yield url


def _run(url: str, *statements: tuple[str, dict[str, object]]) -> list[list[tuple[object, ...]]]:
    async def run() -> list[list[tuple[object, ...]]]:
        engine = make_engine(url)
        try:
            async with engine.begin() as conn:
                results = []
                for sql, params in statements:
                    result = await conn.execute(sa.text(sql), params)
                    results.append([tuple(r) for r in result] if result.returns_rows else [])
                return results
        finally:
            await engine.dispose()

    return asyncio.run(run())


def _log_rows(url: str) -> list[list[tuple[object, ...]]]:
    return _run(
        url,
        ("SELECT * FROM buyer_calls ORDER BY id", {}),
        ("SELECT * FROM requests ORDER BY id", {}),
    )


def test_the_migration_keeps_every_log_row(database: str) -> None:
    upgrade(database, "0010")
    _run(
        database,
        (_CALL, {"ping": "p_1", "lead": None}),
        (_CALL, {"ping": "p_1", "lead": "l_1"}),
        (_CALL, {"ping": None, "lead": "l_2"}),
        (_REQUEST, {"id": "r_1", "ping": "p_1", "lead": None}),
        (_REQUEST, {"id": "r_2", "ping": "p_1", "lead": "l_1"}),
    )
    before = _log_rows(database)
    upgrade(database)
    assert [len(rows) for rows in before] == [3, 2]
    assert _log_rows(database) == before
    assert _index_definitions(database) == {
        "ix_buyer_calls_lead_id": "lead_id IS NOT NULL",
        "ix_requests_lead_id": "lead_id IS NOT NULL",
    }


def _index_definitions(url: str) -> dict[str, str]:
    """The log tables' indexes on ``lead_id`` or ``received_at`` alone, by name: the condition
    of a partial one, else ""."""
    if url.startswith("sqlite"):
        query = "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
    else:
        query = "SELECT indexname, indexdef FROM pg_indexes"
    [rows] = _run(url, (query, {}))
    wanted = {
        f"ix_{t}_{c}" for t in ("buyer_calls", "requests") for c in ("lead_id", "received_at")
    }
    found = {}
    for name, sql in rows:
        if name in wanted:
            _, _, condition = str(sql).partition(" WHERE ")
            found[str(name)] = condition.strip("() ").replace("(lead_id", "lead_id")
    return found


def _plan(url: str, query: sa.Select[tuple[object]]) -> str:
    async def run() -> str:
        engine = make_engine(url)
        try:
            async with engine.begin() as conn:
                explain = "EXPLAIN QUERY PLAN"
                if engine.dialect.name == "postgresql":
                    explain = "EXPLAIN"
                    # A few rows: without this PostgreSQL reads the table whole, index or not.
                    await conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
                compiled = query.compile(engine, compile_kwargs={"literal_binds": True})
                rows = await conn.exec_driver_sql(f"{explain} {compiled}")
                return "\n".join(str(row[-1]) for row in rows)
        finally:
            await engine.dispose()

    return asyncio.run(run())


@pytest.mark.parametrize("table", [schema.buyer_calls, schema.requests])
@pytest.mark.parametrize("ping_id", [None, "p_1"])
def test_a_lead_timeline_reads_by_the_lead_index(
    database: str, table: sa.Table, ping_id: str | None
) -> None:
    upgrade(database)
    query = sa.select(table.c.id).where(_about(table.c, ping_id, "l_1"))
    plan = _plan(database, query)
    assert f"ix_{table.name}_lead_id" in plan, plan
