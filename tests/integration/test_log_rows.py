"""The log writer's SQLite inserts, compiled once and fed converted rows, store every value
exactly as SQLAlchemy's own insert of the same rows does (JSON ``null``, timestamps, floats),
on a real SQLite file."""

import time
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from pickpost.domain.bids import OfferedBid
from pickpost.domain.lead import PingLog, RequestLog
from pickpost.domain.outcomes import BuyerCall, CallStep, Exchange, Outcome
from pickpost.domain.ping import PingRecord
from pickpost.infra.sql import schema
from pickpost.infra.sql.engine import make_engine
from pickpost.infra.sql.logs import SqlLogStore, request_row, sealed_ping_row
from pickpost.infra.sql.rows import call_row
from tests.support.personal import in_clear

_TABLES = ("pings", "buyer_calls", "requests")


def _logs(pings: int = 1) -> tuple[list[PingLog], list[RequestLog]]:
    now = time.time()
    bid = OfferedBid("b_1", "buyer-a", 1250, 1500, "Buyer A LLC", "t-1", {"tier": 2})
    record = PingRecord(
        "p_1", "100", "7", "r_1", now, now + 60, False, {"zip": "78701", "n": None},
        {"zip": "78701"}, (bid,), 2,
    )  # fmt: skip
    sent = Exchange({"Content-Type": "application/json", "Authorization": "x"}, b'{"a":1}')
    ping = CallStep.PING
    calls = (
        BuyerCall(
            "buyer-a", ping, "http://a/ping", Outcome.BID, "", now, 12.3456789, 200,
            1500, sent.answered({"Server": "s"}, b'{"bid":{"price":15}}'),
        ),
        BuyerCall.unanswered("buyer-b", ping, "http://b/ping", Outcome.SKIPPED, "paused", now),
        BuyerCall("buyer-c", ping, "http://c", Outcome.TIMEOUT, "cut", now, 80.0, exchange=sent),
        # A whole second: SQLAlchemy still writes its six digits of microseconds.
        BuyerCall.unanswered("buyer-d", ping, "http://d", Outcome.ERROR, "", float(int(now))),
    )  # fmt: skip
    requests = [
        RequestLog("r_1", "/ping", now, 9.87654, 200, 0, "100", "7", "p_1", None, "127.0.0.1",
                   {"zip": "78701"}, {"status": "ACCEPTED", "bids": []}),
        RequestLog("r_2", "/ping", now, 1.0, 400, 1000, None, None, None, None, None, {}, {}),
    ]  # fmt: skip
    copies = [replace(record, ping_id=f"p_{n}", request_id=f"r_{n}") for n in range(2, pings + 1)]
    return [PingLog(r, calls) for r in (record, *copies)], requests


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
    pings, requests = _logs(count)
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
