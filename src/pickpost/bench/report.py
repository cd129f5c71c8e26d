"""The bench's outputs: a summary table on the console, and every number as JSON."""

import dataclasses
import json
import os
import platform
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path

import psutil
from rich.console import Console
from rich.table import Table

from pickpost.bench.scenarios import ScenarioResult
from pickpost.bench.stats import Summary
from pickpost.bench.targets import Target


def machine() -> dict[str, object]:
    """What the numbers were measured on."""
    return {
        "cpu_count": os.cpu_count(),
        "memory_gib": round(psutil.virtual_memory().total / 2**30, 1),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "python": platform.python_version(),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def _ms(summary: Summary | None, key: str) -> str:
    return f"{getattr(summary, key):.1f}" if summary else "–"


def summary_table(scenarios: Sequence[ScenarioResult]) -> Table:
    table = Table(title="Pickpost bench (ms; overhead = latency − slowest buyer's own delay)")
    for column in ("scenario", "setup", "rate/s", "achieved/s", "errors"):
        table.add_column(column)
    for column in ("lat p50", "lat p99", "ovh p50", "ovh p90", "ovh p99", "ovh max"):
        table.add_column(column, justify="right")
    for column in ("post ovh p99", "CPU %", "RSS MiB"):
        table.add_column(column, justify="right")
    for scenario in scenarios:
        for step in scenario.steps:
            # With a hanging buyer the latency is the deadline's: show the overshoot instead.
            beyond = step.overhead_ms or step.overshoot_ms
            post = step.post.overhead_ms if step.post else None
            table.add_row(
                step.scenario + (" (overshoot)" if step.overshoot_ms else ""),
                step.setup,
                f"{step.rate:g}",
                f"{step.achieved_rate:.0f}",
                f"{step.errors}/{step.sent}"
                + (f" ({step.no_bids} no bids)" if step.no_bids else ""),
                _ms(step.latency_ms, "p50"),
                _ms(step.latency_ms, "p99"),
                _ms(beyond, "p50"),
                _ms(beyond, "p90"),
                _ms(beyond, "p99"),
                _ms(beyond, "max"),
                _ms(post, "p99"),
                f"{step.cpu_percent:.0f}",
                f"{step.peak_rss_mb:.0f}",
            )
    return table


def print_summary(
    console: Console, scenarios: Sequence[ScenarioResult], targets: Sequence[Target]
) -> None:
    # Piped output (CI logs) would otherwise be squeezed into 80 columns.
    wide = console if console.is_terminal else Console(file=console.file, width=160)
    wide.print(summary_table(scenarios))
    for scenario in scenarios:
        for label, rate in scenario.max_sustained.items():
            console.print(f"{scenario.name}: {label} sustains {rate:g}/s")
        for note in scenario.notes:
            console.print(f"[yellow]{scenario.name}: {note}[/yellow]")
    for target in targets:
        verdict = {True: "[green]met[/green]", False: "[red]not met[/red]", None: "–"}[target.met]
        console.print(f"{target.name} ({target.goal}): {target.measured}: {verdict}")


def write_json(
    path: Path,
    info: Mapping[str, object],
    scenarios: Sequence[ScenarioResult],
    targets: Sequence[Target],
) -> None:
    document = {
        **info,
        "scenarios": {s.name: dataclasses.asdict(s) for s in scenarios},
        "targets": [dataclasses.asdict(t) for t in targets],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2) + "\n")
