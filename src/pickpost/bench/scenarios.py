"""The scenarios: which fleet, which setups (Pickpost variants, the baseline), which rates."""

import asyncio
import contextlib
import socket
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

import psutil
from rich.console import Console
from rich.progress import Progress

from pickpost.bench.capacity import POST_COST_RATE, POST_COST_SCENARIO
from pickpost.bench.client import generator_client
from pickpost.bench.fleet import FleetPlan
from pickpost.bench.loadgen import OpenLoop
from pickpost.bench.measure import Resources, StepResult, StepSpec, measure_step, post_mix
from pickpost.bench.overload import (
    OverloadLoad,
    OverloadNumbers,
    Phase,
    measure_overload,
    phases_for,
)
from pickpost.bench.processes import (
    ProcessTree,
    Service,
    baseline_args,
    cpu_between,
    free_port,
    serve_supports_workers,
    server_args,
    start_fleet,
)
from pickpost.bench.search import climb, max_sustained
from pickpost.bench.soak import SoakNumbers, SoakRecorder
from pickpost.bench.workers import workers_figures
from pickpost.bench.workspace import BenchCampaign

SCENARIOS = ("rates", "hanging", "fanout50", "backends", "workers", "overload", "soak")
# Long enough that an overloaded server shows in the latency instead of being cut.
_DEADLINE_MS = 1000
# Above the slowest answering buyer (80 ms), so only the hanging buyer is cut.
_HANG_DEADLINE_MS = 250
_RSS_EVERY_S = 0.2
# The overload scenario's sustained rate when the rates scenario did not measure it in the same
# run: what the project's bench measured (docs/benchmarks.md).
OVERLOAD_BASE_RATE = 50.0
# The soak's campaign keeps pings postable this long, not the default 900 s: the embedded mode
# holds every ping in memory for its TTL, so RSS grows for the first TTL of any run by design.
# A short TTL reaches that steady state in the soak's first minutes; what grows after it is not
# the ping store (docs/benchmarks.md, "Soak").
SOAK_PING_TTL_S = 60


@dataclass(frozen=True, slots=True)
class BenchOptions:
    scenarios: Sequence[str]
    rates: Sequence[float]
    fixed_rates: Sequence[float]
    duration_s: float
    warmup_s: float
    post_every: int
    postgres: str | None
    redis: str | None
    soak_duration_s: float = 600.0
    soak_rate: float = 50.0
    # A second overload run at this rate (as issue 12's tester drove it), beside 3× sustained.
    overload_rate: float | None = None
    # Before each scenario after the first: how long to wait at most for the machine to be
    # quiet again (0: not at all, as in the quick run).
    settle_max_s: float = 0.0


@dataclass(frozen=True, slots=True)
class Setup:
    """What answers the pings: a Pickpost server as configured, or the baseline."""

    label: str
    target: Literal["pickpost", "baseline"]
    postgres: bool = False
    workers: int = 1


BASELINE = Setup("baseline", "baseline")
SQLITE = Setup("pickpost sqlite", "pickpost")


@dataclass(slots=True)
class ScenarioResult:
    name: str
    steps: list[StepResult] = field(default_factory=list)
    max_sustained: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    overload: OverloadNumbers | None = None
    overload_at_rate: OverloadNumbers | None = None
    soak: SoakNumbers | None = None
    # Derived figures named in the notes (the workers scenario's ratios).
    figures: dict[str, float] = field(default_factory=dict)


def reachable(url: str) -> bool:
    """Whether something accepts TCP connections at the URL's host and port."""
    parts = urlsplit(url)
    default = 5432 if parts.scheme.startswith("postgres") else 6379
    try:
        socket.create_connection((parts.hostname or "127.0.0.1", parts.port or default), 1).close()
    except OSError:
        return False
    return True


class Bench:
    """Runs scenarios one after another, each against its own fleet and servers."""

    def __init__(
        self, options: BenchOptions, workdir: Path, console: Console, progress: Progress
    ) -> None:
        self._options = options
        self._workdir = workdir
        self._console = console
        self._progress = progress
        self._sustained: float | None = None  # Pickpost's, once the rates scenario measured it

    async def run(self, name: str) -> ScenarioResult:
        options = self._options
        fixed = list(options.fixed_rates)
        # 50 buyers at a fifth of the rate: as many buyer calls per second as 10 buyers make.
        fanout = [rate * 10 / 50 for rate in fixed]
        result = ScenarioResult(name)
        if name == "rates":
            await self._compare(result, FleetPlan(10), _DEADLINE_MS, [SQLITE, BASELINE], None)
            self._sustained = result.max_sustained.get(SQLITE.label) or None
        elif name == "hanging":
            plan = FleetPlan(10, hanging=True)
            await self._compare(result, plan, _HANG_DEADLINE_MS, [SQLITE, BASELINE], fixed)
        elif name == "fanout50":
            await self._compare(result, FleetPlan(50), _DEADLINE_MS, [SQLITE, BASELINE], fanout)
        elif name == "backends":
            setups = [SQLITE]
            if self._cluster_ready(result):
                setups.append(Setup("pickpost postgresql+redis", "pickpost", postgres=True))
            await self._compare(result, FleetPlan(10), _DEADLINE_MS, setups, fixed, post_cost=True)
        elif name == "workers":
            await self._workers(result)
        elif name == "overload":
            await self._overload(result)
        elif name == "soak":
            await self._soak(result)
        else:
            raise ValueError(f"unknown scenario {name!r}")
        return result

    def _cluster_ready(self, result: ScenarioResult) -> bool:
        """Whether PostgreSQL and Redis are reachable; when not, ``result`` notes why."""
        options = self._options
        missing = [
            f"{what} ({url or 'not given'})"
            for what, url in (("PostgreSQL", options.postgres), ("Redis", options.redis))
            if not url or not reachable(url)
        ]
        if missing:
            result.notes.append(f"PostgreSQL + Redis skipped: not reachable: {', '.join(missing)}")
        return not missing

    async def _workers(self, result: ScenarioResult) -> None:
        # Two workers share pings through Redis and leads through PostgreSQL; an in-process
        # ping store would send a POST to a worker that never saw its ping.
        if not self._cluster_ready(result):
            return
        setups = [Setup("pickpost pg+redis, 1 worker", "pickpost", postgres=True)]
        if serve_supports_workers():
            setups.append(Setup("pickpost pg+redis, 2 workers", "pickpost", True, workers=2))
        else:
            result.notes.append("`pickpost serve` has no --workers option yet: 1 worker only")
        await self._compare(result, FleetPlan(10), _DEADLINE_MS, setups, None)
        result.figures = workers_figures(result.steps, result.max_sustained, psutil.cpu_count())
        result.notes += [f"{name}: {value:.2f}" for name, value in result.figures.items()]

    async def _soak(self, result: ScenarioResult) -> None:
        """One SQLite server at ``soak_rate`` for ``soak_duration_s``, read throughout."""
        options, plan = self._options, FleetPlan(10)
        fleet, urls = await start_fleet(plan, self._workdir)
        with fleet:
            fleet_tree = ProcessTree(fleet.pid)
            serving = self._serving(SQLITE, plan, urls, _DEADLINE_MS, SOAK_PING_TTL_S)
            async with serving as (url, campaign, tree):
                spec = StepSpec(
                    "soak",
                    SQLITE.label,
                    SQLITE.target,
                    options.soak_rate,
                    options.soak_duration_s,
                    plan,
                    _DEADLINE_MS,
                    options.post_every,
                )
                step, soak = await self._step(spec, url, campaign, tree, fleet_tree, soak=True)
        result.steps.append(step)
        result.soak = soak
        result.notes.append(f"the soak's campaign keeps pings for {SOAK_PING_TTL_S} s (ping_ttl_s)")

    async def _overload(self, result: ScenarioResult) -> None:
        """The sustained rate, three times it, and it again, against one SQLite server."""
        options, plan = self._options, FleetPlan(10)
        sustained = self._sustained or OVERLOAD_BASE_RATE
        fleet, urls = await start_fleet(plan, self._workdir)
        with fleet:
            async with (
                self._serving(SQLITE, plan, urls, _DEADLINE_MS) as (url, campaign, tree),
                generator_client() as client,
            ):
                load = OverloadLoad(client, url, campaign)
                await load.run([Phase("warm-up", sustained, options.warmup_s)], lambda _: None)
                result.overload = await self._overload_run(load, tree, sustained, None)
                if options.overload_rate is not None:
                    result.overload_at_rate = await self._overload_run(
                        load, tree, sustained, options.overload_rate
                    )
        source = "the rates scenario's" if self._sustained else "the documented"
        also = f" and at {options.overload_rate:g}/s" if options.overload_rate else ""
        result.notes.append(f"sustained rate {sustained:g}/s ({source}), overload at 3×{also}")

    async def _overload_run(
        self, load: OverloadLoad, tree: ProcessTree, sustained: float, rate: float | None
    ) -> OverloadNumbers:
        phases = phases_for(sustained, self._options.duration_s, rate)
        total = sum(round(p.rate * p.duration_s) for p in phases)
        task = self._progress.add_task(f"overload at {phases[1].rate:g}/s", total=total)
        numbers = await measure_overload(
            load,
            phases,
            tree,
            _DEADLINE_MS,
            lambda sent: self._progress.update(task, completed=sent),
        )
        self._progress.remove_task(task)
        return numbers

    async def _compare(
        self,
        result: ScenarioResult,
        plan: FleetPlan,
        deadline_ms: int,
        setups: list[Setup],
        rates: list[float] | None,
        post_cost: bool = False,
    ) -> None:
        """The setups side by side against one fleet: at ``rates``, or climbing ``--rates``
        when None. With ``post_cost``, each Pickpost setup then runs ``POST_COST_RATE`` with
        pings only and with a POST after every ping (capacity.py)."""
        fleet, urls = await start_fleet(plan, self._workdir)
        async with contextlib.AsyncExitStack() as stack:
            stack.enter_context(fleet)
            fleet_tree = ProcessTree(fleet.pid)
            servers = {
                setup: await stack.enter_async_context(
                    self._serving(setup, plan, urls, deadline_ms)
                )
                for setup in setups
            }

            async def run_at(
                setup: Setup, rate: float, post_every: int | None = 0, scenario: str = ""
            ) -> StepResult:
                base_url, campaign, tree = servers[setup]
                if post_every == 0:  # the scenario's own: POSTs to Pickpost, none to the baseline
                    pickpost = setup.target == "pickpost"
                    post_every = self._options.post_every if pickpost else None
                spec = StepSpec(
                    scenario or result.name,
                    setup.label,
                    setup.target,
                    rate,
                    self._options.duration_s,
                    plan,
                    deadline_ms,
                    post_every,
                )
                step, _ = await self._step(spec, base_url, campaign, tree, fleet_tree)
                return step

            if rates is None:
                result.steps += await climb(self._options.rates, setups, run_at)
                for setup in setups:
                    mine = [s for s in result.steps if s.setup == setup.label]
                    result.max_sustained[setup.label] = max_sustained(mine)
            else:
                result.steps += [await run_at(setup, r) for r in rates for setup in setups]
            if post_cost:
                for setup in setups:
                    for every in (None, 1):
                        step = await run_at(setup, POST_COST_RATE, every, POST_COST_SCENARIO)
                        result.steps.append(step)

    @contextlib.asynccontextmanager
    async def _serving(
        self,
        setup: Setup,
        plan: FleetPlan,
        urls: dict[str, str],
        deadline_ms: int,
        ping_ttl_s: int | None = None,
    ) -> AsyncIterator[tuple[str, BenchCampaign, ProcessTree]]:
        """The setup's server, healthy, with a campaign of fresh ids on a fresh database."""
        campaign = BenchCampaign.fresh(deadline_ms, ping_ttl_s)
        port = free_port()
        log = self._workdir / f"{campaign.campaign_id}.log"
        if setup.target == "baseline":
            ping_urls = [f"{urls[buyer]}/ping" for buyer in plan.buyer_ids()]
            service = Service(setup.label, baseline_args(ping_urls, port, deadline_ms), log)
        else:
            database = self._options.postgres if setup.postgres else None
            database = database or f"sqlite:///{self._workdir / campaign.campaign_id}.db"
            redis = self._options.redis if setup.postgres else None
            workspace = campaign.workspace(plan, urls)
            args = server_args(workspace, self._workdir, port, database, redis, setup.workers)
            service = Service(setup.label, args, log)
        with service:
            base_url = f"http://127.0.0.1:{port}"
            await service.wait_healthy(base_url)
            yield base_url, campaign, ProcessTree(service.pid)

    async def _step(
        self,
        spec: StepSpec,
        base_url: str,
        campaign: BenchCampaign,
        server: ProcessTree,
        fleet: ProcessTree,
        soak: bool = False,
    ) -> tuple[StepResult, SoakNumbers | None]:
        """A warm-up at the step's rate (discarded), then the measured step; with ``soak``,
        the server's RSS and CPU per ping read throughout it (soak.py)."""
        options = self._options
        mix = post_mix(spec.target, spec.post_every)
        title = f"{spec.scenario}: {spec.setup}{mix} at {spec.rate:g}/s"
        async with generator_client() as client:
            load = OpenLoop(client, base_url, campaign, spec.post_every)
            task = self._progress.add_task(f"{title} (warm-up)", total=None)
            await load.run(spec.rate, options.warmup_s, lambda sent: None)
            self._progress.remove_task(task)
            task = self._progress.add_task(title, total=round(spec.rate * spec.duration_s))
            peak_rss, sent = 0, 0
            began, cpu_before, fleet_before = time.monotonic(), server.cpu_s(), fleet.cpu_s()
            generator_before = _own_cpu_s()
            recorder = SoakRecorder(spec.duration_s, spec.rate, began) if soak else None

            async def sample_rss() -> None:
                nonlocal peak_rss
                while True:
                    rss = server.rss_bytes()
                    peak_rss = max(peak_rss, rss)
                    now = time.monotonic()
                    if recorder is not None and recorder.due(now):
                        used_s = cpu_between(cpu_before, server.cpu_s())
                        recorder.offer(now, rss / 2**20, used_s, sent)
                    await asyncio.sleep(_RSS_EVERY_S)

            def on_sent(count: int) -> None:
                nonlocal sent
                sent = count
                self._progress.update(task, completed=count)

            sampler = asyncio.create_task(sample_rss())
            try:
                start, samples = await load.run(spec.rate, spec.duration_s, on_sent)
            finally:
                sampler.cancel()
            used = Resources(
                wall_s=time.monotonic() - began,
                cpu_s=cpu_between(cpu_before, server.cpu_s()),
                peak_rss_mb=peak_rss / 2**20,
                fleet_cpu_s=cpu_between(fleet_before, fleet.cpu_s()),
                generator_cpu_s=_own_cpu_s() - generator_before,
            )
            self._progress.remove_task(task)
        step = measure_step(spec, start, samples, used)
        self._console.log(_one_line(step))
        return step, recorder.numbers() if recorder else None


def _own_cpu_s() -> float:
    """CPU seconds of this process (the generator), its children not included."""
    times = psutil.Process().cpu_times()
    return times.user + times.system


def _one_line(step: StepResult) -> str:
    overhead = step.overhead_ms or step.overshoot_ms
    kind = "overhead" if step.overhead_ms else "overshoot"
    shown = f"{kind} p50 {overhead.p50:.1f} p99 {overhead.p99:.1f} ms" if overhead else "no answers"
    mix = post_mix(step.target, step.post_every)
    return (
        f"{step.scenario}: {step.setup}{mix} at {step.rate:g}/s: {shown}, "
        f"errors {step.errors}/{step.sent}, no bids {step.no_bids}, "
        f"CPU % server {step.cpu_percent:.0f} fleet {step.fleet_cpu_percent:.0f} "
        f"generator {step.generator_cpu_percent:.0f}"
    )
