"""Throwaway databases for integration tests: an SQLite file, or a fresh PostgreSQL database."""

import asyncio
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa

from pickpost.infra.sql.engine import make_engine

POSTGRES_ENV = "PICKPOST_TEST_POSTGRES_URL"
REDIS_ENV = "PICKPOST_TEST_REDIS_URL"


def required_env(name: str) -> str:
    """The service URL from the environment; CI must set it, elsewhere its tests skip."""
    value = os.environ.get(name)
    if value:
        return value
    if os.environ.get("CI"):
        pytest.fail(f"{name} must be set in CI")
    pytest.skip(f"{name} not set")


def _swap_database(url: str, name: str) -> str:
    base, _, _ = url.rpartition("/")
    return f"{base}/{name}"


@contextmanager
def postgres_database(admin_url: str) -> Iterator[str]:
    """A new, empty database on the server of ``admin_url``; dropped afterwards."""
    name = f"pickpost_test_{secrets.token_hex(4)}"

    async def run(sql: str) -> None:
        engine = make_engine(admin_url).execution_options(isolation_level="AUTOCOMMIT")
        try:
            async with engine.connect() as conn:
                await conn.execute(sa.text(sql))
        finally:
            await engine.dispose()

    asyncio.run(run(f'CREATE DATABASE "{name}"'))
    try:
        yield _swap_database(admin_url, name)
    finally:
        asyncio.run(run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def sqlite_url(directory: Path) -> str:
    return f"sqlite:///{directory / 'pickpost.db'}"
