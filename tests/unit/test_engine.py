"""The database engine's configuration (no connection is opened)."""

import asyncio

from sqlalchemy.pool import QueuePool

from pickpost.infra.sql.engine import make_engine


def test_sqlite_keeps_the_configured_pool() -> None:
    # SQLAlchemy's default for aiosqlite keeps 5 and closes the rest on return: a new
    # connection and worker thread per transaction under a burst (docs/benchmarks.md).
    engine = make_engine("sqlite:///unused.db", pool_size=7)
    try:
        pool = engine.pool
        assert isinstance(pool, QueuePool)
        assert pool.size() == 7
    finally:
        asyncio.run(engine.dispose())
