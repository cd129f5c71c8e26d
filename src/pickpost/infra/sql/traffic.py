"""Traffic counts added into ``traffic_rollups``: one UPSERT that adds each delta to its row
(``count = count + excluded.count``), so any number of nodes add into the same rows."""

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine

from pickpost.domain.traffic import Delta, TrafficKey
from pickpost.infra.sql.rows import at
from pickpost.infra.sql.schema import traffic_rollups as table

_KEY = ("bucket", "campaign_id", "supplier_id", "buyer_id", "test", "metric")


class SqlTrafficStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        insert = (
            sqlite.insert(table) if engine.dialect.name == "sqlite" else postgresql.insert(table)
        )
        excluded = insert.excluded
        self._upsert = insert.on_conflict_do_update(
            index_elements=list(_KEY),
            set_={
                "count": table.c.count + excluded.count,
                "sum_cents": table.c.sum_cents + excluded.sum_cents,
                "sum_ms": table.c.sum_ms + excluded.sum_ms,
            },
        )

    async def add(self, deltas: dict[TrafficKey, Delta]) -> None:
        # Rows in key order: two nodes adding to the same rows never wait on each other in a
        # cycle.
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
            for key, delta in sorted(
                deltas.items(),
                key=lambda item: (
                    item[0].bucket,
                    item[0].campaign_id,
                    item[0].supplier_id,
                    item[0].buyer_id,
                    item[0].test,
                    item[0].metric,
                ),
            )
        ]
        async with self._engine.begin() as conn:
            await conn.execute(self._upsert, rows)
