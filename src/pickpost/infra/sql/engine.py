"""Database URLs as users write them, mapped to the async drivers Pickpost uses."""

from typing import Any
from uuid import uuid4

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

_DRIVERS = {
    "sqlite": "sqlite+aiosqlite",
    "postgresql": "postgresql+asyncpg",
    "postgres": "postgresql+asyncpg",
}


class DatabaseUrlError(ValueError):
    pass


def driver_url(url: str) -> str:
    """``sqlite:///var/pickpost.db`` → ``sqlite+aiosqlite:///…``; ``postgresql://`` → asyncpg."""
    scheme, sep, rest = url.partition("://")
    if not sep or scheme.split("+")[0] not in _DRIVERS:
        raise DatabaseUrlError(f"unsupported database URL {url!r}: use sqlite:/// or postgresql://")
    return f"{_DRIVERS[scheme.split('+')[0]]}://{rest}"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets readers run beside the writer; busy_timeout makes writers queue, not fail.
    cursor = dbapi_connection.cursor()
    for pragma in (
        "journal_mode=WAL",
        "synchronous=NORMAL",
        "busy_timeout=10000",
        "foreign_keys=ON",
    ):
        cursor.execute(f"PRAGMA {pragma}")
    cursor.close()


def _json(value: object) -> str:
    """JSON columns through orjson: several times faster than the standard library on the
    log rows every ping writes."""
    return orjson.dumps(value).decode()


def make_engine(url: str, pool_size: int = 10) -> AsyncEngine:
    """An engine whose errors never show the statement's parameters: they are leads, and
    errors end up in the process log (docs/security.md)."""
    target = driver_url(url)
    if target.startswith("sqlite"):
        engine = create_async_engine(
            target,
            # The same pool as PostgreSQL's. SQLAlchemy's default (5, overflow 10) closes every
            # connection past the fifth on its return: under load each transaction then paid
            # for a new connection, its worker thread and its pragmas (docs/benchmarks.md).
            pool_size=pool_size,
            max_overflow=pool_size,
            hide_parameters=True,
            json_serializer=_json,
            json_deserializer=orjson.loads,
        )
        sa.event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    postgres = make_url(target)
    connect_args: dict[str, Any] = {}
    if postgres.query.get("pgbouncer") == "true":
        # Behind PgBouncer's transaction pooling a connection may change server session at every
        # transaction: no statement cache may outlive one, and statement names must not collide.
        postgres = postgres.difference_update_query(["pgbouncer"])
        connect_args = {
            "statement_cache_size": 0,
            "prepared_statement_cache_size": 0,
            "prepared_statement_name_func": lambda: f"__asyncpg_{uuid4()}__",
        }
    return create_async_engine(
        postgres,
        pool_size=pool_size,
        max_overflow=pool_size,
        # A ping before each checkout costs a round trip per transaction, and spares a request
        # the error of a connection the server dropped (a database restart): kept.
        pool_pre_ping=True,
        connect_args=connect_args,
        hide_parameters=True,
        json_serializer=_json,
        json_deserializer=orjson.loads,
    )
