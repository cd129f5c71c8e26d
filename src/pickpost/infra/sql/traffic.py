"""Traffic counts added into ``traffic_rollups``, its hourly and daily tiers and the local days
of the zones reports are kept for (``infra/sql/zoned.py``): one UPSERT per tier that adds each
delta to its row (``count = count + excluded.count``), so any number of nodes add into the same
rows. On an SQLite file a flush runs whole in one hop to the writer thread (``one_hop.py``):
its write lock is never held across turns of the event loop."""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from pickpost.domain.buckets import BUCKET_S, DAY_S, HOUR_S
from pickpost.domain.traffic import Delta, TrafficKey
from pickpost.infra.sql import schema
from pickpost.infra.sql.one_hop import Transactions
from pickpost.infra.sql.rows import at, epoch
from pickpost.infra.sql.zoned import by_local_day, kept_zones, traffic_turn

_KEY = ("bucket", "campaign_id", "supplier_id", "buyer_id", "test", "metric")
_SUMS = ("count", "sum_cents", "sum_ms")
_CHUNK = 5000  # rows per statement
TIERS = (
    (BUCKET_S, schema.traffic_rollups),
    (HOUR_S, schema.traffic_rollups_hourly),
    (DAY_S, schema.traffic_rollups_daily),
)


class TrafficTiers:
    """Adds rows of ``traffic_rollups`` (15-minute buckets) to it and to the coarser tiers,
    in one transaction the caller holds."""

    def __init__(self, dialect: str) -> None:
        self._upserts = [(grain, _upsert(table, dialect, _KEY)) for grain, table in TIERS]
        self._zoned = _upsert(schema.traffic_rollups_zoned, dialect, ("zone", *_KEY))

    def add(self, conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
        traffic_turn(conn)
        for grain, upsert in self._upserts:
            tier = sorted(rows, key=_order) if grain == BUCKET_S else coarsened(rows, grain)
            _chunked(conn, upsert, tier)
        # Read after the first write: on SQLite the write lock is held, so a zone being filled
        # has committed (and is listed) or waits for this flush to commit first.
        for zone in kept_zones(conn):
            _chunked(conn, self._zoned, by_local_day(rows, zone, _KEY[1:], _SUMS))


def _chunked(conn: Connection, statement: Any, rows: Sequence[dict[str, Any]]) -> None:
    for start in range(0, len(rows), _CHUNK):
        conn.execute(statement, rows[start : start + _CHUNK])


def _upsert(table: sa.Table, dialect: str, key: Sequence[str]) -> Any:
    insert = sqlite.insert(table) if dialect == "sqlite" else postgresql.insert(table)
    excluded = insert.excluded
    return insert.on_conflict_do_update(
        index_elements=list(key),
        set_={
            "count": table.c.count + excluded.count,
            "sum_cents": table.c.sum_cents + excluded.sum_cents,
            "sum_ms": table.c.sum_ms + excluded.sum_ms,
        },
    )


def _order(row: dict[str, Any]) -> tuple[Any, ...]:
    # Rows in key order: two nodes adding to the same rows never wait on each other in a cycle.
    return tuple(row[name] for name in _KEY)


def coarsened(rows: Sequence[dict[str, Any]], grain: int) -> list[dict[str, Any]]:
    """``rows`` summed into buckets of ``grain`` seconds, in key order."""
    summed: dict[tuple[Any, ...], dict[str, Any]] = {}
    for row in rows:
        bucket = at(int(epoch(row["bucket"])) // grain * grain)
        key = (bucket, *(row[name] for name in _KEY[1:]))
        found = summed.get(key)
        if found is None:
            summed[key] = {**row, "bucket": bucket}
        else:
            found["count"] += row["count"]
            found["sum_cents"] += row["sum_cents"]
            found["sum_ms"] = round(found["sum_ms"] + row["sum_ms"], 3)
    return [summed[key] for key in sorted(summed)]


class SqlTrafficStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self._transactions = Transactions(engine)
        self._tiers = TrafficTiers(engine.dialect.name)

    async def add(self, deltas: dict[TrafficKey, Delta]) -> None:
        rows = [
            {
                "bucket": at(key.bucket),
                "campaign_id": key.campaign_id,
                "supplier_id": key.supplier_id,
                "buyer_id": key.buyer_id,
                "test": key.test,
                "metric": key.metric,
                "count": delta.count,
                "sum_cents": delta.sum_cents,
                "sum_ms": round(delta.sum_ms, 3),
            }
            for key, delta in deltas.items()
        ]
        await self._transactions.run(self._tiers.add, rows)
