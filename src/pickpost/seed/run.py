"""``pickpost seed``: the stored workspace in, a generated history written to the ledger."""

import time
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy.ext.asyncio import AsyncEngine

from pickpost.infra.personal_data import PersonalData
from pickpost.infra.sql.keys import Masters, SqlKeyring
from pickpost.infra.sql.rollups import SqlRollups
from pickpost.infra.sql.seeding import SqlSeeder, has_leads
from pickpost.infra.sql.workspace import SqlCatalogSource
from pickpost.seed.history import DayHistory, History
from pickpost.seed.shape import Shape


class SeedRefused(Exception):
    """The database is not one to seed as asked; the message says why and what to do."""


@dataclass(frozen=True, slots=True)
class SeedOptions:
    days: int = 7
    leads_per_day: int = 300
    seed: int = 1
    zone: ZoneInfo = field(default_factory=lambda: ZoneInfo("America/New_York"))
    append: bool = False  # write beside leads already in the database


@dataclass(slots=True)
class SeedReport:
    leads: int = 0
    pings: int = 0
    sales: int = 0
    calls: int = 0
    requests: int = 0
    returns: int = 0
    seconds: float = 0.0

    def add(self, batch: DayHistory) -> None:
        self.leads += len(batch.leads)
        self.pings += len(batch.pings)
        self.sales += len(batch.sales)
        self.calls += len(batch.calls)
        self.requests += len(batch.requests)
        self.returns += len(batch.returns)

    def __str__(self) -> str:
        counts = ", ".join(
            f"{f.name} {getattr(self, f.name):,}" for f in fields(self) if f.name != "seconds"
        )
        return f"{counts} in {self.seconds:.1f} s"


async def seed(
    engine: AsyncEngine, masters: Masters, options: SeedOptions, console: Console
) -> SeedReport:
    """Write ``options.days`` days of traffic ending now over the stored campaigns."""
    catalog = await SqlCatalogSource(engine).load()
    if not any(not c.archived for c in catalog.campaigns.values()):
        raise SeedRefused("no workspace is loaded: load one first with `pickpost load FILE`")
    if not options.append and await has_leads(engine):
        raise SeedRefused(
            "the database already has leads; a seeded history would mix made-up traffic with "
            "them: give --append to write it anyway"
        )
    personal = PersonalData(lambda: catalog, await SqlKeyring.open(engine, masters))
    seeder = SqlSeeder(engine, personal, datetime.now(UTC))
    history = History(
        catalog, Shape(options.zone, options.leads_per_day), options.seed, time.time()
    )
    report = SeedReport()
    started = time.perf_counter()
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=not console.is_terminal) as progress:
        task = progress.add_task("seeding days", total=options.days + 1)
        day = None
        for batch in history.days(options.days):
            await seeder.write(batch)
            report.add(batch)
            if day is not None and batch.day != day:
                progress.advance(task)
            day = batch.day
            progress.update(task, description=f"seeding {day} · {report.leads:,} leads")
        progress.update(task, completed=options.days + 1)
    # Every seeded lead carries this run's time as updated_at, past any mark, so one refresh
    # takes the whole history into the lead rollups. (The traffic rollups of the seeded pings
    # are written with each batch.)
    await SqlRollups(engine).refresh()
    report.seconds = time.perf_counter() - started
    return report
