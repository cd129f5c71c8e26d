"""``pickpost users``: the people of the console and their API tokens (docs/console.md).

Every change is written to the audit log with the actor ``cli``: whoever can run this command
against the database is its owner.
"""

import asyncio
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from sqlalchemy.ext.asyncio import AsyncEngine

from pickpost.cli_errors import Failure, database_errors
from pickpost.domain.people import PeopleError, Role
from pickpost.infra.counters import MemoryCounters
from pickpost.infra.passwords import Argon2Passwords
from pickpost.infra.sql.audit import SqlAuditLog
from pickpost.infra.sql.engine import DatabaseUrlError, driver_url, make_engine
from pickpost.infra.sql.migrate import upgrade
from pickpost.infra.sql.people import SqlPeople
from pickpost.services.people import CLI, People
from pickpost.services.ports import SystemClock

users_app = typer.Typer(
    help="People who sign in to the console (/console), their roles and API tokens.",
    no_args_is_help=True,
)
T = TypeVar("T")

DatabaseOpt = Annotated[
    str,
    typer.Option(
        "--database", envvar="PICKPOST_DATABASE_URL", help="sqlite:///path or postgresql://…"
    ),
]
DEFAULT_DB = "sqlite:///var/pickpost.db"
RoleOpt = Annotated[
    Role | None,
    typer.Option(
        help="owner (everything), admin (all but people), analyst (reads), supplier, buyer"
    ),
]
ScopeOpt = Annotated[
    str | None, typer.Option("--scope", help="the supplier or buyer id a scoped role sees")
]
TimeZoneOpt = Annotated[
    str | None, typer.Option("--time-zone", help="Area/City, e.g. America/Chicago")
]
PasswordStdin = Annotated[
    bool, typer.Option("--password-stdin", help="read the password from standard input")
]


def people_of(engine: AsyncEngine) -> People:
    """People over a database, for commands: no sign-ins, so counters of this process."""
    clock = SystemClock()
    return People(
        SqlPeople(engine), Argon2Passwords(), SqlAuditLog(engine), MemoryCounters(), clock
    )


def _run(database: str, work: Callable[[People], Awaitable[T]]) -> T:
    """Bring the database to the newest schema, then run ``work``; a refused change is one
    line and exit code 2."""
    try:
        driver_url(database)
    except DatabaseUrlError as error:
        raise Failure(str(error), 2) from None

    async def run() -> T:
        engine = make_engine(database)
        try:
            return await work(people_of(engine))
        finally:
            await engine.dispose()

    with database_errors(database):
        if database.startswith("sqlite:///"):
            Path(database.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        upgrade(database)
        try:
            return asyncio.run(run())
        except PeopleError as error:
            raise Failure(str(error), 2) from None


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    entered: str = typer.prompt("password", hide_input=True, confirmation_prompt=True)
    return entered


def _when(epoch: float | None) -> str:
    return "-" if epoch is None else f"{datetime.fromtimestamp(epoch, UTC):%F %R}"


def _print_rows(rows: list[tuple[str, ...]]) -> None:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())


@users_app.command("add")
def users_add(
    name: Annotated[str, typer.Argument(help="the name to sign in with")],
    role: Annotated[Role, typer.Option(help="owner, admin, analyst, supplier or buyer")],
    scope: ScopeOpt = None,
    time_zone: Annotated[
        str, typer.Option("--time-zone", help="Area/City, e.g. America/Chicago")
    ] = "UTC",
    password_stdin: PasswordStdin = False,
    database: DatabaseOpt = DEFAULT_DB,
) -> None:
    """Add a user (the password is asked twice, hidden, unless --password-stdin)."""
    password = _password(password_stdin)
    user = _run(database, lambda p: p.add(CLI, name, password, role, scope, time_zone))
    scoped = f" of {user.role} {user.scope_id}" if user.scope_id else ""
    print(f"user {user.name} added: {user.role}{scoped}; sign in at /console")


@users_app.command("list")
def users_list(database: DatabaseOpt = DEFAULT_DB) -> None:
    """List the users: name, role, scope, time zone, created, disabled."""
    users = _run(database, lambda p: p.users())
    if not users:
        print("no users: `pickpost users add NAME --role owner` adds the first")
        return
    rows: list[tuple[str, ...]] = [
        ("name", "role", "scope", "time zone", "created (UTC)", "disabled (UTC)")
    ]
    rows += [
        (u.name, u.role.value, u.scope_id or "-", u.time_zone, _when(u.created_at),
         _when(u.disabled_at))
        for u in users
    ]  # fmt: skip
    _print_rows(rows)


@users_app.command("set")
def users_set(
    name: Annotated[str, typer.Argument(help="the user's name")],
    role: RoleOpt = None,
    scope: ScopeOpt = None,
    time_zone: TimeZoneOpt = None,
    password_stdin: PasswordStdin = False,
    database: DatabaseOpt = DEFAULT_DB,
) -> None:
    """Change a user's role, scope, time zone or (from standard input) password."""
    password = _password(True) if password_stdin else None
    user = _run(
        database,
        lambda p: p.change(
            CLI, name, role=role, scope_id=scope, time_zone=time_zone, password=password
        ),
    )
    scoped = f" of {user.role} {user.scope_id}" if user.scope_id else ""
    print(f"user {user.name}: {user.role}{scoped}, time zone {user.time_zone}")


@users_app.command("disable")
def users_disable(
    name: Annotated[str, typer.Argument(help="the user's name")],
    database: DatabaseOpt = DEFAULT_DB,
) -> None:
    """Disable a user: its sessions and API tokens stop working at once."""
    _run(database, lambda p: p.disable(CLI, name))
    print(f"user {name} disabled: its sessions and tokens are refused")


@users_app.command("sign-out")
def users_sign_out(
    name: Annotated[str, typer.Argument(help="the user's name")],
    database: DatabaseOpt = DEFAULT_DB,
) -> None:
    """Sign a user out everywhere: every session of theirs ends (API tokens stay)."""
    _run(database, lambda p: p.sign_out_everywhere(CLI, name))
    print(f"user {name} signed out everywhere")


@users_app.command("token")
def users_token(
    name: Annotated[str, typer.Argument(help="the user's name")],
    label: Annotated[str, typer.Option(help="what the token is for")] = "",
    database: DatabaseOpt = DEFAULT_DB,
) -> None:
    """Create an API token acting for the user; it is printed once, never stored."""
    token_id, token = _run(database, lambda p: p.create_token(CLI, name, label))
    print(f"token {token_id} for {name} (shown once; `pickpost users revoke {token_id}` ends it):")
    print(token)


@users_app.command("revoke")
def users_revoke(
    token_id: Annotated[str, typer.Argument(help="the token's id (pp_<id>_…)")],
    database: DatabaseOpt = DEFAULT_DB,
) -> None:
    """Revoke an API token."""
    _run(database, lambda p: p.revoke_token(CLI, token_id))
    print(f"token {token_id} revoked")
