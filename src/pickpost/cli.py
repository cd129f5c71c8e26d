"""The ``pickpost`` command line: serve, load, migrate, campaigns, users, purge, keys,
consent, simbuyers, demo, seed."""

import asyncio
import base64
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from importlib.resources import as_file
from pathlib import Path
from typing import Annotated, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import typer
import uvicorn
import yaml
from redis import asyncio as aioredis
from redis.exceptions import RedisError
from rich.console import Console
from sqlalchemy.ext.asyncio import AsyncEngine

from pickpost.bootstrap import masters_of
from pickpost.cli_errors import (
    Failure,
    OneLineErrors,
    check_port_free,
    database_errors,
    err,
    first_line,
    shown_url,
)
from pickpost.cli_users import people_of, users_app
from pickpost.demo import FILES as DEMO
from pickpost.domain.audit import AuditEntry
from pickpost.domain.consent_ledger import DayRoot, root_from_json, verify_escrowed
from pickpost.domain.people import Role
from pickpost.infra.crypto import DataKeyError, new_data_key
from pickpost.infra.metrics import MULTIPROC_ENV
from pickpost.infra.personal_data import PersonalData
from pickpost.infra.sql.audit import SqlAuditLog
from pickpost.infra.sql.campaigns import list_campaigns, set_archived
from pickpost.infra.sql.consent_ledger import SqlConsentLedger, VerifyReport
from pickpost.infra.sql.engine import DatabaseUrlError, driver_url, make_engine
from pickpost.infra.sql.keys import Masters, Rotation, SqlKeyring, rotate
from pickpost.infra.sql.migrate import upgrade
from pickpost.infra.sql.purge import PurgeReport, Retention, SqlPurger
from pickpost.infra.sql.seeding import has_leads
from pickpost.infra.sql.workspace import (
    ApplyReport,
    SqlCatalogSource,
    apply_workspace,
)
from pickpost.infra.workspace_file import WorkspaceError, read_workspace
from pickpost.seed.run import SeedOptions, SeedRefused, SeedReport
from pickpost.seed.run import seed as seed_history
from pickpost.services.people import CLI
from pickpost.settings import Settings

app = typer.Typer(
    cls=OneLineErrors, help="Pickpost: an open-source lead exchange.", no_args_is_help=True
)
app.add_typer(users_app, name="users")
console = Console()

DatabaseOpt = Annotated[
    str,
    typer.Option(
        "--database", envvar="PICKPOST_DATABASE_URL", help="sqlite:///path or postgresql://…"
    ),
]
DEFAULT_DB = "sqlite:///var/pickpost.db"
T = TypeVar("T")


def _days(kind: str, name: str) -> object:
    """A ``--keep-NAME-days`` retention option, also read from ``PICKPOST_KEEP_NAME_DAYS``
    (the same variable ``Settings`` reads, so ``serve`` and ``purge`` agree)."""
    return typer.Option(
        f"--keep-{name}-days",
        envvar=f"PICKPOST_KEEP_{name.upper().replace('-', '_')}_DAYS",
        min=0,
        help=f"days {kind} keep personal data (default: forever)",
    )


KeepRequests = Annotated[float | None, _days("raw supplier requests", "requests")]
KeepLeadFields = Annotated[float | None, _days("lead fields and pings", "lead-fields")]
KeepConsent = Annotated[float | None, _days("consent evidence", "consent")]


@app.callback()
def _options(
    debug: Annotated[
        bool, typer.Option("--debug", help="show the traceback of an error, not one line")
    ] = False,
) -> None:
    """Declares the global options only: OneLineErrors reads --debug from the context."""


def _migrated(url: str) -> None:
    """Check the URL and bring the database to the newest schema (creating a SQLite file's
    directory), or say in one line why not."""
    try:
        driver_url(url)
    except DatabaseUrlError as error:
        raise Failure(str(error), 2) from None
    with database_errors(url):
        if url.startswith("sqlite:///"):
            Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        upgrade(url)


@app.command()
def migrate(database: DatabaseOpt = DEFAULT_DB) -> None:
    """Create or upgrade the database schema."""
    _migrated(database)
    console.print(f"database is at the newest schema: {database}")


@app.command()
def load(
    workspace: Annotated[Path, typer.Argument(help="workspace file (YAML or JSON)")],
    database: DatabaseOpt = DEFAULT_DB,
) -> None:
    """Apply a workspace file to the database; loading the same file again changes nothing."""
    _migrated(database)
    _apply(workspace, database)


def _apply(workspace: Path, database: str) -> None:
    """Apply the file and say what changed; a document that cannot be applied exits 2."""

    async def apply(engine: AsyncEngine) -> ApplyReport:
        report = await apply_workspace(engine, read_workspace(workspace))
        # Who loaded what: each changed campaign's document hash before and after.
        entry = AuditEntry(
            "cli",
            "workspace_load",
            f"workspace {workspace.name}",
            time.time(),
            {"doc_hashes": dict(report.hashes_before)},
            {"doc_hashes": dict(report.hashes_after), "unchanged": report.unchanged},
        )
        await SqlAuditLog(engine).record(entry)
        return report

    report = _on_database(database, apply, WorkspaceError)
    console.print(
        f"campaigns created: {len(report.created)}, updated: {len(report.updated)}, "
        f"unchanged: {len(report.unchanged)}"
    )
    if report.archived:
        console.print(
            f"archived, so not served (configuration stored): {', '.join(report.archived)}; "
            "`pickpost campaigns restore ID` serves one again"
        )


@app.command()
def serve(
    workspace: Annotated[
        Path | None, typer.Option(help="workspace file applied before serving")
    ] = None,
    database: DatabaseOpt = DEFAULT_DB,
    redis: Annotated[
        str | None, typer.Option(envvar="PICKPOST_REDIS_URL", help="redis://… for shared pings")
    ] = None,
    host: Annotated[str, typer.Option(envvar="PICKPOST_HOST")] = "127.0.0.1",
    port: Annotated[int, typer.Option(envvar="PICKPOST_PORT")] = 8000,
    workers: Annotated[
        int, typer.Option(envvar="PICKPOST_WORKERS", min=1, help="server processes (needs --redis)")
    ] = 1,
    keep_requests_days: KeepRequests = None,
    keep_lead_fields_days: KeepLeadFields = None,
    keep_consent_days: KeepConsent = None,
) -> None:
    """Serve the supplier and admin APIs and the console (migrating and applying --workspace
    first).

    With a retention set, what it no longer keeps is purged at start and every
    PICKPOST_PURGE_EVERY_S seconds. The master key of personal data is read from
    PICKPOST_DATA_KEY only: a command line is visible to every user of the machine.
    """
    if workers > 1 and not redis:
        # A POST must find its ping whichever process answered the PING.
        err.print("[red]--workers above 1 needs --redis: the processes share pings there[/red]")
        raise typer.Exit(2)
    settings = Settings(
        database_url=database,
        redis_url=redis,
        host=host,
        port=port,
        workers=workers,
        keep_requests_days=keep_requests_days,
        keep_lead_fields_days=keep_lead_fields_days,
        keep_consent_days=keep_consent_days,
    )
    masters = _masters(settings)  # a malformed key stops here, not in each worker
    _migrated(database)
    if workspace is not None:
        _apply(workspace, database)

    async def open_keyring(engine: AsyncEngine) -> None:
        # A key that cannot read this database's data keys stops here in one line, not in
        # the application's startup inside uvicorn.
        await SqlKeyring.open(engine, masters)

    _on_database(database, open_keyring, DataKeyError)
    if redis:
        _check_redis(redis)
    _run_server(settings)


def _check_redis(url: str) -> None:
    async def ping() -> None:
        client = aioredis.Redis.from_url(url)
        try:
            await client.ping()
        finally:
            await client.aclose()

    try:
        asyncio.run(ping())
    except ValueError as error:  # not a URL redis-py can read
        raise Failure(f"--redis: {first_line(error)}", 2) from None
    except (OSError, RedisError) as error:
        raise Failure(
            f"cannot use Redis at {shown_url(url)}: {first_line(error)} "
            "(check --redis or PICKPOST_REDIS_URL, and that the server runs)"
        ) from None


def _on_database(
    database: str, work: Callable[[AsyncEngine], Awaitable[T]], *clear: type[Exception]
) -> T:
    """Run ``work`` over an engine of ``database``, disposed of afterwards. The ``clear`` errors
    are a user's to fix: one line, exit code 2."""

    async def run() -> T:
        engine = make_engine(database)
        try:
            return await work(engine)
        finally:
            await engine.dispose()

    try:
        with database_errors(database):
            return asyncio.run(run())
    except clear as error:
        raise Failure(str(error), 2) from None


def _masters(settings: Settings) -> Masters:
    try:
        return masters_of(settings)
    except DataKeyError as error:
        err.print(f"[red]{error}[/red]")
        raise typer.Exit(2) from None


@app.command()
def purge(
    database: DatabaseOpt = DEFAULT_DB,
    keep_requests_days: KeepRequests = None,
    keep_lead_fields_days: KeepLeadFields = None,
    keep_consent_days: KeepConsent = None,
    batch_size: Annotated[int, typer.Option(min=1, help="rows per transaction")] = 500,
) -> None:
    """Blank personal data past its retention, in batches; running it again changes nothing.

    Totals, sales, payouts and the consent record's structure stay (docs/security.md).
    """
    retention = Retention(keep_requests_days, keep_lead_fields_days, keep_consent_days)
    if not retention.purges:
        err.print("[red]nothing to purge: give at least one --keep-…-days[/red]")
        raise typer.Exit(2)
    _migrated(database)

    async def run(engine: AsyncEngine) -> PurgeReport:
        catalog = await SqlCatalogSource(engine).load()
        # Blanking needs no key: encrypted values are blanked whole.
        personal = PersonalData(lambda: catalog, SqlKeyring(engine, Masters(None)))
        return await SqlPurger(engine, personal, batch_size).purge(retention, time.time())

    console.print(f"purged {_on_database(database, run)}")


keys_app = typer.Typer(help="The master key of personal data at rest (docs/security.md).")
app.add_typer(keys_app, name="keys")


@keys_app.command("generate")
def keys_generate() -> None:
    """Print a new master key for PICKPOST_DATA_KEY (32 random bytes, base64)."""
    print(base64.b64encode(new_data_key()).decode())


@keys_app.command("rotate")
def keys_rotate(database: DatabaseOpt = DEFAULT_DB) -> None:
    """Re-wrap the data keys under PICKPOST_DATA_KEY (the new master key), reading them with
    PICKPOST_DATA_KEY_PREVIOUS, and start a new data key for new values."""
    masters = _masters(Settings())
    if masters.current is None:
        err.print("[red]set PICKPOST_DATA_KEY to the new master key[/red]")
        raise typer.Exit(2)
    _migrated(database)

    async def run(engine: AsyncEngine) -> Rotation:
        return await rotate(engine, masters)

    rotation = _on_database(database, run, DataKeyError)
    console.print(
        f"data keys re-wrapped: {rotation.rewrapped}; new values use data key "
        f"{rotation.new_value_key}"
    )


consent_app = typer.Typer(
    help="The consent ledger (docs/consent.md): verify it, seal closed days, export the roots."
)
app.add_typer(consent_app, name="consent")
SinceOpt = Annotated[str | None, typer.Option("--since", help="from this UTC day on (YYYY-MM-DD)")]


def _since(since: str | None) -> date | None:
    if since is None:
        return None
    try:
        return date.fromisoformat(since)
    except ValueError:
        raise Failure(f"--since: {since!r} is not a day (YYYY-MM-DD)", 2) from None


def _consent_ledger(database: str, work: Callable[[SqlConsentLedger], Awaitable[T]]) -> T:
    """Run ``work`` on the ledger of ``database``; evidence is opened with PICKPOST_DATA_KEY
    when set (without it, encrypted evidence is not compared with its commitment)."""
    masters = _masters(Settings())
    _migrated(database)

    async def run(engine: AsyncEngine) -> T:
        catalog = await SqlCatalogSource(engine).load()
        keys = SqlKeyring(engine, masters)
        if masters.current is not None:
            keys = await SqlKeyring.open(engine, masters)
        return await work(SqlConsentLedger(engine, PersonalData(lambda: catalog, keys)))

    return _on_database(database, run, DataKeyError)


@consent_app.command("verify")
def consent_verify(
    lead: Annotated[str | None, typer.Option("--lead", help="one lead's chain only")] = None,
    since: SinceOpt = None,
    against: Annotated[
        Path | None,
        typer.Option("--against", help="roots exported earlier (consent roots): still stored?"),
    ] = None,
    database: DatabaseOpt = DEFAULT_DB,
) -> None:
    """Recompute the leads' chains and the sealed days' roots, and check them against the
    consent records and sales they attest (and with --against, the stored roots against
    copies published or escrowed). Exits 1 naming each thing tampered with."""
    if lead is not None and since is not None:
        raise Failure("give --lead or --since, not both", 2)
    day = _since(since)
    escrowed = [] if against is None else _escrowed(against)

    async def run(ledger: SqlConsentLedger) -> tuple[VerifyReport, list[DayRoot]]:
        return await ledger.verify(lead, day), await ledger.roots()

    report, stored = _consent_ledger(database, run)
    if lead is not None and not report.leads and not report.predating:
        raise Failure(f"no lead {lead} in the consent ledger", 2)
    report.problems += verify_escrowed(stored, escrowed)
    for problem in report.problems:
        print(f"tampered: {problem}")
    print(
        f"leads: {report.leads}, entries: {report.entries}, sealed days: {report.days}, "
        f"evidence not opened (purged, or no key): {report.unopened}, "
        f"leads from before the ledger: {report.predating}"
    )
    if report.problems:
        raise Failure(f"the consent ledger does not verify: {len(report.problems)} problem(s)")
    console.print("the consent ledger verifies")


def _escrowed(path: Path) -> list[DayRoot]:
    """The roots of a ``consent roots`` export."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
        return [root_from_json(json.loads(line)) for line in lines if line.strip()]
    except OSError as error:
        raise Failure(f"cannot read {path}: {error.strerror or error}", 2) from None
    except (ValueError, TypeError) as error:
        raise Failure(f"{path} is not an export of `pickpost consent roots`: {error}", 2) from None


@consent_app.command("seal-days")
def consent_seal_days(database: DatabaseOpt = DEFAULT_DB) -> None:
    """Compute the root of every closed UTC day (an hour's grace after midnight) not sealed
    yet; serve does this every PICKPOST_CONSENT_SEAL_EVERY_S seconds."""

    async def run(ledger: SqlConsentLedger) -> list[DayRoot]:
        return await ledger.seal(datetime.now(UTC))

    sealed = _consent_ledger(database, run)
    for root in sealed:
        console.print(f"sealed {root.day}: {root.entries} entries, root {root.root}")
    console.print(f"days sealed: {len(sealed)}")


@consent_app.command("roots")
def consent_roots(
    since: SinceOpt = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="write to this file (default: print)")
    ] = None,
    database: DatabaseOpt = DEFAULT_DB,
) -> None:
    """Export the sealed days' roots, one JSON object a line, to publish or escrow: the
    newest root pins every day before it."""
    day = _since(since)

    async def run(ledger: SqlConsentLedger) -> list[DayRoot]:
        return await ledger.roots(day)

    lines = [json.dumps(root.as_json(), sort_keys=True) for root in _consent_ledger(database, run)]
    text = "".join(f"{line}\n" for line in lines)
    if out is None:
        print(text, end="")
        return
    try:
        out.write_text(text, encoding="utf-8")
    except OSError as error:
        raise Failure(f"cannot write {out}: {error.strerror or error}", 2) from None
    console.print(f"roots of {len(lines)} day(s) written to {out}")


campaigns_app = typer.Typer(
    help="The stored campaigns: list them, archive one (it refuses traffic, keeps its "
    "history), restore it."
)
app.add_typer(campaigns_app, name="campaigns")


@campaigns_app.command("list")
def campaigns_list(database: DatabaseOpt = DEFAULT_DB) -> None:
    """List the stored campaigns: id, name, type, status (live, paused, archived), counts."""
    _migrated(database)
    summaries = _on_database(database, list_campaigns)
    if not summaries:
        console.print("no campaigns: load a workspace with `pickpost load FILE`")
        return
    rows = [("id", "name", "type", "status", "buyers", "suppliers", "updated (UTC)")]
    rows += [
        (c.id, c.name, c.type, c.status, str(c.buyers), str(c.suppliers), f"{c.updated:%F %R}")
        for c in summaries
    ]
    # Plain columns, never wrapped: the list is read in narrow terminals and by scripts.
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        cells = (cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        print("  ".join(cells).rstrip())


@campaigns_app.command("archive")
def campaigns_archive(
    campaign_id: Annotated[str, typer.Argument(help="the campaign's id")],
    database: DatabaseOpt = DEFAULT_DB,
) -> None:
    """Archive a campaign: it refuses traffic (code 1021) and keeps its history.

    Its leads, sales and pings stay. A later `pickpost load` updates its configuration but
    leaves it archived; `pickpost campaigns restore` serves it again.
    """
    _archive(campaign_id, database, archived=True)
    console.print(
        f"campaign {campaign_id} archived: every node refuses its traffic (code 1021) from its "
        "next catalog refresh; its history stays readable"
    )


@campaigns_app.command("restore")
def campaigns_restore(
    campaign_id: Annotated[str, typer.Argument(help="the campaign's id")],
    database: DatabaseOpt = DEFAULT_DB,
) -> None:
    """Serve an archived campaign again, from each node's next catalog refresh."""
    _archive(campaign_id, database, archived=False)
    console.print(f"campaign {campaign_id} restored: served again from the next catalog refresh")


def _archive(campaign_id: str, database: str, archived: bool) -> None:
    _migrated(database)

    async def run(engine: AsyncEngine) -> bool:
        return await set_archived(engine, campaign_id, archived)

    if not _on_database(database, run):
        raise Failure(f"no campaign {campaign_id} (`pickpost campaigns list` shows them)", 2)


def _run_server(settings: Settings) -> None:
    """Serve in this process, or supervise ``settings.workers`` processes sharing the port.

    Each process builds its app from the ``PICKPOST_*`` variables exported here. Uvicorn's
    supervisor restarts a worker that dies and, on SIGTERM or SIGINT, stops them all
    gracefully; their metrics meet in a directory that lives as long as the supervisor.
    """
    check_port_free(settings.host, settings.port)
    os.environ.update(settings.to_env())
    if settings.workers == 1:
        _uvicorn(settings)
        return
    with tempfile.TemporaryDirectory(prefix="pickpost-metrics-") as metrics_dir:
        os.environ[MULTIPROC_ENV] = metrics_dir
        _uvicorn(settings)


def _uvicorn(settings: Settings) -> None:
    uvicorn.run(
        "pickpost.bootstrap:app_from_env",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        log_level=settings.log_level,
        access_log=False,
        server_header=False,
        # uvicorn's httptools protocol with read deadlines, a connection cap and arrival
        # stamps (docs/deploy.md, "Overload and slow clients"); uvloop as before.
        http="pickpost.infra.server_protocol:GuardedProtocol",
        loop="uvloop",
        # Forwarded headers are believed only behind a proxy the operator says it trusts.
        proxy_headers=settings.trusted_proxy,
    )


@app.command()
def simbuyers(
    config: Annotated[Path, typer.Option(help="fleet file (YAML or JSON)")],
    host: Annotated[str, typer.Option()] = "127.0.0.1",
) -> None:
    """Run simulated buyers (real HTTP servers: the native protocol, or a mapped dialect)."""
    from pickpost.simbuyers import FleetConfig
    from pickpost.simbuyers.server import run_fleet

    try:
        fleet = FleetConfig.from_file(config)
    except (OSError, ValueError, yaml.YAMLError) as error:
        reason = error.strerror if isinstance(error, OSError) else first_line(error)
        raise Failure(f"cannot use the fleet file {config}: {reason}", 2) from None
    try:
        asyncio.run(run_fleet(fleet, host))
    except OSError as error:
        raise Failure(
            f"a simulated buyer cannot listen on {host}: {error.strerror or error} "
            "(a port in the fleet file is in use, or --host is wrong)"
        ) from None


@app.command()
def demo(
    port: Annotated[int, typer.Option()] = 8000,
    database: DatabaseOpt = "sqlite:///var/demo.db",
) -> None:
    """Migrate, load the demo workspace, start simulated buyers and serve on PORT."""
    # Package data, so the demo runs from any install, not only from a source checkout.
    with as_file(DEMO / "workspace.yaml") as workspace, as_file(DEMO / "simbuyers.yaml") as fleet:
        _demo(port, database, workspace, fleet)


def _demo(port: int, database: str, workspace: Path, fleet_file: Path) -> None:
    from pickpost.simbuyers import FleetConfig

    check_port_free("127.0.0.1", port)  # before printing requests to a port it cannot serve
    load(workspace, database)
    if not _on_database(database, has_leads):
        # A fresh demo opens on a week of traffic, small enough to write in seconds.
        _seed(database, SeedOptions(leads_per_day=DEMO_LEADS_PER_DAY))
    _on_database(database, _demo_owner)
    ports = [buyer.port for buyer in FleetConfig.from_file(fleet_file).buyers]
    busy = [port for port in ports if _accepts(port)]
    if busy:
        err.print(f"[red]ports {busy} are in use; the demo's simulated buyers need them[/red]")
        raise typer.Exit(1)
    fleet = subprocess.Popen(
        [sys.executable, "-m", "pickpost", "simbuyers", "--config", str(fleet_file)],
        stdout=subprocess.DEVNULL,
    )
    try:
        if not _listening(fleet, ports):
            err.print(f"[red]simulated buyers did not start (ports {ports} in use?)[/red]")
            raise typer.Exit(1)
        token = os.environ.get("PICKPOST_ADMIN_TOKEN", "demo-admin-token-not-a-secret")
        _print_demo_requests(port, token)
        # uvicorn re-raises SIGTERM after its graceful shutdown; make that an exit that runs
        # the `finally` below, so the simulated buyers stop with the demo.
        signal.signal(signal.SIGTERM, _exit_on_signal)
        _run_server(Settings(database_url=database, port=port, admin_token=token))
    finally:
        fleet.terminate()
        fleet.wait(timeout=10)


async def _demo_owner(engine: AsyncEngine) -> None:
    """The demo's console user (an owner), made when the demo database has no user yet."""
    people = people_of(engine)
    if not await people.users():
        await people.add(CLI, DEMO_USER, DEMO_PASSWORD, Role.OWNER)


def _exit_on_signal(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)


def _listening(process: "subprocess.Popen[bytes]", ports: list[int], wait_s: float = 15) -> bool:
    """Whether every port accepts connections before ``process`` exits or time runs out."""
    until = time.monotonic() + wait_s
    while time.monotonic() < until and process.poll() is None:
        if all(_accepts(port) for port in ports):
            return True
        time.sleep(0.1)
    return False


def _accepts(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
    except OSError:
        return False
    return True


def _print_demo_requests(port: int, token: str) -> None:
    base = f"http://127.0.0.1:{port}"
    auth = (
        '"lp_campaign_id": "101", "lp_supplier_id": "7", "lp_key": "demo-supplier-key-not-secret"'
    )
    ping = f'{{{auth}, "zip_code": "78701", "state": "TX", "home_owner": "yes"}}'
    post_builder = (
        "import json,sys; p=json.load(sys.stdin); print(json.dumps({"
        '"lp_campaign_id": "101", "lp_supplier_id": "7", '
        '"lp_key": "demo-supplier-key-not-secret", "lp_ping_id": p["ping_id"], '
        '"lp_consent_bids": [b["bid_id"] for b in p["bids"][:2]], '
        '"zip_code": "78701", "state": "TX", "home_owner": "yes", '
        '"first_name": "Dana", "last_name": "Reyes", "phone": "(512) 555-0142", '
        '"email": "dana@example.com", "ip_address": "203.0.113.7", '
        '"user_agent": "Mozilla/5.0", "landing_page_url": "https://supplier.example/solar", '
        '"tcpa_text": "By clicking Submit I agree to be contacted by the companies I selected."}))'
    )
    console.print("\n[bold]Pickpost demo[/bold] – paste these into another shell:\n")
    print(f"PING=$(curl -s {base}/ping -H 'Content-Type: application/json' -d '{ping}')")
    print('echo "$PING"')
    print(
        f"POST=$(curl -s {base}/post -H 'Content-Type: application/json' "
        f'-d "$(echo "$PING" | python3 -c \'{post_builder}\')")'
    )
    print('echo "$POST"')
    console.print("\nThe lead as recorded, with its consent and buyer-call timeline:")
    lead_id = "python3 -c 'import json,sys; print(json.load(sys.stdin)[\"lead_id\"])'"
    print(
        f'curl -s {base}/api/v1/leads/$(echo "$POST" | {lead_id}) '
        f"-H 'Authorization: Bearer {token}'\n"
    )
    _print_exchange_and_direct_post(base)
    # Plain print: Rich would wrap the line at the terminal's width, splitting the password.
    print(f"\nConsole: {base}/console – sign in as {DEMO_USER} / {DEMO_PASSWORD}")


def _print_exchange_and_direct_post(base: str) -> None:
    """Campaigns 102 (exclusive exchange, fallback) and 103 (Direct Post, highest bidder)."""
    auth = '"lp_supplier_id": "7", "lp_key": "demo-supplier-key-not-secret"'
    person = (
        '"first_name": "Dana", "last_name": "Reyes", "phone": "(512) 555-0142", '
        '"email": "dana@example.com"'
    )
    ping = f'{{"lp_campaign_id": "102", {auth}, "zip_code": "78701", "state": "TX"}}'
    post_builder = (
        "import json,sys; p=json.load(sys.stdin); print(json.dumps({"
        f'"lp_campaign_id": "102", {auth}, "lp_ping_id": p["ping_id"], '
        f'"zip_code": "78701", "state": "TX", {person}}}))'
    )
    lead = (
        f'{{"lp_campaign_id": "103", {auth}, "zip_code": "78701", "state": "TX", '
        f'"home_owner": "yes", {person}, "ip_address": "203.0.113.7"}}'
    )
    json_header = "-H 'Content-Type: application/json'"
    console.print("Ping/Post Exchange (campaign 102): the PING quotes one payout, the POST sells:")
    print(f"XPING=$(curl -s {base}/ping {json_header} -d '{ping}') && echo \"$XPING\"")
    print(
        f"XPOST=$(curl -s {base}/post {json_header} "
        f'-d "$(echo "$XPING" | python3 -c \'{post_builder}\')") && echo "$XPOST"'
    )
    console.print("\nDirect Post (campaign 103): the full lead in one call, to the highest bidder:")
    print(f"DIRECT=$(curl -s {base}/direct_post {json_header} -d '{lead}') && echo \"$DIRECT\"\n")


DEMO_LEADS_PER_DAY = 150
# The demo's console owner: an obviously made-up password, like the demo's admin token.
DEMO_USER, DEMO_PASSWORD = "demo", "demo-password-not-a-secret"


@app.command()
def seed(
    database: DatabaseOpt = DEFAULT_DB,
    days: Annotated[int, typer.Option(min=1, max=366, help="days of history, ending now")] = 7,
    leads_per_day: Annotated[
        int, typer.Option(min=1, help="leads on a weekday (weekends bring about half)")
    ] = 300,
    seed: Annotated[int, typer.Option(help="the same seed writes the same history")] = 1,
    zone: Annotated[
        str, typer.Option(help="time zone of the traffic's daily curve")
    ] = "America/New_York",
    append: Annotated[
        bool,
        typer.Option("--append", "--yes", help="write even though the database has leads"),
    ] = False,
) -> None:
    """Write a made-up but realistic history of traffic over the loaded workspace's campaigns.

    Pings, bids, leads, consent, sales, buyer calls with bodies, requests and returns, with
    fake people (555-01xx phones, @example.com emails). Personal values are encrypted when
    PICKPOST_DATA_KEY is set, as live traffic's are. For demos and measurements: never into
    a database that holds real leads.
    """
    try:
        where = ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise Failure(f"--zone: unknown time zone {zone!r}", 2) from None
    _migrated(database)
    _seed(database, SeedOptions(days, leads_per_day, seed, where, append))


def _seed(database: str, options: SeedOptions) -> None:
    masters = _masters(Settings())

    async def run(engine: AsyncEngine) -> SeedReport:
        return await seed_history(engine, masters, options, console)

    report = _on_database(database, run, SeedRefused, DataKeyError)
    console.print(f"seeded {report}")


@app.command()
def bench(
    scenarios: Annotated[
        str,
        typer.Option(
            help="comma-separated: rates, hanging, fanout50, backends, workers, overload, soak"
        ),
    ] = "rates,hanging,fanout50,backends,workers,overload,soak",
    quick: Annotated[bool, typer.Option(help="a few seconds per scenario (CI smoke test)")] = False,
    duration: Annotated[float | None, typer.Option(help="seconds per measured step")] = None,
    rates: Annotated[str | None, typer.Option(help="pings/s to climb, e.g. 50,100,200")] = None,
    database: Annotated[
        str, typer.Option(help="PostgreSQL for the cluster scenarios")
    ] = "postgresql://postgres@127.0.0.1:5432/test",
    redis: Annotated[str, typer.Option(help="Redis for the cluster scenarios")] = (
        "redis://127.0.0.1:6379/0"
    ),
    soak_duration: Annotated[
        float | None, typer.Option(help="seconds of the soak (default 600; --quick: --duration)")
    ] = None,
    soak_rate: Annotated[float, typer.Option(help="pings/s of the soak")] = 50.0,
    overload_rate: Annotated[
        float | None, typer.Option(help="also overload at this rate, e.g. 400 (beside 3×)")
    ] = None,
    json_path: Annotated[Path | None, typer.Option("--json", help="write all numbers")] = None,
    plot: Annotated[Path | None, typer.Option(help="write the overhead chart (PNG)")] = None,
) -> None:
    """Open-loop load bench against a real server, simulated buyers and a bare baseline."""
    from pickpost.bench import EXTRA

    try:
        from pickpost.bench.runner import build_options, run_bench
    except ModuleNotFoundError as missing:
        module = (missing.name or "").partition(".")[0]
        if module not in EXTRA:
            raise
        install = "pip install 'pickpost[bench]'"
        err.print(f"pickpost bench needs {module}: {install}", style="red", markup=False)
        raise typer.Exit(2) from None

    try:
        options = build_options(
            scenarios, rates, duration, quick, database, redis, soak_duration, soak_rate,
            overload_rate,
        )  # fmt: skip
    except ValueError as error:
        err.print(f"[red]{error}[/red]")
        raise typer.Exit(2) from None
    run_bench(options, console, json_path, plot)
