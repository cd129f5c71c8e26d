"""What the reports must say, counted straight from the ledger and log tables with plain SQL and
Python, independently of Pickpost's rollups, buckets and report code."""

import asyncio
import json
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import sqlalchemy as sa

from pickpost.infra.sql.engine import make_engine
from tests.support.server import ADMIN_TOKEN
from tests.support.system import System, bid_of

Metrics = dict[tuple[str, ...], dict[str, int | None]]

# The metrics a report counts; derived ones (rates, averages, net) follow from these.
COUNTED = (
    "pings",
    "pings_with_bids",
    "buyer_pings",
    "bids",
    "no_bids",
    "timeouts",
    "errors",
    "leads",
    "sold",
    "posts",
    "sales",
    "revenue_cents",
    "cost_cents",
    "returns",
    "returned_revenue_cents",
    "returned_cost_cents",
)


@dataclass(frozen=True)
class Fact:
    """One row of the ledger or the logs, and what it adds to a report."""

    campaign: str
    supplier: str
    buyer: str  # '' for a lead or a ping
    test: bool
    at: datetime
    adds: dict[str, int] = field(default_factory=dict)


def _moment(value: Any) -> datetime:
    moment: datetime = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def facts(query: Callable[..., list[tuple[Any, ...]]]) -> list[Fact]:
    """Every lead, sale, approved return, ping and buyer ping call in the database."""
    found: list[Fact] = []
    leads = {}
    for lead_id, campaign, supplier, test, status, created in query(
        "SELECT id, campaign_id, supplier_id, test, status, created_at FROM leads"
    ):
        at = _moment(created)
        leads[lead_id] = (campaign, supplier, bool(test), at)
        found.append(
            Fact(campaign, supplier, "", bool(test), at, {"leads": 1, "sold": status == "sold"})
        )
    returned = {
        (lead_id, buyer): (credit, chargeback)
        for lead_id, buyer, credit, chargeback in query(
            "SELECT lead_id, buyer_id, credit_cents, chargeback_cents FROM returns "
            "WHERE status = 'approved'"
        )
    }
    for lead_id, buyer, status, price, payout in query(
        "SELECT lead_id, buyer_id, status, buyer_price_cents, payout_cents FROM sales"
    ):
        campaign, supplier, test, at = leads[lead_id]
        adds = {"posts": 1}
        if status == "sold":
            adds |= {"sales": 1, "revenue_cents": price, "cost_cents": payout}
        if (lead_id, buyer) in returned:
            credit, chargeback = returned[(lead_id, buyer)]
            adds |= {"returns": 1, "returned_revenue_cents": credit}
            adds |= {"returned_cost_cents": chargeback}
        found.append(Fact(campaign, supplier, buyer, test, at, adds))
    pings = {}
    for ping_id, campaign, supplier, test, created, bids in query(
        "SELECT id, campaign_id, supplier_id, test, created_at, bids FROM pings"
    ):
        at = _moment(created)
        offered = json.loads(bids) if isinstance(bids, str) else bids
        pings[ping_id] = (campaign, supplier, bool(test), at)
        found.append(
            Fact(
                campaign,
                supplier,
                "",
                bool(test),
                at,
                {"pings": 1, "pings_with_bids": bool(offered)},
            )
        )
    answer = {"bid": "bids", "no_bid": "no_bids", "timeout": "timeouts", "error": "errors"}
    # Traffic is counted when it happens: a Direct Post's pricing calls when its request came.
    received = {
        lead_id: _moment(at)
        for lead_id, at in query(
            "SELECT l.id, r.received_at FROM leads l JOIN requests r ON r.id = l.request_id"
        )
    }
    for ping_id, lead_id, buyer, outcome, price in query(
        "SELECT ping_id, lead_id, buyer_id, outcome, price_cents FROM buyer_calls "
        "WHERE step = 'ping' AND outcome IN ('bid', 'no_bid', 'timeout', 'error')"
    ):
        # A PING's calls belong to its ping; a Direct Post's pricing calls to its lead.
        if ping_id:
            campaign, supplier, test, at = pings[ping_id]
        else:
            campaign, supplier, test, _ = leads[lead_id]
            at = received[lead_id]
        adds = {"buyer_pings": 1, answer[outcome]: 1}
        if outcome == "bid":
            adds["bid_cents"] = price
        found.append(Fact(campaign, supplier, buyer, test, at, adds))
    return found


def refusals(query: Callable[..., list[tuple[Any, ...]]]) -> Counter[str]:
    """Supplier requests answered with an error code, by code."""
    return Counter(
        str(code)
        for (code,) in query("SELECT code FROM requests WHERE code >= 1000 AND code < 2000")
    )


def group_key(fact: Fact, groups: Iterable[str], tz: ZoneInfo) -> tuple[str, ...]:
    key = []
    for group in groups:
        if group == "campaign":
            key.append(fact.campaign)
        elif group == "supplier":
            key.append(fact.supplier)
        elif group == "buyer":
            key.append(fact.buyer)
        elif group == "day":
            key.append(fact.at.astimezone(tz).date().isoformat())
        else:
            local = fact.at.astimezone(tz)
            key.append(local.replace(minute=0, second=0, microsecond=0).isoformat())
    return tuple(key)


def expected(
    all_facts: Iterable[Fact],
    groups: list[str],
    tz: ZoneInfo,
    window: tuple[datetime, datetime],
    test: str = "exclude",
) -> Metrics:
    """The counted metrics per group of the facts in ``window`` (UTC, end exclusive)."""
    sums: dict[tuple[str, ...], Counter[str]] = defaultdict(Counter)
    for fact in all_facts:
        if not window[0] <= fact.at < window[1]:
            continue
        if (test == "exclude" and fact.test) or (test == "only" and not fact.test):
            continue
        sums[group_key(fact, groups, tz)].update({k: int(v) for k, v in fact.adds.items()})
    return {key: _metrics(counts) for key, counts in sums.items()}


def _metrics(counts: Counter[str]) -> dict[str, int | None]:
    found: dict[str, int | None] = {name: counts[name] for name in COUNTED}
    bids = counts["bids"]
    found["average_bid_cents"] = (
        None if bids == 0 else (2 * counts["bid_cents"] + bids) // (2 * bids)
    )
    return found


def reported(body: dict[str, Any], groups: list[str]) -> tuple[Metrics, dict[str, int | None]]:
    """A report's rows, keyed like :func:`expected`, and its totals, counted metrics only."""
    names = (*COUNTED, "average_bid_cents")
    rows = {
        tuple(row[g] for g in groups): {name: row[name] for name in names} for row in body["rows"]
    }
    return rows, {name: body["totals"][name] for name in names}


def report(http: httpx.Client, token: str, **params: str) -> dict[str, Any]:
    response = http.get(
        "/api/v1/reports", params=params, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def without_empty(
    rows: Metrics,
) -> Metrics:
    """Rows with something counted (a report lists no group with nothing in it)."""
    return {k: v for k, v in rows.items() if any(value for value in v.values())}


def execute(database_url: str, statement: str, **params: Any) -> None:
    """A write straight to the database, committed (what another service of Pickpost, or an
    operator's fix, would do)."""

    # Times bound as the application binds them (SQLite keeps them as text in one format).
    times = [sa.bindparam(k, type_=sa.DateTime(timezone=True)) for k, v in params.items()
             if isinstance(v, datetime)]  # fmt: skip

    async def run() -> None:
        engine = make_engine(database_url)
        try:
            async with engine.begin() as conn:
                await conn.execute(sa.text(statement).bindparams(*times), params)
        finally:
            await engine.dispose()

    asyncio.run(run())


ZONES = ("UTC", "America/New_York", "Asia/Kolkata", "Asia/Kathmandu")
GROUPINGS: tuple[list[str], ...] = (
    [],
    ["campaign"],
    ["supplier"],
    ["buyer"],
    ["campaign", "supplier", "buyer"],
)


def drive(system: System, other: System | None = None) -> None:
    """Every kind of traffic a report counts: pings to ``system``, posts and Direct Posts to
    ``other`` when given (another node of the same deployment)."""
    seller = other or system
    for supplier in ("7", "8"):
        # One-to-One: sold, rejected by the buyer, a buyer's duplicate, never posted.
        for picked in ("alpha", "rejecter", "dupe", None, "beta"):
            ping = system.ping("100", supplier)
            assert ping.json()["code"] == 0, ping.text
            if picked is not None:
                seller.post(ping, [bid_of(ping, picked)], supplier=supplier)
        system.ping("800", supplier)  # no bid above the floor
    system.ping("200")  # timeouts, errors and garbage
    # Test leads: a test ping sold, a test Direct Post.
    ping = system.ping("100", lp_action="test")
    seller.post(ping, [bid_of(ping, "alpha")], lp_action="test")
    seller.direct_post("1200", lp_action="test")
    # Direct Post: sold, rejected by every buyer, priced by a live ping, a duplicate.
    seller.direct_post("1200")
    seller.direct_post("1205")
    seller.direct_post("1201")
    seller.direct_post("1500", phone="5125550199")
    seller.direct_post("1500", phone="5125550199", first_name="Robin")
    # Refused: a wrong key, an invalid field, an unknown ping.
    system.call("/ping", "100", "7", lp_key="wrong", zip_code="78701", state="TX")
    system.ping("100", state="Texas!")
    seller.post("p_unknown", ["b_unknown"])
    # The logs are written behind the answers: an admin read flushes them.
    (lead_id,) = system.query("SELECT id FROM leads LIMIT 1")[0]
    system.lead(lead_id)
    seller.lead(lead_id)


def return_two_sales(system: System) -> None:
    """An approved and a rejected return, written as the returns service writes them."""
    sold = system.query(
        "SELECT lead_id, buyer_id, buyer_price_cents, payout_cents FROM sales "
        "WHERE status = 'sold' ORDER BY lead_id LIMIT 2"
    )
    now = datetime.now(UTC)
    decisions = ("approved", "rejected")
    for (lead_id, buyer_id, price, payout), status in zip(sold, decisions, strict=True):
        execute(
            system.database_url,
            "INSERT INTO returns (lead_id, buyer_id, reason, note, status, opened_by, opened_at,"
            " decided_by, decided_at, credit_cents, chargeback_cents) VALUES (:lead, :buyer,"
            " 'bad phone', '', :status, 'buyer', :now, 'admin', :now, :credit, :chargeback)",
            lead=lead_id,
            buyer=buyer_id,
            status=status,
            now=now,
            credit=price if status == "approved" else 0,
            chargeback=payout if status == "approved" else 0,
        )
        bump = "UPDATE leads SET updated_at = :now WHERE id = :lead"
        execute(system.database_url, bump, now=now, lead=lead_id)


def move_across_midnight(system: System) -> None:
    """Some leads made yesterday just before midnight (UTC, then Kolkata's), as a node with
    a slow clock would stamp them; their changed ``updated_at`` is what refreshes the rollups."""
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    moves = (today - timedelta(minutes=5), today - timedelta(hours=5, minutes=40))
    leads = system.query("SELECT id FROM leads ORDER BY id LIMIT 4")
    for (lead_id,), moment in zip(leads, moves * 2, strict=True):
        execute(
            system.database_url,
            "UPDATE leads SET created_at = :at, updated_at = :now WHERE id = :lead",
            at=moment,
            now=datetime.now(UTC),
            lead=lead_id,
        )


def window(zone: ZoneInfo, days: tuple[date, date]) -> tuple[datetime, datetime]:
    first, last = days
    start = datetime(first.year, first.month, first.day, tzinfo=zone)
    end = datetime(last.year, last.month, last.day, tzinfo=zone) + timedelta(days=1)
    return start.astimezone(UTC), end.astimezone(UTC)


def assert_reports_equal_the_ledger(system: System, http: httpx.Client | None = None) -> None:
    client = http or system.http
    for zone_name in ZONES:
        zone = ZoneInfo(zone_name)
        today = datetime.now(zone).date()
        days = (today - timedelta(days=2), today + timedelta(days=1))
        span = window(zone, days)
        params = {
            "start_date": days[0].isoformat(),
            "end_date": days[1].isoformat(),
            "timezone": zone_name,
        }
        ledger = facts(system.query)
        for groups in [*GROUPINGS, ["day"], ["day", "campaign"], ["hour"]]:
            body = report(client, ADMIN_TOKEN, **params, group_by=",".join(groups))
            rows, totals = reported(body, groups)
            want = expected(ledger, groups, zone, span)
            assert without_empty(rows) == without_empty(want), (zone_name, groups)
            assert totals == expected(ledger, [], zone, span).get((), totals), zone_name
        for test in ("include", "only"):
            body = report(client, ADMIN_TOKEN, **params, test=test)
            assert reported(body, [])[1] == expected(ledger, [], zone, span, test)[()], test
        body = report(client, ADMIN_TOKEN, **params, test="include")
        assert body["totals"]["refused_by_code"] == dict(sorted(refusals(system.query).items()))
