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

from pickpost.bench.capacity import Capacity, capacity_lines
from pickpost.bench.measure import post_mix
from pickpost.bench.overload import OverloadNumbers
from pickpost.bench.scenarios import ScenarioResult
from pickpost.bench.soak import SoakNumbers
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
    for column in ("post ovh p99", "CPU %", "CPU ms/ping", "fleet %", "gen %", "RSS MiB"):
        table.add_column(column, justify="right")
    for scenario in scenarios:
        for step in scenario.steps:
            # With a hanging buyer the latency is the deadline's: show the overshoot instead.
            beyond = step.overhead_ms or step.overshoot_ms
            post = step.post.overhead_ms if step.post else None
            table.add_row(
                step.scenario
                + (" (overshoot)" if step.overshoot_ms else "")
                + post_mix(step.target, step.post_every),
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
                f"{step.cpu_ms_per_ping:.2f}",
                f"{step.fleet_cpu_percent:.0f}",
                f"{step.generator_cpu_percent:.0f}",
                f"{step.peak_rss_mb:.0f}",
            )
    return table


def overload_table(numbers: OverloadNumbers) -> Table:
    table = Table(
        title=f"Overload (deadline {numbers.deadline_ms} ms; ms from each ping's due time)"
    )
    for column in ("phase", "rate/s", "sent", "answered", "refused 1090", "errors"):
        table.add_column(column)
    columns = ("answered p50", "p99", "max", "refused p50", "p99", "max", "p99 from sent")
    for column in (*columns, "sent late p99"):
        table.add_column(column, justify="right")
    for phase in numbers.phases:
        table.add_row(
            phase.name,
            f"{phase.rate:g}",
            str(phase.sent),
            str(phase.answered) + (f" ({phase.no_bids} no bids)" if phase.no_bids else ""),
            str(phase.refused),
            str(phase.errors),
            *(_ms(phase.answered_ms, key) for key in ("p50", "p99", "max")),
            *(_ms(phase.refused_ms, key) for key in ("p50", "p99", "max")),
            _ms(phase.refused_from_sent_ms, "p99"),
            _ms(phase.sent_late_ms, "p99"),
        )
    return table


def _overload_lines(numbers: OverloadNumbers) -> str:
    recovered = numbers.recovered_after_s
    shown = "not within the run" if recovered is None else f"{recovered:.2f} s"
    bound = numbers.server_queue_wait_p99_ms
    wait = "–" if bound is None else f"{bound:g} ms"
    return (
        f"back to normal {shown} after the load dropped; server RSS start "
        f"{numbers.rss_mb_start:.0f} MiB, peak {numbers.rss_mb_peak:.0f}, end "
        f"{numbers.rss_mb_end:.0f}; server CPU {numbers.server_cpu_percent:.0f} %; the "
        f"server's PING verdicts {numbers.server_verdicts}, queue wait p99 ≤ {wait}"
    )


def _soak_line(soak: SoakNumbers) -> str:
    def slope(value: float | None) -> str:
        return "–" if value is None else f"{value:+.2f} MiB/min"

    per_ping = [p.cpu_ms_per_ping for p in soak.points if p.cpu_ms_per_ping is not None]
    cpu = (
        f"; CPU per ping first {per_ping[0]:.2f} ms, last {per_ping[-1]:.2f}, range "
        f"{min(per_ping):.2f}–{max(per_ping):.2f}"
        if per_ping
        else ""
    )
    return (
        f"soak: {soak.duration_s:g} s at {soak.rate:g}/s: server RSS start "
        f"{soak.rss_mb_start:.1f} MiB, end {soak.rss_mb_end:.1f}, max {soak.rss_mb_max:.1f}; "
        f"slope {slope(soak.rss_slope_mb_per_min)} (second half "
        f"{slope(soak.rss_slope_second_half_mb_per_min)}){cpu}"
    )


def print_summary(
    console: Console,
    scenarios: Sequence[ScenarioResult],
    model: Capacity,
    targets: Sequence[Target],
) -> None:
    # Piped output (CI logs) would otherwise be squeezed into 80 columns.
    wide = console if console.is_terminal else Console(file=console.file, width=200)
    wide.print(summary_table(scenarios))
    for scenario in scenarios:
        for numbers in (scenario.overload, scenario.overload_at_rate):
            if numbers is not None:
                wide.print(overload_table(numbers))
                console.print(_overload_lines(numbers))
        if scenario.soak is not None:
            console.print(_soak_line(scenario.soak))
        for label, rate in scenario.max_sustained.items():
            console.print(f"{scenario.name}: {label} sustains {rate:g}/s")
        for note in scenario.notes:
            console.print(f"[yellow]{scenario.name}: {note}[/yellow]")
    for line in capacity_lines(model):
        console.print(line)
    for target in targets:
        verdict = {True: "[green]met[/green]", False: "[red]not met[/red]", None: "–"}[target.met]
        console.print(f"{target.name} ({target.goal}): {target.measured}: {verdict}")


def write_json(
    path: Path,
    info: Mapping[str, object],
    scenarios: Sequence[ScenarioResult],
    model: Capacity,
    targets: Sequence[Target],
) -> None:
    document = {
        **info,
        "scenarios": {s.name: dataclasses.asdict(s) for s in scenarios},
        "capacity": dataclasses.asdict(model),
        "targets": [dataclasses.asdict(t) for t in targets],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2) + "\n")
