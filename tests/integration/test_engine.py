"""Database URLs as an operator writes them, against a real PostgreSQL."""

import asyncio
import re

import sqlalchemy as sa

from pickpost.infra.sql.engine import make_engine
from tests.support.databases import POSTGRES_ENV, required_env


def test_a_pgbouncer_url_leaves_no_statement_prepared_under_a_reusable_name() -> None:
    engine = make_engine(f"{required_env(POSTGRES_ENV)}?pgbouncer=true")
    assert "pgbouncer" not in engine.url.query  # Pickpost's flag, not a server setting

    async def run() -> list[str]:
        try:
            async with engine.connect() as conn:
                query = sa.text("SELECT :n + 1")
                for n in range(3):
                    assert (await conn.execute(query, {"n": n})).scalar() == n + 1
                names = await conn.execute(sa.text("SELECT name FROM pg_prepared_statements"))
                return list(names.scalars())
        finally:
            await engine.dispose()

    # The server session holds only the statement being run, under a name no other client uses.
    (name,) = asyncio.run(run())
    assert re.fullmatch(r"__asyncpg_[0-9a-f-]{36}__", name)


def test_a_connection_the_server_closed_is_replaced_before_a_request_uses_it() -> None:
    """Without a ping at every checkout, a pooled connection that PostgreSQL terminated (as a
    restart does) must still never reach a query."""
    engine = make_engine(required_env(POSTGRES_ENV), pool_size=1)

    async def run() -> tuple[int, int]:
        try:
            async with engine.connect() as conn:
                first = (await conn.execute(sa.text("SELECT pg_backend_pid()"))).scalar_one()
            admin = make_engine(required_env(POSTGRES_ENV))
            async with admin.connect() as other:
                await other.execute(sa.text(f"SELECT pg_terminate_backend({int(first)})"))
            await admin.dispose()
            for _ in range(100):  # until the event loop has read the server's goodbye
                await asyncio.sleep(0.01)
            async with engine.connect() as conn:
                second = (await conn.execute(sa.text("SELECT pg_backend_pid()"))).scalar_one()
            return int(first), int(second)
        finally:
            await engine.dispose()

    first, second = asyncio.run(run())
    assert first != second
