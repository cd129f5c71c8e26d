"""Recent buyer calls for live health: the newest first, capped (no bodies, no lead values)."""

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from pickpost.domain.health import CallSample
from pickpost.infra.sql import schema


class SqlCallSamples:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def since(self, moment: float, limit: int) -> list[CallSample]:
        """Up to ``limit`` calls started at or after ``moment`` (epoch seconds), newest first.

        Unpurged calls only, so the purge index (``purged_at``, ``started_at``) serves the
        range: calls this recent are never purged under any retention of a day or more."""
        c = schema.buyer_calls.c
        query = (
            sa.select(c.buyer_id, c.step, c.outcome, c.latency_ms, c.price_cents)
            .where(c.purged_at.is_(None), c.started_at >= datetime.fromtimestamp(moment, UTC))
            .order_by(c.started_at.desc())
            .limit(limit)
        )
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [
            CallSample(r.buyer_id, r.step, r.outcome, float(r.latency_ms), r.price_cents)
            for r in rows
        ]
