"""Counters in the database: caps, rotations and duplicate marks of the embedded mode (and of
any deployment without Redis).

A charge is one transaction over all its counters, each updated only while it stays within its
limit; counters are taken in key order so concurrent charges never deadlock. Every mark is
written to the database, short ones too: the same-payload mark is what keeps a Direct Post
retried after a crash from selling the lead again, so it must outlive the process.

Each operation is one function on a synchronous connection: on an SQLite file it runs whole in
one hop to the ledger's thread (``one_hop.py``), elsewhere through the async engine's
``run_sync``.
"""

import time
from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from pickpost.domain.caps import Charge
from pickpost.infra.counters import ValueChecks
from pickpost.infra.sql.one_hop import Transactions
from pickpost.infra.sql.schema import counters as table
from pickpost.services.periodic import Periodic

PURGE_EVERY_S = 60.0


class _Over(Exception):
    def __init__(self, charge: Charge) -> None:
        self.charge = charge


def _values(conn: Connection, query: sa.Select[tuple[str, int]]) -> dict[str, int]:
    return {row.key: row.value for row in conn.execute(query)}


def _refund(conn: Connection, charges: Sequence[Charge], now: float) -> None:
    live = sa.or_(table.c.expires_at.is_(None), table.c.expires_at > now)
    for charge in sorted(charges, key=lambda c: c.key):
        conn.execute(
            table.update()
            .where(table.c.key == charge.key, live)
            .values(value=table.c.value - charge.amount)
        )


def _next(conn: Connection, statement: sa.Executable) -> int:
    return int(conn.execute(statement).scalar_one()) - 1


def _first_seen(conn: Connection, insert: sa.Executable, key: str, ttl_s: int, now: float) -> bool:
    if conn.execute(insert).rowcount == 1:
        return True
    renewed = conn.execute(
        table.update()
        .where(table.c.key == key, table.c.expires_at <= now)
        .values(value=1, expires_at=now + ttl_s)
    )
    return bool(renewed.rowcount == 1)


def _forget(conn: Connection, key: str) -> None:
    conn.execute(table.delete().where(table.c.key == key))


def _delete(conn: Connection, statement: sa.Delete) -> int:
    return int(conn.execute(statement).rowcount)


class SqlCounters(ValueChecks):
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._transactions = Transactions(engine)
        self._hop = self._transactions.hop
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
        try:
            await self._transactions.run(self._charge, charges, time.time())
        except _Over as over:
            return over.charge
        return None

    def _charge(self, conn: Connection, charges: Sequence[Charge], now: float) -> None:
        for charge in sorted(charges, key=lambda c: c.key):
            self._apply(conn, charge, now)

    def _apply(self, conn: Connection, charge: Charge, now: float) -> None:
        expires = None if charge.ttl_s is None else now + charge.ttl_s
        conn.execute(
            self._insert()
            .values(key=charge.key, value=0, expires_at=expires)
            .on_conflict_do_nothing(index_elements=["key"])
        )
        expired = sa.and_(table.c.expires_at.is_not(None), table.c.expires_at <= now)
        new_value = sa.case((expired, 0), else_=table.c.value) + charge.amount
        result = conn.execute(
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
        if self._hop is not None:
            return await self._hop.read(_values, query)
        async with self._engine.connect() as conn:
            return await conn.run_sync(_values, query)

    async def refund(self, charges: Sequence[Charge]) -> None:
        if charges:
            await self._transactions.run(_refund, charges, time.time())

    async def next_in_sequence(self, key: str) -> int:
        insert = self._insert().values(key=key, value=1, expires_at=None)
        statement = insert.on_conflict_do_update(
            index_elements=["key"], set_={"value": table.c.value + 1}
        ).returning(table.c.value)
        return await self._transactions.run(_next, statement)

    async def first_seen(self, key: str, ttl_s: int) -> bool:
        now = time.time()
        insert = (
            self._insert()
            .values(key=key, value=1, expires_at=now + ttl_s)
            .on_conflict_do_nothing(index_elements=["key"])
        )
        return await self._transactions.run(_first_seen, insert, key, ttl_s, now)

    async def forget(self, key: str) -> None:
        await self._transactions.run(_forget, key)

    async def purge(self, now: float, limit: int = 10_000) -> int:
        """Delete up to ``limit`` expired counters and marks; returns how many."""
        doomed = (
            sa.select(table.c.key)
            .where(table.c.expires_at.is_not(None), table.c.expires_at <= now)
            .limit(limit)
        )
        return await self._transactions.run(_delete, table.delete().where(table.c.key.in_(doomed)))
