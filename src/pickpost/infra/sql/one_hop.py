"""The lead ledger's steps on SQLite, each run whole in one hop to a thread of its own.

Through aiosqlite every driver call is a hop from the event loop to the connection's thread and
back: a statement costs three or four (cursor, execute, fetch, close), a transaction two more
(its commit, and the pool's rollback when the connection is returned). A POST that sells twice
made about eighty such hops, and on a loaded machine each waits for the event loop and for a
core. Here a step (one transaction, or one read) is a function on a synchronous connection,
run in a thread of this module's (one for writes, one for reads): one hop per step
(docs/benchmarks.md, "The POST's latency").

One thread also puts this process's writes in a queue of its own, in order: SQLite takes one
writer at a time anyway, and a writer that finds the file locked sleeps in SQLite's backoff
(1, 2, 5, 10 … ms) instead of starting the moment the lock is free. Besides the ledger, the log
writer's batches, the traffic flush, the rollups' refresh, the purges and recorded picks run
here: a transaction through aiosqlite would hold the file's write lock across turns of the
event loop, and one whose task is slow or cancelled keeps every other writer waiting.
"""

import asyncio
import weakref
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Concatenate, ParamSpec, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from pickpost.infra.sql.engine import sync_sqlite_engine

P = ParamSpec("P")
T = TypeVar("T")


class OneHop:
    """Transactions and reads of an SQLite file, each in one hop to the thread: one per engine
    (:meth:`of`), so that all the stores using it queue in the same line."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = sync_sqlite_engine(engine)
        self._writer = ThreadPoolExecutor(1, thread_name_prefix="pickpost-ledger")
        # Reads have a thread of their own: in WAL a read never waits for the writer, so it must
        # not wait behind a write that waits for the lock (the holder may be awaiting the read).
        self._reader = ThreadPoolExecutor(1, thread_name_prefix="pickpost-ledger-reads")
        # No close of its own: the store that holds it lives as long as its engine.
        weakref.finalize(self, _close, self._engine, self._writer, self._reader)

    @staticmethod
    def of(engine: AsyncEngine) -> "OneHop | None":
        """The engine's, when it is an SQLite file (a second engine opens the same database;
        in memory it would not)."""
        if engine.dialect.name != "sqlite" or engine.url.database in (None, "", ":memory:"):
            return None
        found = _BY_ENGINE.get(engine.sync_engine)
        if found is None:
            found = _BY_ENGINE[engine.sync_engine] = OneHop(engine)
        return found

    async def transaction(
        self, step: Callable[Concatenate[Connection, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """``step`` in a transaction: committed when it returns, rolled back when it raises."""

        def run() -> T:
            with self._engine.begin() as conn:
                return step(conn, *args, **kwargs)

        return await asyncio.get_running_loop().run_in_executor(self._writer, run)

    async def read(
        self, step: Callable[Concatenate[Connection, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        def run() -> T:
            with self._engine.connect() as conn:
                return step(conn, *args, **kwargs)

        return await asyncio.get_running_loop().run_in_executor(self._reader, run)


class Transactions:
    """Each step in a transaction of its own: one hop to the ledger's thread on an SQLite file
    (``hop``), through the async engine's ``run_sync`` elsewhere."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self.hop = OneHop.of(engine)

    async def run(
        self, step: Callable[Concatenate[Connection, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        if self.hop is not None:
            return await self.hop.transaction(step, *args, **kwargs)
        async with self._engine.begin() as conn:
            return await conn.run_sync(step, *args, **kwargs)


_BY_ENGINE: "weakref.WeakKeyDictionary[sa.Engine, OneHop]" = weakref.WeakKeyDictionary()


def _close(engine: sa.Engine, *threads: ThreadPoolExecutor) -> None:
    for thread in threads:
        thread.shutdown(wait=False)
    engine.dispose()
