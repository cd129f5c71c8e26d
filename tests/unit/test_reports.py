"""Report metrics: sums per group that add up to the totals, rates derived from the sums,
groups by a zone's days, and what a scoped principal may ask."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from pickpost.api.report_query import read_lead_query, read_report_query
from pickpost.domain.errors import Refusal
from pickpost.domain.lead_query import LeadQuery
from pickpost.domain.people import BOOTSTRAP_OWNER, Principal, Role
from pickpost.domain.reports import (
    NOBODY,
    Grouping,
    LeadRollup,
    LeadTestFilter,
    ReportQuery,
    Tally,
    TrafficRollup,
    average,
    fold,
    withheld_from,
)

KOLKATA = ZoneInfo("Asia/Kolkata")
LATE = datetime(2026, 11, 26, 18, 15, tzinfo=UTC)  # 23:45 in Kolkata
EARLY = datetime(2026, 11, 26, 18, 30, tzinfo=UTC)  # 00:00 the next day in Kolkata
SUPPLIER = Principal("acme", Role.SUPPLIER, scope_id="7")
BUYER = Principal("alpha", Role.BUYER, scope_id="alpha")


def lead(at: datetime, status: str, count: int = 1, buyer: str = "", **money: int) -> LeadRollup:
    return LeadRollup(
        at,
        "100",
        "7",
        buyer,
        status,
        count,
        money.get("price", 0),
        money.get("payout", 0),
        money.get("returned", 0),
        money.get("returned_price", 0),
        money.get("returned_payout", 0),
    )


def traffic(
    at: datetime, metric: str, count: int, buyer: str = "", cents: int = 0
) -> TrafficRollup:
    return TrafficRollup(at, "100", "7", buyer, metric, count, cents, 0.0)


def query(*groups: Grouping) -> ReportQuery:
    return ReportQuery(date(2026, 11, 26), date(2026, 11, 27), KOLKATA, groups)


ROWS = [
    lead(LATE, "sold", 2),
    lead(EARLY, "not_sold", 1),
    lead(LATE, "sold", 2, "alpha", price=8000, payout=7200, returned=1, returned_price=4000,
         returned_payout=3600),
    lead(EARLY, "rejected", 1, "beta", price=3000, payout=2700),
]  # fmt: skip
TRAFFIC = [
    traffic(LATE, "ping", 4),
    traffic(LATE, "ping_bid", 3),
    traffic(EARLY, "bid", 3, "alpha", cents=10_001),
    traffic(EARLY, "refused:ping:1004", 2),
]


def test_metrics_derive_from_the_sums() -> None:
    totals = fold(query(), ROWS, TRAFFIC).totals.metrics()
    assert (totals["leads"], totals["sold"], totals["not_sold"]) == (3, 2, 1)
    assert (totals["posts"], totals["sales"]) == (3, 2)
    assert (totals["revenue_cents"], totals["cost_cents"], totals["profit_cents"]) == (
        8000,
        7200,
        800,
    )
    assert (totals["net_revenue_cents"], totals["net_cost_cents"], totals["net_profit_cents"]) == (
        4000,
        3600,
        400,
    )
    assert (totals["sell_through"], totals["margin"], totals["bid_rate"]) == (0.6667, 0.1, 0.75)
    assert totals["average_bid_cents"] == 3334  # 10001 / 3, half up
    assert totals["refused_by_code"] == {"1004": 2}


def test_groups_by_a_zone_s_days_add_up_to_the_totals() -> None:
    report = fold(query(Grouping.DAY), ROWS, TRAFFIC)
    by_day = {row.key["day"]: row.tally.metrics() for row in report.rows}
    assert sorted(by_day) == ["2026-11-26", "2026-11-27"]
    assert [by_day[day]["leads"] for day in sorted(by_day)] == [2, 1]
    assert sum(int(str(day["revenue_cents"])) for day in by_day.values()) == 8000
    assert report.totals.metrics() == fold(query(), ROWS, TRAFFIC).totals.metrics()


def test_by_buyer_the_supplier_side_is_its_own_group() -> None:
    report = fold(query(Grouping.BUYER), ROWS, TRAFFIC)
    by_buyer = {row.key["buyer"]: row.tally.metrics() for row in report.rows}
    assert (by_buyer[""]["leads"], by_buyer["alpha"]["leads"]) == (3, 0)
    assert (by_buyer["alpha"]["sales"], by_buyer["beta"]["sales"]) == (2, 0)
    assert by_buyer["beta"]["acceptance_rate"] == 0.0


def test_nothing_counted_has_no_rates() -> None:
    empty = fold(query(), [], []).totals.metrics()
    assert empty["bid_rate"] is empty["margin"] is empty["average_bid_cents"] is None
    assert average(5, 2) == 3


def test_a_scoped_principal_sees_its_own_supplier_or_buyer_only() -> None:
    asked = ReportQuery(date(2026, 11, 1), date(2026, 11, 1), KOLKATA, suppliers=frozenset({"8"}))
    assert asked.scoped(SUPPLIER).suppliers == frozenset({NOBODY})
    assert query().scoped(SUPPLIER).suppliers == frozenset({"7"})
    assert query().scoped(BUYER).buyers == frozenset({"alpha"})
    assert query().scoped(BOOTSTRAP_OWNER) == query()
    assert LeadQuery(suppliers=frozenset({"7", "8"})).scoped(SUPPLIER).suppliers == {"7"}
    assert LeadQuery().scoped(BUYER).buyers == {"alpha"}


NOW = datetime(2026, 11, 27, 20, 0, tzinfo=UTC)  # already the 28th in Kolkata


def read(principal: Principal = BOOTSTRAP_OWNER, **params: str | None) -> ReportQuery | Refusal:
    given: dict[str, str | None] = {
        "start": None,
        "end": None,
        "timezone": None,
        "group_by": None,
        "campaign": None,
        "supplier": None,
        "buyer": None,
        "test": None,
    }
    return read_report_query(principal, NOW, **{**given, **params})


def test_dates_default_to_today_in_the_zone() -> None:
    kolkata = read(timezone="Asia/Kolkata")
    assert isinstance(kolkata, ReportQuery)
    assert (kolkata.start, kolkata.end) == (date(2026, 11, 28), date(2026, 11, 28))
    since = read(start="2026-11-20")
    assert isinstance(since, ReportQuery)
    assert (since.start, since.end, since.test) == (
        date(2026, 11, 20),
        date(2026, 11, 27),
        LeadTestFilter.EXCLUDE,
    )
    grouped = read(group_by="day,campaign,day", campaign="100, 200")
    assert isinstance(grouped, ReportQuery)
    assert grouped.group_by == (Grouping.DAY, Grouping.CAMPAIGN)
    assert grouped.campaigns == {"100", "200"}


def test_every_bad_parameter_is_named() -> None:
    refused = read(
        timezone="Nowhere/Land",
        start="2026-13-01",
        group_by="day,hour",
        test="some",
        buyer=",".join(str(n) for n in range(101)),
    )
    assert isinstance(refused, Refusal)
    assert [e.field for e in refused.errors] == [
        "timezone",
        "start_date",
        "group_by",
        "test",
        "buyer",
    ]
    too_long = read(start="2024-01-01", end="2026-01-01")
    assert isinstance(too_long, Refusal)
    assert too_long.errors[0].field == "end_date"


def test_a_lead_search_names_a_field_and_its_value_together() -> None:
    params: dict[str, str | None] = dict.fromkeys(
        (
            "lead_id",
            "ping_id",
            "phone",
            "email",
            "field_name",
            "campaign",
            "supplier",
            "buyer",
            "status",
            "test",
            "start",
            "end",
            "timezone",
            "cursor",
        )
    )
    refused = read_lead_query(BOOTSTRAP_OWNER, **params, field_value="5125550142", limit=100)
    assert isinstance(refused, Refusal)
    assert [e.field for e in refused.errors] == ["field_name"]
    assert "5125550142" not in refused.message
    found = read_lead_query(
        BOOTSTRAP_OWNER,
        **{**params, "phone": "(512) 555-0142", "start": "2026-11-01", "timezone": "Asia/Kolkata"},
        field_value=None,
        limit=100,
    )
    assert isinstance(found, LeadQuery)
    assert found.fields == (("phone", "(512) 555-0142"),)
    assert found.since == datetime(2026, 10, 31, 18, 30, tzinfo=UTC)
    assert found.until is None


def test_scoped_principals_are_not_shown_the_margin() -> None:
    tally = Tally(leads=3, sold=2, revenue_cents=9_000, cost_cents=7_000)
    supplier = tally.metrics(withheld_from(SUPPLIER))
    buyer = tally.metrics(withheld_from(Principal("b", Role.BUYER, scope_id="alpha")))
    everything = tally.metrics(withheld_from(BOOTSTRAP_OWNER))
    assert everything == tally.metrics()
    assert everything["profit_cents"] == 2_000
    assert supplier["cost_cents"] == 7_000  # its own payouts
    assert buyer["revenue_cents"] == 9_000  # what it paid
    for hidden in ("profit_cents", "margin", "net_profit_cents", "net_margin"):
        assert hidden not in supplier
        assert hidden not in buyer
    assert "revenue_cents" not in supplier
    assert "net_revenue_cents" not in supplier
    assert "cost_cents" not in buyer
    assert "net_cost_cents" not in buyer
    assert supplier["leads"] == buyer["leads"] == 3
