"""One bench run: the chosen scenarios under a progress bar, then the table, JSON and plot."""

import asyncio
import os
import tempfile
from pathlib import Path

import psutil
import uvloop
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from pickpost.bench.capacity import capacity
from pickpost.bench.plot import plot_overhead
from pickpost.bench.report import machine, print_summary, write_json
from pickpost.bench.scenarios import SCENARIOS, Bench, BenchOptions, ScenarioResult
from pickpost.bench.targets import REFERENCE_RATE, evaluate

DEFAULT_RATES = "25,50,100,200,400,800"
# Between scenarios the machine must come back from the last one's load (a climb ends at a
# rate the server could not hold): the next waits until the machine's CPU over a second is
# under this share, for at most ``SETTLE_MAX_S`` (not in the quick run).
SETTLE_CPU_PERCENT = 20.0
SETTLE_MAX_S = 30.0
LIGHT_RATE = 25.0
QUICK_RATES = "50,100"


def build_options(
    scenarios: str,
    rates: str | None,
    duration_s: float | None,
    quick: bool,
    postgres: str | None,
    redis: str | None,
    soak_duration_s: float | None = None,
    soak_rate: float = 50.0,
    overload_rate: float | None = None,
) -> BenchOptions:
    """Options from the command line's text; ValueError names what is wrong."""
    names = [name.strip() for name in scenarios.split(",") if name.strip()]
    unknown = sorted(set(names) - set(SCENARIOS))
    if unknown or not names:
        raise ValueError(f"unknown scenarios {unknown}: choose from {', '.join(SCENARIOS)}")
    try:
        climb = [
            float(rate) for rate in (rates or (QUICK_RATES if quick else DEFAULT_RATES)).split(",")
        ]
    except ValueError:
        raise ValueError(f"--rates must be comma-separated numbers, not {rates!r}") from None
    duration = duration_s or (2.0 if quick else 10.0)
    soak = soak_duration_s or (duration if quick else 600.0)
    extra = [soak, soak_rate] + ([] if overload_rate is None else [overload_rate])
    if duration <= 0 or any(rate <= 0 for rate in climb) or any(value <= 0 for value in extra):
        raise ValueError("rates and durations must be positive")
    return BenchOptions(
        scenarios=names,
        rates=climb,
        # A light load beside the targets' rate, so that a server saturated at the target rate
        # still shows its deadline and POST numbers unsaturated.
        fixed_rates=[LIGHT_RATE, REFERENCE_RATE],
        duration_s=duration,
        warmup_s=0.5 if quick else 2.0,
        post_every=10,
        postgres=postgres,
        redis=redis,
        soak_duration_s=soak,
        soak_rate=soak_rate,
        overload_rate=overload_rate,
        settle_max_s=0.0 if quick else SETTLE_MAX_S,
    )


async def _run_all(options: BenchOptions, console: Console) -> list[ScenarioResult]:
    with (
        tempfile.TemporaryDirectory(prefix="pickpost-bench-") as workdir,
        Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.completed}/{task.total}"),
            TimeElapsedColumn(),
            console=console,
        ) as progress,
    ):
        bench = Bench(options, Path(workdir), console, progress)
        results = []
        for index, name in enumerate(options.scenarios):
            if index and options.settle_max_s:
                await _settle(console, options.settle_max_s)
            results.append(await bench.run(name))
        return results


async def _settle(console: Console, max_s: float) -> None:
    """Wait for the machine to be quiet again before the next scenario; after ``max_s`` the
    scenario starts whatever the load, and the console says so."""
    waited = 0.0
    busy = 0.0
    while waited < max_s:
        busy = await asyncio.to_thread(psutil.cpu_percent, 1.0)
        waited += 1.0
        if busy < SETTLE_CPU_PERCENT:
            return
    console.print(
        f"[yellow]the machine is still busy ({busy:.0f} % CPU) after {waited:.0f} s[/yellow]"
    )


def run_bench(
    options: BenchOptions, console: Console, json_path: Path | None, plot_path: Path | None
) -> None:
    """Run, print the summary, and write ``json_path`` / ``plot_path`` when given."""
    load_before = os.getloadavg()
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        scenarios = runner.run(_run_all(options, console))
    load_after = os.getloadavg()
    targets = evaluate({s.name: s for s in scenarios})
    model = capacity([step for scenario in scenarios for step in scenario.steps])
    print_summary(console, scenarios, model, targets)
    console.print(f"load average (1, 5, 15 min): before {load_before}, after {load_after}")
    if json_path is not None:
        info = {
            "machine": machine(),
            "load_average": {"before": load_before, "after": load_after},
            "options": {
                "scenarios": list(options.scenarios),
                "rates": list(options.rates),
                "fixed_rates": list(options.fixed_rates),
                "duration_s": options.duration_s,
                "warmup_s": options.warmup_s,
                "post_every": options.post_every,
                "soak_duration_s": options.soak_duration_s,
                "soak_rate": options.soak_rate,
                "overload_rate": options.overload_rate,
                "settle_max_s": options.settle_max_s,
            },
        }
        write_json(json_path, info, scenarios, model, targets)
        console.print(f"numbers written to {json_path}")
    if plot_path is not None:
        rates = next((s for s in scenarios if s.name == "rates"), None)
        if rates is None:
            console.print("[yellow]no plot: the rates scenario did not run[/yellow]")
        else:
            plot_overhead(rates.steps, plot_path)
            console.print(f"overhead plot written to {plot_path}")
