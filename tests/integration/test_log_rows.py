"""The log writer's SQLite inserts, compiled once and fed converted rows, store every value
exactly as SQLAlchemy's own insert of the same rows does (JSON ``null``, timestamps, floats),
on a real SQLite file."""

from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from pickpost.infra.sql import schema
from pickpost.infra.sql.engine import make_engine
from pickpost.infra.sql.logs import SqlLogStore, request_row, sealed_ping_row
from pickpost.infra.sql.rows import call_row
from tests.support.log_rows import log_rows
from tests.support.personal import in_clear

_TABLES = ("pings", "buyer_calls", "requests")


async def _stored(engine: AsyncEngine) -> dict[str, list[tuple[object, ...]]]:
    async with engine.connect() as conn:
        return {
            table: [
                tuple(row)
                for row in await conn.exec_driver_sql(f"SELECT * FROM {table} ORDER BY 1")
            ]
            for table in _TABLES
        }


# One ping's rows, and 7 pings' 28 calls: a statement of 16 rows and one of the 12 left.
@pytest.mark.parametrize("count", [1, 7])
async def test_prepared_inserts_store_what_sqlalchemy_stores(tmp_path: Path, count: int) -> None:
    pings, requests = log_rows(count)
    stored = {}
    for way in ("prepared", "sqlalchemy"):
        engine = make_engine(f"sqlite:///{tmp_path / way}.db")
        async with engine.begin() as conn:
            await conn.run_sync(schema.metadata.create_all)
        personal = in_clear(engine)
        if way == "prepared":
            await SqlLogStore(engine, personal).write_logs(pings, requests)
        else:
            async with engine.begin() as conn:
                ping_rows = [sealed_ping_row(p.record, personal) for p in pings]
                await conn.execute(schema.pings.insert(), ping_rows)
                call_rows = [
                    call_row(c, p.record.ping_id, None, personal.seal_call)
                    for p in pings
                    for c in p.calls
                ]
                await conn.execute(schema.buyer_calls.insert(), call_rows)
                request_rows = [request_row(r, personal) for r in requests]
                await conn.execute(schema.requests.insert(), request_rows)
        stored[way] = await _stored(engine)
        await engine.dispose()
    assert [len(stored["prepared"][t]) for t in _TABLES] == [count, 4 * count, 2]
    assert stored["prepared"] == stored["sqlalchemy"]
