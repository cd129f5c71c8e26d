"""How the console writes numbers: money from integer cents exactly, rates as percents, and
the charts of a report series (every hour or day of the range, zeros where nothing happened)."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Literal

from markupsafe import Markup

from pickpost.api.charts import Series, chart, legend
from pickpost.domain.buckets import local_hour
from pickpost.domain.people import Principal
from pickpost.domain.reports import Grouping, Report, ReportQuery, Tally


def money(cents: object) -> str:
    """``-$1,234.05`` from integer cents, exactly; an em dash for None."""
    if not isinstance(cents, int):
        return "—"
    sign = "-" if cents < 0 else ""
    dollars, rest = divmod(abs(cents), 100)
    return f"{sign}${dollars:,}.{rest:02d}"


def short_money(cents: int) -> str:
    """An axis label: ``$1.2k``, ``$35``."""
    dollars = cents / 100
    if abs(dollars) >= 1000:
        return f"${dollars / 1000:,.1f}k".replace(".0k", "k")
    return f"${dollars:,.0f}"


def percent(value: object) -> str:
    """``12.3%`` from a ratio; an em dash for None (nothing to divide by)."""
    if not isinstance(value, int | float):
        return "—"
    return f"{value * 100:.1f}%"


def count(value: object) -> str:
    return f"{value:,}" if isinstance(value, int) else "—"


def milliseconds(value: object) -> str:
    return f"{value:,.0f} ms" if isinstance(value, int | float) else "—"


@dataclass(frozen=True, slots=True)
class Figure:
    """A chart, its legend and its numbers as a table."""

    title: str
    svg: Markup
    legend: Markup
    columns: list[str]
    rows: list[list[str]]


def steps(query: ReportQuery, grouping: Grouping) -> list[str]:
    """Every local hour (one day) or day of the query's range, as the report keys them."""
    if grouping is Grouping.DAY:
        return [(query.start + timedelta(days=n)).isoformat() for n in range(query.days)]
    start, end = query.window()
    hours: list[str] = []
    moment = start
    while moment < end:
        label = local_hour(moment, query.tz)
        if not hours or hours[-1] != label:
            hours.append(label)
        moment += timedelta(hours=1)
    return hours


def _short(label: str, grouping: Grouping) -> str:
    return label[11:16] if grouping is Grouping.HOUR else label[5:10]


View = Literal["operator", "supplier", "buyer"]


def view_of(principal: Principal) -> View:
    """Whose numbers a page shows: a supplier sees its leads and payouts, a buyer what it was
    offered and bought, neither the exchange's margin."""
    if principal.supplier_scope is not None:
        return "supplier"
    return "buyer" if principal.buyer_scope is not None else "operator"


def figures(
    query: ReportQuery, grouping: Grouping, series: Report, view: View = "operator"
) -> list[Figure]:
    """Money by step (operators: revenue bars with cost and profit lines; a supplier: its
    payouts; a buyer: what it spent) and leads by step (leads and sold; a buyer: bought)."""
    by_key = {row.key[grouping.value]: row.tally for row in series.rows}
    keys = steps(query, grouping)
    tallies = [by_key.get(k, Tally()) for k in keys]
    labels = [_short(k, grouping) for k in keys]
    when = "Hour" if grouping is Grouping.HOUR else "Day"

    def figure(
        title: str, bars: Series, lines: list[Series], axis: Callable[[int], str], text: Any
    ) -> Figure:
        every = [bars, *lines]
        return Figure(
            title,
            Markup(chart(labels, bars, lines, title=title, value_text=axis)),
            Markup(legend(bars, lines)),
            [when, *(s.name for s in every)],
            [[k, *(text(s.values[i]) for s in every)] for i, k in enumerate(labels)],
        )

    leads = Series("Leads", [t.leads for t in tallies])
    sold = Series("Sold", [t.sold for t in tallies])
    if view == "supplier":
        payouts = Series("Payouts", [t.cost_cents for t in tallies])
        return [
            figure("Payouts", payouts, [], short_money, money),
            figure("Leads and sold", leads, [sold], count, count),
        ]
    if view == "buyer":
        spent = Series("Spent", [t.revenue_cents for t in tallies])
        bought = Series("Bought", [t.sales for t in tallies])
        return [
            figure("Spent", spent, [], short_money, money),
            figure("Leads bought", bought, [], count, count),
        ]
    revenue = Series("Revenue", [t.revenue_cents for t in tallies])
    cost = Series("Cost", [t.cost_cents for t in tallies])
    profit = Series("Profit", [t.revenue_cents - t.cost_cents for t in tallies])
    return [
        figure("Revenue, cost and profit", revenue, [cost, profit], short_money, money),
        figure("Leads and sold", leads, [sold], count, count),
    ]


FILTERS: dict[str, Callable[..., str]] = {
    "money": money,
    "percent": percent,
    "count": count,
    "ms": milliseconds,
}


def format_as(value: object, kind: str) -> str:
    """``value`` written by the filter named ``kind`` (money, percent, count, ms)."""
    return FILTERS[kind](value)


FILTERS["format_as"] = format_as
