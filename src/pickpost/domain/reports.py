"""Reports: what an operator asks (a :class:`ReportQuery`), the rollup rows that answer it, and
the metrics folded from them (docs/reports.md defines every one).

Every counted metric is a sum, so groups add up to the totals; rates and averages are derived
from the sums, never averaged. Money is integer cents.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, fields
from datetime import date, datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

from pickpost.domain.buckets import local_day, local_hour, window
from pickpost.domain.people import Principal

# Lead and sale status of a confirmed sale.
SOLD = "sold"
# Traffic metrics (``traffic_rollups.metric``); buyer_id '' is the supplier's side.
PING = "ping"  # a PING answered with offers or none
PING_WITH_BIDS = "ping_bid"  # a PING answered with at least one bid
CALL = "call"  # a ping sent to a buyer (sum_ms: its latency)
BID = "bid"  # a buyer's bid (sum_cents: its price)
NO_BID = "no_bid"
TIMEOUT = "timeout"
ERROR = "error"
REFUSED = "refused:"  # refused:<endpoint>:<code>, a supplier request answered with an error
# An id no supplier or buyer has (ids are letters, digits, "_", "." and "-"), and one every
# database can compare (PostgreSQL refuses NUL in text): a scoped filter on another finds nothing.
NOBODY = "(nobody)"


class Grouping(StrEnum):
    CAMPAIGN = "campaign"
    SUPPLIER = "supplier"
    BUYER = "buyer"
    DAY = "day"
    HOUR = "hour"

    @property
    def timed(self) -> bool:
        return self in (Grouping.DAY, Grouping.HOUR)


class LeadTestFilter(StrEnum):
    EXCLUDE = "exclude"
    INCLUDE = "include"
    ONLY = "only"

    def admits(self, test: bool) -> bool:
        return self is LeadTestFilter.INCLUDE or test is (self is LeadTestFilter.ONLY)


@dataclass(frozen=True, slots=True)
class ReportQuery:
    """Days ``start`` through ``end`` (inclusive) in ``tz``, grouped and filtered; empty id sets
    filter nothing. A scoped principal's own supplier or buyer is its only one."""

    start: date
    end: date
    tz: ZoneInfo
    group_by: tuple[Grouping, ...] = ()
    campaigns: frozenset[str] = frozenset()
    suppliers: frozenset[str] = frozenset()
    buyers: frozenset[str] = frozenset()
    test: LeadTestFilter = LeadTestFilter.EXCLUDE

    def window(self) -> tuple[datetime, datetime]:
        """The UTC instants ``[start, end)`` the query covers."""
        return window(self.start, self.end, self.tz)

    def scoped(self, principal: Principal) -> "ReportQuery":
        """The query as ``principal`` may ask it: a supplier or buyer sees its own only."""
        if principal.supplier_scope is not None:
            return _narrow(self, suppliers=frozenset({principal.supplier_scope}))
        if principal.buyer_scope is not None:
            return _narrow(self, buyers=frozenset({principal.buyer_scope}))
        return self

    def with_groups(self, *groups: Grouping) -> "ReportQuery":
        return ReportQuery(
            self.start,
            self.end,
            self.tz,
            groups,
            self.campaigns,
            self.suppliers,
            self.buyers,
            self.test,
        )

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def _narrow(
    query: ReportQuery,
    suppliers: frozenset[str] | None = None,
    buyers: frozenset[str] | None = None,
) -> ReportQuery:
    """``query`` limited to one supplier or buyer: asking for another one finds nothing."""

    def limit(asked: frozenset[str], only: frozenset[str]) -> frozenset[str]:
        # A filter on another supplier must not widen to all of them.
        return (asked & only or frozenset({NOBODY})) if asked else only

    return ReportQuery(
        query.start,
        query.end,
        query.tz,
        query.group_by,
        query.campaigns,
        limit(query.suppliers, suppliers) if suppliers else query.suppliers,
        limit(query.buyers, buyers) if buyers else query.buyers,
        query.test,
    )


@dataclass(frozen=True, slots=True)
class LeadRollup:
    """Summed ``lead_rollups`` rows; a dimension not asked for is None. ``buyer_id`` '' is the
    lead itself (status: the lead's), else its sales to that buyer (status: the sale's)."""

    bucket: datetime | None
    campaign_id: str | None
    supplier_id: str | None
    buyer_id: str
    status: str
    count: int
    price_cents: int
    payout_cents: int
    returned: int
    returned_price_cents: int
    returned_payout_cents: int


@dataclass(frozen=True, slots=True)
class TrafficRollup:
    """Summed ``traffic_rollups`` rows; a dimension not asked for is None."""

    bucket: datetime | None
    campaign_id: str | None
    supplier_id: str | None
    buyer_id: str
    metric: str
    count: int
    sum_cents: int
    sum_ms: float


@dataclass(slots=True)
class Tally:
    """The counted metrics of one group: every one a sum."""

    pings: int = 0
    pings_with_bids: int = 0
    buyer_pings: int = 0
    bids: int = 0
    bid_cents: int = 0
    no_bids: int = 0
    timeouts: int = 0
    errors: int = 0
    latency_ms: float = 0.0
    refused: int = 0
    leads: int = 0
    sold: int = 0
    posts: int = 0
    sales: int = 0
    revenue_cents: int = 0
    cost_cents: int = 0
    returns: int = 0
    returned_revenue_cents: int = 0
    returned_cost_cents: int = 0
    refused_by_code: dict[str, int] = field(default_factory=dict)

    def add_lead(self, row: LeadRollup) -> None:
        if row.buyer_id == "":
            self.leads += row.count
            self.sold += row.count if row.status == SOLD else 0
            return
        self.posts += row.count
        if row.status == SOLD:
            self.sales += row.count
            self.revenue_cents += row.price_cents
            self.cost_cents += row.payout_cents
        self.returns += row.returned
        self.returned_revenue_cents += row.returned_price_cents
        self.returned_cost_cents += row.returned_payout_cents

    def add_traffic(self, row: TrafficRollup) -> None:
        metric, count = row.metric, row.count
        if metric.startswith(REFUSED):
            self.refused += count
            code = metric.rsplit(":", 1)[-1]
            self.refused_by_code[code] = self.refused_by_code.get(code, 0) + count
        elif metric == PING:
            self.pings += count
        elif metric == PING_WITH_BIDS:
            self.pings_with_bids += count
        elif metric == CALL:
            self.buyer_pings += count
            self.latency_ms += row.sum_ms
        elif metric == BID:
            self.bids += count
            self.bid_cents += row.sum_cents
        elif metric == NO_BID:
            self.no_bids += count
        elif metric == TIMEOUT:
            self.timeouts += count
        elif metric == ERROR:
            self.errors += count

    def add(self, other: "Tally") -> None:
        for item in fields(self):
            mine, theirs = getattr(self, item.name), getattr(other, item.name)
            if isinstance(mine, dict):
                for code, count in theirs.items():
                    mine[code] = mine.get(code, 0) + count
            else:
                setattr(self, item.name, mine + theirs)

    def metrics(self, withheld: frozenset[str] = frozenset()) -> dict[str, object]:
        """The counted metrics and those derived from them (docs/reports.md), but for the
        ``withheld`` ones (see :func:`withheld_from`)."""
        if withheld:
            return {k: v for k, v in self.metrics().items() if k not in withheld}
        profit = self.revenue_cents - self.cost_cents
        net_revenue = self.revenue_cents - self.returned_revenue_cents
        net_cost = self.cost_cents - self.returned_cost_cents
        return {
            "pings": self.pings,
            "pings_with_bids": self.pings_with_bids,
            "bid_rate": ratio(self.pings_with_bids, self.pings),
            "buyer_pings": self.buyer_pings,
            "bids": self.bids,
            "average_bid_cents": average(self.bid_cents, self.bids),
            "no_bids": self.no_bids,
            "timeouts": self.timeouts,
            "errors": self.errors,
            "average_latency_ms": None
            if self.buyer_pings == 0
            else round(self.latency_ms / self.buyer_pings, 1),
            "refused": self.refused,
            "refused_by_code": dict(sorted(self.refused_by_code.items())),
            "leads": self.leads,
            "sold": self.sold,
            "not_sold": self.leads - self.sold,
            "sell_through": ratio(self.sold, self.leads),
            "posts": self.posts,
            "sales": self.sales,
            "acceptance_rate": ratio(self.sales, self.posts),
            "revenue_cents": self.revenue_cents,
            "cost_cents": self.cost_cents,
            "profit_cents": profit,
            "margin": ratio(profit, self.revenue_cents),
            "returns": self.returns,
            "returned_revenue_cents": self.returned_revenue_cents,
            "returned_cost_cents": self.returned_cost_cents,
            "net_revenue_cents": net_revenue,
            "net_cost_cents": net_cost,
            "net_profit_cents": net_revenue - net_cost,
            "net_margin": ratio(net_revenue - net_cost, net_revenue),
        }


def ratio(part: int, whole: int) -> float | None:
    """``part / whole`` to four places; None when there is no whole."""
    return None if whole == 0 else round(part / whole, 4)


def average(total_cents: int, count: int) -> int | None:
    """Whole cents, half up; None when nothing was counted."""
    return None if count == 0 else (2 * total_cents + count) // (2 * count)


GroupKey = tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ReportRow:
    key: dict[str, str]  # grouping name → value (a day, a local hour, an id)
    tally: Tally

    def as_json(self, withheld: frozenset[str] = frozenset()) -> dict[str, object]:
        return {**self.key, **self.tally.metrics(withheld)}


@dataclass(frozen=True, slots=True)
class Report:
    rows: list[ReportRow]
    totals: Tally

    def as_json(self, withheld: frozenset[str] = frozenset()) -> dict[str, object]:
        return {
            "rows": [row.as_json(withheld) for row in self.rows],
            "totals": self.totals.metrics(withheld),
        }


def _key(groups: Sequence[Grouping], tz: ZoneInfo, row: LeadRollup | TrafficRollup) -> GroupKey:
    parts: list[str] = []
    for group in groups:
        if group is Grouping.CAMPAIGN:
            parts.append(row.campaign_id or "")
        elif group is Grouping.SUPPLIER:
            parts.append(row.supplier_id or "")
        elif group is Grouping.BUYER:
            parts.append(row.buyer_id)
        elif row.bucket is not None:
            at = row.bucket
            parts.append(local_day(at, tz) if group is Grouping.DAY else local_hour(at, tz))
    return tuple(parts)


def fold(
    query: ReportQuery, leads: Iterable[LeadRollup], traffic: Iterable[TrafficRollup]
) -> Report:
    """The query's rows, ordered by their keys, and totals, from rows already filtered to it."""
    groups = query.group_by
    tallies: dict[GroupKey, Tally] = {}
    for lead_row in leads:
        tallies.setdefault(_key(groups, query.tz, lead_row), Tally()).add_lead(lead_row)
    for traffic_row in traffic:
        tallies.setdefault(_key(groups, query.tz, traffic_row), Tally()).add_traffic(traffic_row)
    totals = Tally()
    rows = []
    for key in sorted(tallies):
        totals.add(tallies[key])
        rows.append(ReportRow(dict(zip((g.value for g in groups), key, strict=True)), tallies[key]))
    return Report(rows, totals)


def series_grouping(query: ReportQuery) -> Grouping:
    """A chart's step: hours for one day, days for longer."""
    return Grouping.HOUR if query.days == 1 else Grouping.DAY


def top(report: Report, n: int) -> list[ReportRow]:
    """The ``n`` rows with the most revenue (then leads, then posts), '' keys (no buyer) left
    out."""
    ranked = [row for row in report.rows if all(row.key.values())]
    ranked.sort(key=lambda r: (-r.tally.revenue_cents, -r.tally.leads, -r.tally.posts))
    return ranked[:n]


# What a buyer pays is the supplier's business only through its payout, and what a supplier
# is paid the buyer's not at all: together they would show the exchange's margin.
_MARGIN = frozenset({"profit_cents", "margin", "net_profit_cents", "net_margin"})
_REVENUE = frozenset({"revenue_cents", "returned_revenue_cents", "net_revenue_cents"})
_COST = frozenset({"cost_cents", "returned_cost_cents", "net_cost_cents"})


def withheld_from(principal: Principal) -> frozenset[str]:
    """The metrics a principal is not shown: a supplier user sees its payouts (cost) but not
    what buyers paid, a buyer user what it paid (revenue) but not the supplier's payout, and
    neither the margin between them. Operators and analysts see every metric."""
    if principal.supplier_scope is not None:
        return _MARGIN | _REVENUE
    if principal.buyer_scope is not None:
        return _MARGIN | _COST
    return frozenset()
