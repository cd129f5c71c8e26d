"""Counters in the database: caps, rotations and duplicate marks of the embedded mode (and of
any deployment without Redis).

A charge is one transaction over all its counters, each updated only while it stays within its
limit; counters are taken in key order so concurrent charges never deadlock. Every mark is
written to the database, short ones too: the same-payload mark is what keeps a Direct Post
retried after a crash from selling the lead again, so it must outlive the process.
"""

import time
from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from pickpost.domain.caps import Charge
from pickpost.infra.counters import ValueChecks
from pickpost.infra.sql.schema import counters as table
from pickpost.services.periodic import Periodic

PURGE_EVERY_S = 60.0


class _Over(Exception):
    def __init__(self, charge: Charge) -> None:
        self.charge = charge


class SqlCounters(ValueChecks):
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._purger = Periodic("counter-purge", PURGE_EVERY_S, lambda: self.purge(time.time()))

    def start(self) -> None:
        """Delete expired counters and marks in the background, once a minute."""
        self._purger.start()

    async def close(self) -> None:
        await self._purger.close()

    def _insert(self) -> sqlite.Insert | postgresql.Insert:
        if self._engine.dialect.name == "sqlite":
            return sqlite.insert(table)
        return postgresql.insert(table)

    async def charge(self, charges: Sequence[Charge]) -> Charge | None:
        if not charges:
            return None
        now = time.time()
        try:
            async with self._engine.begin() as conn:
                for charge in sorted(charges, key=lambda c: c.key):
                    await self._apply(conn, charge, now)
        except _Over as over:
            return over.charge
        return None

    async def _apply(self, conn: AsyncConnection, charge: Charge, now: float) -> None:
        expires = None if charge.ttl_s is None else now + charge.ttl_s
        await conn.execute(
            self._insert()
            .values(key=charge.key, value=0, expires_at=expires)
            .on_conflict_do_nothing(index_elements=["key"])
        )
        expired = sa.and_(table.c.expires_at.is_not(None), table.c.expires_at <= now)
        new_value = sa.case((expired, 0), else_=table.c.value) + charge.amount
        result = await conn.execute(
            table.update()
            .where(table.c.key == charge.key, new_value <= charge.limit)
            .values(
                value=new_value,
                expires_at=sa.case((expired, expires), else_=table.c.expires_at),
            )
        )
        if result.rowcount == 0:
            raise _Over(charge)

    async def values(self, charges: Sequence[Charge]) -> dict[str, int]:
        if not charges:
            return {}
        query = sa.select(table.c.key, table.c.value).where(
            table.c.key.in_({c.key for c in charges}),
            sa.or_(table.c.expires_at.is_(None), table.c.expires_at > time.time()),
        )
        async with self._engine.connect() as conn:
            return {row.key: row.value for row in await conn.execute(query)}

    async def refund(self, charges: Sequence[Charge]) -> None:
        if not charges:
            return
        now = time.time()
        live = sa.or_(table.c.expires_at.is_(None), table.c.expires_at > now)
        async with self._engine.begin() as conn:
            for charge in sorted(charges, key=lambda c: c.key):
                await conn.execute(
                    table.update()
                    .where(table.c.key == charge.key, live)
                    .values(value=table.c.value - charge.amount)
                )

    async def next_in_sequence(self, key: str) -> int:
        insert = self._insert().values(key=key, value=1, expires_at=None)
        statement = insert.on_conflict_do_update(
            index_elements=["key"], set_={"value": table.c.value + 1}
        ).returning(table.c.value)
        async with self._engine.begin() as conn:
            value = (await conn.execute(statement)).scalar_one()
        return int(value) - 1

    async def first_seen(self, key: str, ttl_s: int) -> bool:
        now = time.time()
        async with self._engine.begin() as conn:
            inserted = await conn.execute(
                self._insert()
                .values(key=key, value=1, expires_at=now + ttl_s)
                .on_conflict_do_nothing(index_elements=["key"])
            )
            if inserted.rowcount == 1:
                return True
            renewed = await conn.execute(
                table.update()
                .where(table.c.key == key, table.c.expires_at <= now)
                .values(value=1, expires_at=now + ttl_s)
            )
            return bool(renewed.rowcount == 1)

    async def forget(self, key: str) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(table.delete().where(table.c.key == key))

    async def purge(self, now: float, limit: int = 10_000) -> int:
        """Delete up to ``limit`` expired counters and marks; returns how many."""
        doomed = (
            sa.select(table.c.key)
            .where(table.c.expires_at.is_not(None), table.c.expires_at <= now)
            .limit(limit)
        )
        async with self._engine.begin() as conn:
            result = await conn.execute(table.delete().where(table.c.key.in_(doomed)))
        return int(result.rowcount)
