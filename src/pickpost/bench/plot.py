"""The overhead chart: p50/p90/p99 against rate, Pickpost beside the baseline."""

from collections.abc import Sequence
from pathlib import Path

# The object API draws without pyplot's global state or a display; imported here, not when the
# chart is drawn, so a missing bench extra is found before a run, not after it.
from matplotlib.figure import Figure

from pickpost.bench.measure import StepResult
from pickpost.bench.search import OVERHEAD_LIMIT_MS

_PERCENTILES = (("p50", "tab:green"), ("p90", "tab:orange"), ("p99", "tab:red"))


def plot_overhead(steps: Sequence[StepResult], path: Path) -> None:
    """Draw the ping overhead of every setup in ``steps`` against its rate."""
    figure = Figure(figsize=(8, 5))
    axes = figure.subplots()
    setups = sorted({s.setup for s in steps if s.overhead_ms})
    for setup in setups:
        points = sorted(
            ((s.rate, s.overhead_ms) for s in steps if s.setup == setup and s.overhead_ms),
            key=lambda point: point[0],
        )
        style = "--" if setup.startswith("baseline") else "-"
        for key, colour in _PERCENTILES:
            axes.plot(
                [rate for rate, _ in points],
                [getattr(summary, key) for _, summary in points],
                style,
                marker="o",
                color=colour,
                label=f"{setup} {key}",
            )
    axes.axhline(OVERHEAD_LIMIT_MS, color="grey", linewidth=1, label="rate search limit (p99)")
    rates = sorted({s.rate for s in steps})
    axes.set_xscale("log")
    axes.set_xticks(rates, labels=[f"{rate:g}" for rate in rates], minor=False)
    axes.set_xticks([], minor=True)
    axes.set_yscale("log")
    axes.set_xlabel("pings per second (open loop)")
    axes.set_ylabel("overhead over the slowest buyer (ms)")
    axes.set_title("PING overhead, 10 buyers (20–80 ms)")
    axes.grid(True, which="both", alpha=0.3)
    axes.legend(fontsize="small")
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=120, bbox_inches="tight")
