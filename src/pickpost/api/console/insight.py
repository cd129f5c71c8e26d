"""``/console`` (the dashboard) and ``/console/reports`` (one table, and its CSV): the numbers
of ``/api/v1/dashboard`` and ``/api/v1/reports``, from the same ReportService, shown to a
person in their time zone. A scoped user's numbers are their own supplier's or buyer's only:
the query is narrowed before it is read."""

from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request, Response
from starlette.datastructures import QueryParams

from pickpost.api.console.figures import FILTERS, figures, view_of
from pickpost.api.console.page import PREFIX, console_page, signed_in, templates
from pickpost.api.report_query import read_report_query
from pickpost.api.reports import report_csv, report_lines
from pickpost.api.state import runtime_of
from pickpost.domain.catalog import Catalog
from pickpost.domain.errors import Refusal
from pickpost.domain.people import Principal
from pickpost.domain.reports import (
    Grouping,
    LeadTestFilter,
    ReportQuery,
    series_grouping,
    withheld_from,
)

router = APIRouter(prefix=PREFIX, include_in_schema=False)
templates.filters.update(FILTERS)

# The report table's columns: label, metric, how it is written. A supplier sees its leads and
# payouts, a buyer what it was offered and bought; neither sees the exchange's margin.
Column = tuple[str, str, str]
_TRAFFIC: list[Column] = [("Pings", "pings", "count"), ("Bids", "bids", "count"),
                          ("Bid rate", "bid_rate", "percent")]  # fmt: skip
_LEADS: list[Column] = [("Leads", "leads", "count"), ("Sold", "sold", "count"),
                        ("Sell-through", "sell_through", "percent")]  # fmt: skip
COLUMNS: dict[str, list[Column]] = {
    "operator": [
        *_TRAFFIC, *_LEADS,
        ("Revenue", "revenue_cents", "money"), ("Cost", "cost_cents", "money"),
        ("Profit", "profit_cents", "money"), ("Margin", "margin", "percent"),
        ("Returns", "returns", "count"), ("Net revenue", "net_revenue_cents", "money"),
        ("Net profit", "net_profit_cents", "money"),
    ],
    "supplier": [
        *_TRAFFIC, *_LEADS,
        ("Payouts", "cost_cents", "money"), ("Returns", "returns", "count"),
        ("Net payouts", "net_cost_cents", "money"),
    ],
    "buyer": [
        ("Pings", "buyer_pings", "count"), ("Bids", "bids", "count"),
        ("Average bid", "average_bid_cents", "money"), ("Bought", "sales", "count"),
        ("Spent", "revenue_cents", "money"), ("Returns", "returns", "count"),
        ("Net spent", "net_revenue_cents", "money"),
    ],
}  # fmt: skip

# The dashboard's ranges: how many days back from today, in the reader's time zone.
RANGES = {"today": 1, "7d": 7, "30d": 30}
GROUPINGS = [g.value for g in Grouping]
TESTS = [t.value for t in LeadTestFilter]


def names_of(catalog: Catalog) -> dict[str, dict[str, str]]:
    """The names of campaigns, suppliers and buyers by id (the id where none is given)."""
    found: dict[str, dict[str, str]] = {"campaign": {}, "supplier": {}, "buyer": {}}
    for campaign in catalog.campaigns.values():
        found["campaign"][campaign.id] = campaign.config.name or campaign.id
        for supplier in campaign.suppliers.values():
            found["supplier"].setdefault(supplier.id, supplier.name or supplier.id)
        for buyer in campaign.buyers.values():
            found["buyer"].setdefault(buyer.id, buyer.name or buyer.id)
    return found


def today_in(principal: Principal) -> date:
    """Today in the principal's time zone."""
    return datetime.now(UTC).astimezone(ZoneInfo(principal.time_zone)).date()


def chosen_days(params: QueryParams, today: date) -> tuple[str, str, str]:
    """The range asked for (``today``, ``7d``, ``30d`` or ``custom``) and its first and last
    day as given (checked by the report query)."""
    chosen = params.get("range", "today")
    if chosen in RANGES:
        first = today - timedelta(days=RANGES[chosen] - 1)
        return chosen, first.isoformat(), today.isoformat()
    return "custom", params.get("from", "") or today.isoformat(), params.get("to", "")


def problems(refusal: Refusal) -> list[str]:
    return [f"{e.field}: {e.message}" for e in refusal.errors] or [refusal.message]


@router.get("")
async def dashboard(request: Request) -> Response:
    principal = await signed_in(request)
    if isinstance(principal, Response):
        return principal
    runtime = runtime_of(request)
    chosen, first, last = chosen_days(request.query_params, today_in(principal))
    query = read_report_query(
        principal, datetime.now(UTC), start=first, end=last or None, timezone=None,
        group_by=None, campaign=None, supplier=None, buyer=None, test=None,
    )  # fmt: skip
    context: dict[str, Any] = {
        "chosen": chosen, "first": first, "last": last or first, "names": names_of(runtime.catalog)
    }  # fmt: skip
    if isinstance(query, Refusal):
        return console_page(request, "dashboard.html", 400, errors=problems(query), **context)
    found = await runtime.reports.dashboard(query)
    view = view_of(principal)
    return console_page(
        request, "dashboard.html", query=query, summary=found.summary.metrics(), view=view,
        figures=figures(query, series_grouping(query), found.series, view),
        tops={kind: [(row.key, row.tally.metrics()) for row in rows]
              for kind, rows in found.tops.items()},
        **context,
    )  # fmt: skip


def _report_query(principal: Principal, params: QueryParams) -> tuple[ReportQuery | Refusal,
                                                                      dict[str, str]]:  # fmt: skip
    """The report a page or CSV asks for, and the form's values to show again."""
    today = today_in(principal).isoformat()
    form = {
        "group": params.get("group", "campaign"),
        "then": params.get("then", ""),
        "from": params.get("from", "") or today,
        "to": params.get("to", "") or today,
        "campaign": params.get("campaign", "").strip(),
        "supplier": params.get("supplier", "").strip(),
        "buyer": params.get("buyer", "").strip(),
        "test": params.get("test", "exclude"),
    }
    groups = ",".join(g for g in (form["group"], form["then"]) if g)
    query = read_report_query(
        principal, datetime.now(UTC), start=form["from"], end=form["to"], timezone=None,
        group_by=groups, campaign=form["campaign"] or None, supplier=form["supplier"] or None,
        buyer=form["buyer"] or None, test=form["test"],
    )  # fmt: skip
    return query, form


@router.get("/reports")
async def reports(request: Request) -> Response:
    principal = await signed_in(request)
    if isinstance(principal, Response):
        return principal
    runtime = runtime_of(request)
    query, form = _report_query(principal, request.query_params)
    context: dict[str, Any] = {"form": form, "groupings": GROUPINGS, "tests": TESTS,
               "names": names_of(runtime.catalog), "csv": csv_link(form),
               "columns": COLUMNS[view_of(principal)]}  # fmt: skip
    if isinstance(query, Refusal):
        return console_page(request, "reports.html", 400, errors=problems(query), **context)
    found = await runtime.reports.report(query)
    return console_page(
        request, "reports.html", query=query, groups=[g.value for g in query.group_by],
        rows=[(row.key, row.tally.metrics()) for row in found.rows],
        totals=found.totals.metrics(), **context,
    )  # fmt: skip


def csv_link(form: Mapping[str, str]) -> str:
    return f"{PREFIX}/reports.csv?{urlencode({k: v for k, v in form.items() if v})}"


@router.get("/reports.csv")
async def reports_csv(request: Request) -> Response:
    """The report page's table as CSV, streamed: the same columns as ``/api/v1/reports``."""
    principal = await signed_in(request)
    if isinstance(principal, Response):
        return principal
    query, _ = _report_query(principal, request.query_params)
    if isinstance(query, Refusal):
        return console_page(request, "refused.html", 400, message="; ".join(problems(query)))
    found = await runtime_of(request).reports.report(query)
    names = [g.value for g in query.group_by]
    lines = report_lines(found, names, withheld_from(principal))
    return report_csv(lines, f"report-{query.start}-{query.end}.csv")
