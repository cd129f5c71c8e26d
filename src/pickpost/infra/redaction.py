"""What the process log shows of an exception: where it happened and what kind it was, never
its message, unless that kind's messages cannot quote a lead.

A driver error can quote the values it choked on (asyncpg's "invalid input for query argument
$3: 'Dana…'", PostgreSQL's "invalid input syntax for type …: "…"") and an exception raised
anywhere on a request's path may carry a field value. The process log is not the place for
them: the request's row in the database holds the lead, under the ``request_id`` the log
line names (docs/security.md).
"""

import logging
import sqlite3
import traceback
from typing import Any

import redis.exceptions
import sqlalchemy.exc

# Kinds whose messages are the system's own words: addresses, SQLite's messages (which name
# tables and columns, never bound values) and connection failures.
_PLAIN = (OSError, sqlite3.Error, redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)
_WITHHELD = "(message withheld: it may quote lead data)"
_CAUSE = "\nThe above exception was the direct cause of the following exception:\n"
_CONTEXT = "\nDuring handling of the above exception, another exception occurred:\n"


def describe(error: BaseException) -> str:
    """``error`` as a traceback (with its causes) in which only plain messages remain."""
    chain: list[tuple[BaseException, str]] = []
    seen: set[int] = set()
    current: BaseException | None = error
    link = ""
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        chain.append((current, link))
        if current.__cause__ is not None:
            current, link = current.__cause__, _CAUSE
        elif current.__context__ is not None and not current.__suppress_context__:
            current, link = current.__context__, _CONTEXT
        else:
            current = None
    parts: list[str] = []
    for exc, link in reversed(chain):
        frames = "".join(traceback.format_tb(exc.__traceback__))
        kind = f"{type(exc).__module__}.{type(exc).__qualname__}"
        parts.append(f"Traceback (most recent call last):\n{frames}{kind}: {_message(exc)}")
        if link:
            parts.append(link)
    return "\n".join(parts)


def _message(error: BaseException) -> str:
    return str(error) if _plain(error) else _WITHHELD


def _plain(error: BaseException) -> bool:
    return isinstance(error, _PLAIN) or (
        # SQLAlchemy's own text around a driver error is the statement, whose values are
        # bound parameters: hidden by the engines' hide_parameters.
        isinstance(error, sqlalchemy.exc.DBAPIError)
        and error.hide_parameters
        and isinstance(error.orig, _PLAIN)
    )


class _WithholdingFactory:
    """Wraps the log record factory: every record of the process, whichever library logs it
    and whichever handler prints it, carries its exception already described."""

    def __init__(self, make: Any) -> None:
        self._make = make

    def __call__(self, *args: Any, **kwargs: Any) -> logging.LogRecord:
        record: logging.LogRecord = self._make(*args, **kwargs)
        error = record.exc_info[1] if record.exc_info else None
        if error is not None:
            record.exc_text = describe(error)  # formatters print this as is
            if not _plain(error):
                _unquote(record, error)
        return record


def _unquote(record: logging.LogRecord, error: BaseException) -> None:
    """Take the exception's repr out of the line itself: asyncio's "Task exception was never
    retrieved" names the task, whose repr carries ``exception=ValueError('…')``."""
    try:
        line = record.getMessage()
    except Exception:  # a bad format is the handler's to report, as without this factory
        return
    quoted = repr(error)
    if quoted in line:
        record.msg, record.args = line.replace(quoted, f"{type(error).__name__}(…)"), ()


def withhold_exception_messages() -> None:
    """Make every exception this process logs appear as ``describe`` renders it."""
    current = logging.getLogRecordFactory()
    if not isinstance(current, _WithholdingFactory):
        logging.setLogRecordFactory(_WithholdingFactory(current))
