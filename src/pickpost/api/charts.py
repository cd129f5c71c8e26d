"""Charts as inline SVG, drawn on the server: no script, no library, nothing from a CDN.

A chart is bars for one series and lines for the others over the same labels (e.g. revenue as
bars, cost and profit as lines, by hour or by day). Colours come from CSS classes
(``series-0``, ``series-1``, …) so the page's stylesheet owns the palette. Every point has a
``<title>``, which browsers show on hover and screen readers read; the page should still give
the numbers as a table for those who would rather read them.
"""

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape

WIDTH, HEIGHT = 720, 260
_LEFT, _RIGHT, _TOP, _BOTTOM = 64, 12, 12, 40


@dataclass(frozen=True, slots=True)
class Series:
    name: str
    values: Sequence[int]  # one per label; integers (cents, counts)


def nice_ticks(low: int, high: int, most: int = 5) -> list[int]:
    """Round tick values covering ``low``…``high`` (both included), at most ``most`` + 1 of
    them, a step of 1, 2 or 5 times a power of ten."""
    low, high = min(low, 0), max(high, 0)
    if low == high:
        high = low + 1
    raw = (high - low) / most
    power = 10 ** math.floor(math.log10(raw)) if raw >= 1 else 1
    step = next(s * power for s in (1, 2, 5, 10) if s * power >= raw)
    start = math.floor(low / step) * step
    ticks = [start]
    while ticks[-1] < high:
        ticks.append(ticks[-1] + step)
    return [int(t) for t in ticks]


def chart(
    labels: Sequence[str],
    bars: Series | None,
    lines: Sequence[Series],
    *,
    title: str,
    value_text: Callable[[int], str],
) -> str:
    """An SVG chart of ``bars`` and ``lines`` over ``labels``; ``value_text`` writes a value as
    its axis and tooltips show it (money or counts)."""
    every = ([bars] if bars else []) + list(lines)
    for series in every:
        if len(series.values) != len(labels):
            raise ValueError(f"series {series.name!r} has {len(series.values)} values")
    values = [v for s in every for v in s.values] or [0]
    ticks = nice_ticks(min(values), max(values))
    bottom, top = ticks[0], ticks[-1]
    plot_w, plot_h = WIDTH - _LEFT - _RIGHT, HEIGHT - _TOP - _BOTTOM
    slot = plot_w / max(1, len(labels))

    def y(value: int) -> float:
        return _TOP + plot_h * (top - value) / (top - bottom)

    def x(index: int) -> float:
        return _LEFT + slot * (index + 0.5)

    out = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="{escape(title)}" preserveAspectRatio="xMidYMid meet">',
        f"<title>{escape(title)}</title>",
    ]
    for tick in ticks:
        out.append(
            f'<g class="tick"><line x1="{_LEFT}" x2="{WIDTH - _RIGHT}" y1="{y(tick):.1f}" '
            f'y2="{y(tick):.1f}"/><text x="{_LEFT - 6}" y="{y(tick):.1f}" text-anchor="end" '
            f'dominant-baseline="middle">{escape(value_text(tick))}</text></g>'
        )
    shown = max(1, math.ceil(len(labels) / 12))  # at most about a dozen x labels
    for index, label in enumerate(labels):
        if index % shown == 0:
            out.append(
                f'<text class="label" x="{x(index):.1f}" y="{HEIGHT - _BOTTOM + 16}" '
                f'text-anchor="middle">{escape(label)}</text>'
            )
    if bars is not None:
        width = max(1.0, slot * 0.7)
        for index, value in enumerate(bars.values):
            top_y, base_y = sorted((y(value), y(0)))
            out.append(
                f'<rect class="bar series-0" x="{x(index) - width / 2:.1f}" y="{top_y:.1f}" '
                f'width="{width:.1f}" height="{max(0.5, base_y - top_y):.1f}">'
                f"<title>{escape(labels[index])}: {escape(bars.name)} "
                f"{escape(value_text(value))}</title></rect>"
            )
    first = 1 if bars is not None else 0
    for number, series in enumerate(lines, start=first):
        points = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(series.values))
        out.append(f'<polyline class="line series-{number}" points="{points}"/>')
        for index, value in enumerate(series.values):
            out.append(
                f'<circle class="dot series-{number}" cx="{x(index):.1f}" cy="{y(value):.1f}" '
                f'r="3"><title>{escape(labels[index])}: {escape(series.name)} '
                f"{escape(value_text(value))}</title></circle>"
            )
    out.append("</svg>")
    return "".join(out)


def legend(bars: Series | None, lines: Sequence[Series]) -> str:
    """The series' names beside their colours, as HTML (a list the page places under the chart)."""
    names = ([bars.name] if bars else []) + [s.name for s in lines]
    items = "".join(
        f'<li><span class="swatch series-{i}" aria-hidden="true"></span>{escape(n)}</li>'
        for i, n in enumerate(names)
    )
    return f'<ul class="legend">{items}</ul>'
