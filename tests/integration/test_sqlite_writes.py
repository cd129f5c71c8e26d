"""On an SQLite file every background writer – the traffic flush, the lead rollups' refresh,
a report zone's fill, the counters' purge, the retention purge – writes through the writer
thread the ledger and the log writer use (``one_hop.py``), one transaction per hop: none holds
the file's write lock on the event loop's aiosqlite connections across turns of the loop, and
all of them, run at once with ledger and log writes, land."""

import asyncio
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from pickpost.domain.caps import Charge
from pickpost.domain.lead import PingLog
from pickpost.domain.ping import PingRecord
from pickpost.domain.reports import Grouping, ReportQuery
from pickpost.domain.traffic import Delta, TrafficKey
from pickpost.infra.sql import schema
from pickpost.infra.sql.counters import SqlCounters
from pickpost.infra.sql.engine import make_engine
from pickpost.infra.sql.logs import SqlLogStore
from pickpost.infra.sql.migrate import upgrade
from pickpost.infra.sql.purge import Retention, SqlPurger
from pickpost.infra.sql.rollups import SqlRollups
from pickpost.infra.sql.traffic import SqlTrafficStore
from tests.support.databases import sqlite_url
from tests.support.log_rows import log_rows
from tests.support.personal import in_clear

_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = sqlite_url(tmp_path_factory.mktemp("sqlite-writes"))
    upgrade(url)
    return url


@pytest.fixture
def writes() -> Iterator[list[tuple[str, str]]]:
    """(thread name, statement) of every write any engine of this process sends."""
    seen: list[tuple[str, str]] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.lstrip().upper().startswith(_WRITES):
            seen.append((threading.current_thread().name, statement))

    sa.event.listen(sa.Engine, "before_cursor_execute", record)
    yield seen
    sa.event.remove(sa.Engine, "before_cursor_execute", record)


def _deltas(campaign: str, count: int) -> dict[TrafficKey, Delta]:
    key = TrafficKey(int(time.time()) // 900 * 900, campaign, "7", "", False, "pings")
    return {key: Delta(count=count)}


async def _traffic_count(engine: AsyncEngine, campaign: str) -> int:
    table = schema.traffic_rollups
    async with engine.connect() as conn:
        found = await conn.execute(
            sa.select(sa.func.coalesce(sa.func.sum(table.c.count), 0)).where(
                table.c.campaign_id == campaign
            )
        )
        return int(found.scalar_one())


async def test_background_writes_run_on_the_writer_thread(
    database: str, writes: list[tuple[str, str]]
) -> None:
    engine = make_engine(database)
    try:
        await SqlTrafficStore(engine).add(_deltas("c-thread", 3))
        rollups = SqlRollups(engine)
        await rollups.refresh()  # the first refresh has no mark: it writes
        today = date.today()
        # A zone whose days differ from UTC's is filled the first time a report reads it.
        query = ReportQuery(today, today, ZoneInfo("America/Chicago"), (Grouping.DAY,))
        await rollups.read(query, frozenset({"bucket", "campaign"}))
        await SqlCounters(engine).purge(time.time())
        await SqlPurger(engine, in_clear(engine)).purge(Retention(1.0, 1.0, 1.0), time.time())
        assert await _traffic_count(engine, "c-thread") == 3
    finally:
        await engine.dispose()
    tables = " ".join(statement for _, statement in writes)
    for written in ("traffic_rollups", "rollup_marks", "report_zones", "counters"):
        assert written in tables
    assert {thread for thread, _ in writes} == {"pickpost-ledger_0"}


async def test_flushes_refreshes_ledger_and_log_writes_at_once_all_land(database: str) -> None:
    engine = make_engine(database)
    rounds, race = 20, Charge("race", 1000, 1, None)
    try:
        traffic, rollups = SqlTrafficStore(engine), SqlRollups(engine)
        counters, logs = SqlCounters(engine), SqlLogStore(engine, in_clear(engine))
        for n in range(rounds):
            pings, requests = log_rows(2)
            pings = [PingLog(_renamed(p.record, n), p.calls) for p in pings]
            requests = [replace(r, request_id=f"{n}-{r.request_id}") for r in requests]
            done = await asyncio.gather(
                traffic.add(_deltas("c-race", 1)),
                rollups.refresh(),
                counters.charge([race]),
                logs.write_logs(pings, requests),
            )
            assert done[2] is None  # the charge applied
        assert await _traffic_count(engine, "c-race") == rounds
        assert await counters.values([race]) == {"race": rounds}
        async with engine.connect() as conn:
            for table in (schema.pings, schema.buyer_calls, schema.requests):
                found = await conn.execute(sa.select(sa.func.count()).select_from(table))
                assert found.scalar_one() == {"buyer_calls": 8}.get(table.name, 2) * rounds
    finally:
        await engine.dispose()


def _renamed(record: PingRecord, n: int) -> PingRecord:
    return replace(record, ping_id=f"{n}-{record.ping_id}", request_id=f"{n}-{record.request_id}")
