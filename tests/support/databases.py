"""Throwaway databases for integration tests: an SQLite file, or a fresh PostgreSQL database."""

import asyncio
import hashlib
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import redis
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


def redis_prefix(database_url: str) -> str:
    """The Redis key prefix of servers over ``database_url``: servers over one database share
    their Redis keys (pings, caps, rotations), other test databases do not."""
    return f"pickpost-test:{hashlib.sha256(database_url.encode()).hexdigest()[:12]}:"


def forget_redis_keys(redis_url: str, prefix: str) -> None:
    """Delete the keys a test deployment left in Redis (counters without expiry among them)."""
    client = redis.Redis.from_url(redis_url)
    try:
        keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


@contextmanager
def postgres_database(admin_url: str, redis_url: str | None = None) -> Iterator[str]:
    """A new, empty database on the server of ``admin_url``; dropped afterwards, together
    with the Redis keys of servers over it when ``redis_url`` is given."""
    name = f"pickpost_test_{secrets.token_hex(4)}"

    async def run(sql: str) -> None:
        engine = make_engine(admin_url).execution_options(isolation_level="AUTOCOMMIT")
        try:
            async with engine.connect() as conn:
                await conn.execute(sa.text(sql))
        finally:
            await engine.dispose()

    asyncio.run(run(f'CREATE DATABASE "{name}"'))
    database_url = _swap_database(admin_url, name)
    try:
        yield database_url
    finally:
        asyncio.run(run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        if redis_url is not None:
            forget_redis_keys(redis_url, redis_prefix(database_url))


def sqlite_url(directory: Path) -> str:
    return f"sqlite:///{directory / 'pickpost.db'}"


@contextmanager
def backend_database(backend: str, directory: Path) -> Iterator[tuple[str, str | None]]:
    """(database URL, Redis URL or None) for ``sqlite`` (a file in ``directory``) or
    ``postgres`` (a fresh database, with Redis: both skipped when not configured)."""
    if backend == "sqlite":
        yield sqlite_url(directory), None
        return
    redis_url = required_env(REDIS_ENV)
    with postgres_database(required_env(POSTGRES_ENV), redis_url) as database_url:
        yield database_url, redis_url
