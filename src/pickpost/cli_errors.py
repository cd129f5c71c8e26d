"""How the command line fails: one line naming what to fix and a non-zero exit code.

A new user meets an unreachable database or a busy port before anything else; a traceback
hundreds of lines long buries the one line that matters. Tracebacks are for ``--debug``.
Exit codes: 2 for input the user gives (a URL, a file, a key), 1 for the machine around
(a database that does not answer, a port in use) and for anything unexpected.
"""

import errno
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError
from typer.core import TyperGroup
from typer.exceptions import TyperException

err = Console(stderr=True)


class Failure(Exception):
    """An error the user fixes: said in one line, the process exits with ``code``."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


class OneLineErrors(TyperGroup):
    """The command group: every error ends as one line on stderr unless ``--debug`` is given."""

    def invoke(self, ctx: Any) -> Any:  # Typer's own click Context, not public
        debug = bool(ctx.params.get("debug"))
        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.Abort, TyperException):
            raise  # deliberate exits and usage errors: already said in one line
        except Failure as failure:
            if debug:
                raise
            say(str(failure))
            raise typer.Exit(failure.code) from None
        except Exception as error:
            if debug:
                raise
            name = type(error).__name__
            say(f"unexpected error: {name}: {first_line(error)} (--debug shows where)")
            raise typer.Exit(1) from None


def say(message: str) -> None:
    err.print(f"[red]{escape(message)}[/red]", soft_wrap=True)


def first_line(error: BaseException) -> str:
    if isinstance(error, ValidationError):
        return "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or '(top level)'}: {e['msg']}"
            for e in error.errors()
        )
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def shown_url(url: str) -> str:
    """A URL fit to print: the password masked."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "(unreadable URL)"


@contextmanager
def database_errors(url: str) -> Iterator[None]:
    """Turn a database that cannot be reached or opened into one line naming it."""
    try:
        yield
    except (DBAPIError, OSError) as error:
        cause = error.orig if isinstance(error, DBAPIError) else None
        reason = first_line(cause or error)
        raise Failure(
            f"cannot use the database {shown_url(url)}: {reason} "
            "(check --database or PICKPOST_DATABASE_URL, and that the server runs)"
        ) from error


def check_port_free(host: str, port: int) -> None:
    """Bind ``host:port`` once, as the server will, so a busy port is said before anything
    claims to have started (uvicorn runs the application's startup before it binds)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        # As uvicorn does: a port held only by connections closing (TIME_WAIT) is free.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                raise Failure(
                    f"port {port} on {host} is in use: stop what uses it, or give --port"
                ) from None
            raise Failure(
                f"cannot listen on {host}:{port}: {error.strerror} (check --host)"
            ) from None
