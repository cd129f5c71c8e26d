"""Database URLs as users write them, mapped to the async drivers Pickpost uses."""

import time
from typing import Any
from uuid import uuid4

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.exc import InvalidatePoolError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry

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


def json_text(value: object) -> str:
    """JSON columns through orjson: several times faster than the standard library on the
    log rows every ping writes."""
    return orjson.dumps(value).decode()


# A pooled PostgreSQL connection idle longer than this is pinged before it is used again: one
# the server closed shows at once (below), but one lost on a silent network path does not.
PING_AFTER_IDLE_S = 30.0
_IDLE_SINCE = "pickpost_idle_since"


def _checked_in(_dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
    record.info[_IDLE_SINCE] = time.monotonic()


def _check_out(dbapi_connection: Any, record: ConnectionPoolEntry, _proxy: Any) -> None:
    """What ``pool_pre_ping`` did, without its round trips on every checkout (it sent three:
    BEGIN, a query, ROLLBACK). A connection the server closed – a restart, an administrator's
    ``pg_terminate_backend`` – is closed on our side as soon as the event loop reads the
    server's goodbye, so asking asyncpg costs nothing; only a connection idle for long is pinged.
    Either failure replaces the pool's connections before the request uses one
    (docs/benchmarks.md, "The POST's latency")."""
    if dbapi_connection.driver_connection.is_closed():
        raise InvalidatePoolError()
    idle_since = record.info.get(_IDLE_SINCE)
    if idle_since is not None and time.monotonic() - idle_since > PING_AFTER_IDLE_S:
        try:
            dbapi_connection.ping()
        except Exception as error:
            raise InvalidatePoolError() from error


def sync_sqlite_engine(engine: AsyncEngine) -> sa.Engine:
    """A synchronous engine on an SQLite engine's file, set up as it is, for work that runs whole
    in a thread (``one_hop.py``): one connection for each of its two threads."""
    twin = sa.create_engine(
        engine.url.set(drivername="sqlite"),
        pool_size=2,
        max_overflow=0,
        connect_args={"check_same_thread": False},
        hide_parameters=True,
        json_serializer=json_text,
        json_deserializer=orjson.loads,
    )
    sa.event.listen(twin, "connect", _sqlite_pragmas)
    return twin


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
            json_serializer=json_text,
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
    engine = create_async_engine(
        postgres,
        pool_size=pool_size,
        max_overflow=pool_size,
        connect_args=connect_args,
        hide_parameters=True,
        json_serializer=json_text,
        json_deserializer=orjson.loads,
    )
    # A request must not meet a connection the server dropped (a database restart): checked at
    # each checkout, for free unless the connection sat idle (``_check_out``).
    sa.event.listen(engine.sync_engine.pool, "checkin", _checked_in)
    sa.event.listen(engine.sync_engine.pool, "checkout", _check_out)
    return engine
