"""The tables code queries (``infra/sql/schema.py``) are the tables the migrations make, on
SQLite and on PostgreSQL: a column or index added to one and not the other fails here."""

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.engine import Connection

from pickpost.infra.sql import schema
from pickpost.infra.sql.engine import make_engine
from pickpost.infra.sql.migrate import upgrade
from tests.support.databases import deployment_urls


@pytest.fixture(params=["sqlite", "postgres"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with deployment_urls(request.param, tmp_path) as (url, _):
        upgrade(url)
        yield url


def _differences(url: str) -> list[object]:
    def compare(conn: Connection) -> list[object]:
        context = MigrationContext.configure(conn, opts={"compare_type": False})
        return list(compare_metadata(context, schema.metadata))

    async def run() -> list[object]:
        engine = make_engine(url)
        try:
            async with engine.connect() as conn:
                return await conn.run_sync(compare)
        finally:
            await engine.dispose()

    return asyncio.run(run())


def test_the_migrations_make_the_schema_the_code_queries(database: str) -> None:
    assert _differences(database) == []
