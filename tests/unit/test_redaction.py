"""What the process log shows of an exception: kinds and places, never a value."""

import asyncio
import logging
import sqlite3
from pathlib import Path

import pytest
import sqlalchemy as sa

from pickpost.infra.redaction import describe, withhold_exception_messages
from pickpost.infra.sql.engine import make_engine

VALUE = "Zebediahqx 5125557391"


def raised(error: BaseException) -> BaseException:
    try:
        raise error
    except BaseException as caught:
        return caught


def test_messages_are_withheld_along_the_whole_chain() -> None:
    try:
        try:
            raise ValueError(f"invalid input for query argument $3: {VALUE!r}")
        except ValueError as inner:
            raise RuntimeError(f"while storing {VALUE}") from inner
    except RuntimeError as outer:
        text = describe(outer)
    assert VALUE not in text
    assert "builtins.ValueError: (message withheld" in text
    assert "builtins.RuntimeError: (message withheld" in text
    assert "direct cause" in text
    assert "test_messages_are_withheld_along_the_whole_chain" in text  # where it happened


def test_plain_messages_stay() -> None:
    text = describe(raised(ConnectionRefusedError(111, "Connect call failed ('127.0.0.1', 5432)")))
    assert "Connect call failed ('127.0.0.1', 5432)" in text
    sqlite_error = sqlite3.OperationalError("no such table: leads")
    assert "no such table: leads" in describe(raised(sqlite_error))


async def test_engine_errors_name_the_statement_but_not_its_parameters(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    try:
        async with engine.connect() as conn:
            with pytest.raises(sa.exc.OperationalError) as failed:
                await conn.execute(sa.text("INSERT INTO missing VALUES (:v)"), {"v": VALUE})
    finally:
        await engine.dispose()
    assert VALUE not in str(failed.value)
    text = describe(failed.value)
    assert "no such table: missing" in text  # SQLite's words and the statement are kept
    assert VALUE not in text


def test_every_logged_exception_is_described(caplog: pytest.LogCaptureFixture) -> None:
    factory = logging.getLogRecordFactory()
    try:
        withhold_exception_messages()
        withhold_exception_messages()  # once is enough; twice changes nothing
        try:
            raise KeyError(VALUE)
        except KeyError:
            logging.getLogger("any.library").exception("request r_1 failed")
    finally:
        logging.setLogRecordFactory(factory)
    text = caplog.text
    assert "request r_1 failed" in text
    assert "builtins.KeyError: (message withheld" in text
    assert VALUE not in text


async def test_asyncio_does_not_quote_a_lost_exception(caplog: pytest.LogCaptureFixture) -> None:
    """asyncio's own line for a task whose exception nobody retrieved carries the task's repr,
    and with it the exception's."""
    loop = asyncio.get_running_loop()
    future = loop.create_future()
    future.set_exception(raised(ValueError(VALUE)))
    future.exception()
    factory = logging.getLogRecordFactory()
    try:
        withhold_exception_messages()
        loop.call_exception_handler(
            {"message": "Task exception was never retrieved", "exception": future.exception(),
             "future": future}
        )  # fmt: skip
    finally:
        logging.setLogRecordFactory(factory)
    assert "Task exception was never retrieved" in caplog.text
    assert "ValueError(…)" in caplog.text
    assert VALUE not in caplog.text
