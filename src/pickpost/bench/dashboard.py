"""The dashboard and reports over a seeded history, timed (docs/benchmarks.md, "Console:
dashboard over a seeded history").

    python -m pickpost.bench.dashboard --database URL [--runs 20] [--port 8779]

The database holds a history written by ``pickpost seed`` (its end is the latest lead). Times
``ReportService.dashboard`` and a grouped report directly and ``GET /api/v1/dashboard``
through a ``pickpost serve`` it starts, for 1, 7 and 30 days in three zones; then the cost of
a rollup refresh after live-like changes and of a second's traffic counts. Prints Markdown.
"""

import argparse
import asyncio
import os
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from functools import partial
from zoneinfo import ZoneInfo

import httpx
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from pickpost.domain.reports import Grouping, ReportQuery
from pickpost.domain.traffic import Delta, TrafficKey
from pickpost.infra.sql import schema
from pickpost.infra.sql.engine import make_engine
from pickpost.infra.sql.rollups import SqlRollups
from pickpost.infra.sql.traffic import SqlTrafficStore
from pickpost.services.reports import ReportService

ZONES = ("America/New_York", "UTC", "Asia/Kolkata")
SPANS = (1, 7, 30)
TOKEN = "bench-dashboard-token-0123456789abcdef"
OVERLAP_S = 120  # PICKPOST_ROLLUP_OVERLAP_S by default
TABLES = (
    "leads",
    "lead_rollups",
    "lead_rollups_hourly",
    "lead_rollups_daily",
    "traffic_rollups",
    "traffic_rollups_hourly",
    "traffic_rollups_daily",
    "lead_rollups_zoned",
    "traffic_rollups_zoned",
)


class _NoTraffic:
    """This process counts no traffic: nothing to write before a read."""

    async def flush(self) -> None:
        return None


def _ms(values: list[float]) -> str:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return f"{statistics.median(ordered) * 1000:.0f} / {p95 * 1000:.0f}"


async def _timed(call: Callable[[], Awaitable[object]], runs: int) -> tuple[float, list[float]]:
    """The first call's time (cold: a new process and pool) and the next ``runs``."""
    times = []
    for _ in range(runs + 1):
        began = time.perf_counter()
        await call()
        times.append(time.perf_counter() - began)
    return times[0], times[1:]


async def _counts(engine: AsyncEngine) -> dict[str, int]:
    async with engine.connect() as conn:
        return {
            name: int((await conn.execute(sa.text(f"SELECT count(*) FROM {name}"))).scalar_one())
            for name in TABLES
        }


async def _last_day(engine: AsyncEngine, tz: ZoneInfo) -> date:
    async with engine.connect() as conn:
        latest = (await conn.execute(sa.select(sa.func.max(schema.leads.c.created_at)))).scalar()
    moment = latest if isinstance(latest, datetime) else datetime.now(UTC)
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(tz).date()


async def _direct(engine: AsyncEngine, runs: int) -> list[str]:
    service = ReportService(SqlRollups(engine), _NoTraffic())
    lines = [
        "| zone | days | dashboard cold | dashboard warm median / p95 | "
        "report by campaign, supplier, buyer warm | report by campaign and day warm |",
        "|---|---|---|---|---|---|",
    ]
    fills = ["| zone | first read in the zone: its day rows filled (once) |", "|---|---|"]
    for name in ZONES:
        tz = ZoneInfo(name)
        last = await _last_day(engine, tz)
        began = time.perf_counter()
        await service.report(ReportQuery(last - timedelta(days=29), last, tz))
        fills.append(f"| {name} | {(time.perf_counter() - began) * 1000:.0f} ms |")
        for days in SPANS:
            query = ReportQuery(last - timedelta(days=days - 1), last, tz)
            cold, warm = await _timed(partial(service.dashboard, query), runs)
            grouped = query.with_groups(Grouping.CAMPAIGN, Grouping.SUPPLIER, Grouping.BUYER)
            _, by_parties = await _timed(partial(service.report, grouped), runs)
            daily = query.with_groups(Grouping.CAMPAIGN, Grouping.DAY)
            _, by_day = await _timed(partial(service.report, daily), runs)
            lines.append(
                f"| {name} | {days} | {cold * 1000:.0f} | {_ms(warm)} | {_ms(by_parties)} "
                f"| {_ms(by_day)} |"
            )
    return [*fills, "", *lines]


def _over_http(url: str, port: int, runs: int, last: date) -> list[str]:
    env = {**os.environ, "PICKPOST_ADMIN_TOKEN": TOKEN}
    server = subprocess.Popen(
        [sys.executable, "-m", "pickpost", "serve", "--database", url, "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    lines = ["| zone | days | first request | warm median / p95 |", "|---|---|---|---|"]
    try:
        with httpx.Client(
            base_url=f"http://127.0.0.1:{port}",
            headers={"Authorization": f"Bearer {TOKEN}"},
            timeout=60,
        ) as http:
            for _ in range(300):
                try:
                    http.get("/healthz")
                    break
                except httpx.TransportError:
                    time.sleep(0.2)
            for name in ZONES:
                for days in SPANS:
                    params = {
                        "start_date": (last - timedelta(days=days - 1)).isoformat(),
                        "end_date": last.isoformat(),
                        "timezone": name,
                    }
                    times = []
                    for _ in range(runs + 1):
                        began = time.perf_counter()
                        http.get("/api/v1/dashboard", params=params).raise_for_status()
                        times.append(time.perf_counter() - began)
                    lines.append(f"| {name} | {days} | {times[0] * 1000:.0f} | {_ms(times[1:])} |")
    finally:
        server.terminate()
        server.wait(10)
    return lines


async def _refresh_costs(engine: AsyncEngine, runs: int) -> list[str]:
    """A refresh with nothing new, after 50 leads of the last hour changed (sales finishing)
    and after a return on a month-old lead; a second's traffic counts written to the tiers."""
    rollups = SqlRollups(engine)
    await rollups.refresh()
    chance = random.Random(7)
    async with engine.connect() as conn:
        latest = (await conn.execute(sa.select(sa.func.max(schema.leads.c.created_at)))).scalar()
        recent = (
            await conn.execute(
                sa.select(schema.leads.c.id)
                .where(schema.leads.c.created_at >= latest - timedelta(hours=1))
                .limit(500)
            )
        ).scalars()
        old = (
            await conn.execute(
                sa.select(schema.leads.c.id)
                .where(schema.leads.c.created_at < latest - timedelta(days=25))
                .limit(500)
            )
        ).scalars()
        recent_ids, old_ids = list(recent), list(old)

    async def touch(ids: list[str]) -> None:
        async with engine.begin() as conn:
            await conn.execute(
                schema.leads.update()
                .where(schema.leads.c.id.in_(ids))
                .values(updated_at=datetime.now(UTC))
            )

    nothing, live, month_old = [], [], []
    for _ in range(runs):
        began = time.perf_counter()
        await rollups.refresh()
        nothing.append(time.perf_counter() - began)
        await touch(chance.sample(recent_ids, min(50, len(recent_ids))))
        began = time.perf_counter()
        await rollups.refresh()
        live.append(time.perf_counter() - began)
        await touch(chance.sample(old_ids, min(1, len(old_ids))))
        began = time.perf_counter()
        await rollups.refresh()
        month_old.append(time.perf_counter() - began)
    store = SqlTrafficStore(engine)
    bucket = int(time.time()) // 900 * 900 + 86400 * 400  # far ahead: no report reads it
    second = {
        TrafficKey(bucket, f"c{n % 3}", f"s{n % 7}", f"b{n % 6}", False, metric): Delta(3, 300, 4.5)
        for n in range(60)
        for metric in ("call", "bid", "no_bid")
    }
    flushes = []
    for _ in range(runs):
        began = time.perf_counter()
        await store.add(second)
        flushes.append(time.perf_counter() - began)
    async with engine.begin() as conn:
        for table in (
            schema.traffic_rollups,
            schema.traffic_rollups_hourly,
            schema.traffic_rollups_daily,
        ):
            ahead = datetime.fromtimestamp(bucket - 86400, UTC)
            await conn.execute(table.delete().where(table.c.bucket >= ahead))
    return [
        "| what | median / p95 ms |",
        "|---|---|",
        f"| lead rollup refresh, nothing new | {_ms(nothing)} |",
        f"| refresh after 50 leads of the last hour changed | {_ms(live)} |",
        f"| refresh after a return on a 25-day-old lead | {_ms(month_old)} |",
        f"| a second's traffic counts ({len(second)} rows) added to the three tiers | "
        f"{_ms(flushes)} |",
    ]


async def _settle(engine: AsyncEngine) -> None:
    """Wait out the refresh overlap after the latest change to a lead (an earlier run's
    touches): the reads are timed as an idle exchange's; the refresh costs below are what
    live changes add to each read."""
    async with engine.connect() as conn:
        latest = (await conn.execute(sa.select(sa.func.max(schema.leads.c.updated_at)))).scalar()
    if isinstance(latest, datetime):
        since = datetime.now(UTC) - (latest if latest.tzinfo else latest.replace(tzinfo=UTC))
        await asyncio.sleep(max(0.0, OVERLAP_S + 5 - since.total_seconds()))
    await SqlRollups(engine).refresh()


async def _main(url: str, runs: int, port: int, http: bool) -> None:
    engine = make_engine(url)
    try:
        if engine.dialect.name == "postgresql":
            # The planner's statistics, as autovacuum keeps them (it may be off, as on the
            # box measured): after a bulk seed, without them every plan is a guess.
            async with engine.connect() as conn:
                await (await conn.execution_options(isolation_level="AUTOCOMMIT")).execute(
                    sa.text("ANALYZE")
                )
        started = time.perf_counter()
        await SqlRollups(engine).refresh()
        print(f"first refresh: {time.perf_counter() - started:.1f} s\n")
        print("rows: " + ", ".join(f"{k} {v:,}" for k, v in (await _counts(engine)).items()))
        await _settle(engine)
        print(f"\nload average before: {os.getloadavg()}\n")
        print("\n".join(await _direct(engine, runs)))
        last = await _last_day(engine, ZoneInfo(ZONES[0]))
    finally:
        await engine.dispose()
    if http:
        print()
        print("\n".join(_over_http(url, port, runs, last)))
    engine = make_engine(url)
    try:
        print()
        print("\n".join(await _refresh_costs(engine, runs)))
    finally:
        await engine.dispose()
    print(f"\nload average after: {os.getloadavg()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database", required=True)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--port", type=int, default=8779)
    parser.add_argument("--no-http", action="store_true")
    options = parser.parse_args()
    asyncio.run(_main(options.database, options.runs, options.port, not options.no_http))


if __name__ == "__main__":
    main()
