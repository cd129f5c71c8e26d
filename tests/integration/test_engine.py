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
