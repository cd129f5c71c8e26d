"""The seeded history: deterministic for a seed and a clock, and shaped as the live path would
have left the ledger (every sale's lead exists, picks are among the bids shown and sold in
their order, sold sales are priced, a few percent of test leads, traffic counts that match)."""

from collections import Counter
from datetime import datetime
from importlib.resources import as_file
from zoneinfo import ZoneInfo

import pytest

from pickpost.demo import FILES
from pickpost.domain.catalog import Catalog
from pickpost.domain.fields import Step, validate_lead
from pickpost.domain.lead import LeadStatus, SaleStatus
from pickpost.domain.outcomes import CallStep
from pickpost.domain.reports import CALL, PING
from pickpost.infra.workspace_file import read_workspace
from pickpost.seed.history import DayHistory, History, Tally
from pickpost.seed.shape import Shape

ZONE = ZoneInfo("America/New_York")
NOW = datetime(2026, 11, 27, 15, 0, tzinfo=ZONE).timestamp()  # a Friday afternoon


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    with as_file(FILES / "workspace.yaml") as path:
        return Catalog.from_workspace(read_workspace(path))


def generate(catalog: Catalog, seed: int = 1, per_day: int = 100, days: int = 7) -> DayHistory:
    """The whole history merged into one."""
    merged = DayHistory(datetime.fromtimestamp(NOW, ZONE).date())
    for batch in History(catalog, Shape(ZONE, per_day), seed, NOW).days(days, batch=97):
        merged.pings += batch.pings
        merged.leads += batch.leads
        merged.sales += batch.sales
        merged.calls += batch.calls
        merged.requests += batch.requests
        merged.returns += batch.returns
        for key, tally in batch.traffic.items():
            total = merged.traffic.setdefault(key, Tally())
            total.count += tally.count
            total.sum_cents += tally.sum_cents
    return merged


@pytest.fixture(scope="module")
def week(catalog: Catalog) -> DayHistory:
    return generate(catalog)


def test_a_seed_and_a_clock_give_the_same_history(catalog: Catalog, week: DayHistory) -> None:
    again = generate(catalog)
    assert [s.lead for s in again.leads] == [s.lead for s in week.leads]
    assert [(s.attempt, s.status) for s in again.sales] == [
        (s.attempt, s.status) for s in week.sales
    ]
    other = generate(catalog, seed=2)
    assert [s.lead.fields for s in other.leads] != [s.lead.fields for s in week.leads]


def test_the_volume_follows_the_days_and_hours(week: DayHistory) -> None:
    # 7 days ending on a Friday afternoon: about 5 weekdays of 100, 2 weekend days of 55.
    assert 450 <= len(week.leads) <= 850
    assert all(NOW - 7 * 86400 <= s.lead.created_at <= NOW for s in week.leads)
    hours = Counter(datetime.fromtimestamp(s.lead.created_at, ZONE).hour for s in week.leads)
    assert hours[11] > 3 * hours[3]
    days = Counter(datetime.fromtimestamp(s.lead.created_at, ZONE).date() for s in week.leads)
    saturday = next(n for day, n in days.items() if day.weekday() == 5)
    tuesday = next(n for day, n in days.items() if day.weekday() == 1)
    assert saturday < tuesday


def test_every_sale_belongs_to_a_lead_and_every_posted_lead_to_a_ping(week: DayHistory) -> None:
    leads = {s.lead.lead_id: s for s in week.leads}
    pings = {p.ping_id: p for p in week.pings}
    assert all(sale.attempt.lead_id in leads for sale in week.sales)
    assert all(s.lead.ping_id in pings for s in week.leads if s.lead.ping_id is not None)
    assert len(leads) == len(week.leads)
    assert len({s.lead.ping_id for s in week.leads if s.lead.ping_id}) == sum(
        1 for s in week.leads if s.lead.ping_id
    )
    kinds = Counter(s.lead.campaign_id for s in week.leads)
    assert set(kinds) == {"101", "102", "103"}  # one-to-one, exchange and direct post


def test_picks_are_among_the_bids_shown_and_sold_in_their_order(week: DayHistory) -> None:
    sales_of: dict[str, list[str]] = {}
    for sale in week.sales:
        sales_of.setdefault(sale.attempt.lead_id, []).append(sale.attempt.bid_id)
    consented = [s for s in week.leads if s.lead.campaign_id == "101"]
    assert consented
    for seeded in consented:
        shown = [bid["bid_id"] for bid in seeded.consent.bids_shown]
        picked = [bid["bid_id"] for bid in seeded.consent.bids_picked]
        assert picked
        assert set(picked) <= set(shown)
        assert sales_of[seeded.lead.lead_id] == picked[: len(sales_of[seeded.lead.lead_id])]
        assert picked == sorted(picked, key=shown.index)


def test_sales_are_priced_and_leads_carry_what_they_earned(week: DayHistory) -> None:
    statuses = Counter(sale.status for sale in week.sales)
    assert statuses[SaleStatus.SOLD] > statuses[SaleStatus.REJECTED] > 0
    sold_payout: Counter[str] = Counter()
    for sale in week.sales:
        assert 0 < sale.attempt.payout <= sale.attempt.buyer_price
        assert sale.attempt.created_at <= sale.finished_at
        if sale.status is SaleStatus.SOLD:
            sold_payout[sale.attempt.lead_id] += sale.attempt.payout
        else:
            assert sale.reason
    for seeded in week.leads:
        assert seeded.payout == sold_payout[seeded.lead.lead_id]
        sold = seeded.payout > 0
        assert (seeded.outcome.status is LeadStatus.SOLD) == sold
    lead_statuses = Counter(s.outcome.status for s in week.leads)
    assert lead_statuses[LeadStatus.NOT_SOLD] > 0
    assert lead_statuses[LeadStatus.UNKNOWN] < len(week.leads) * 0.02


def test_a_few_percent_are_test_leads(week: DayHistory) -> None:
    share = sum(s.lead.test for s in week.leads) / len(week.leads)
    assert 0.005 < share < 0.07


def test_returns_are_of_sold_sales_and_credit_the_price(week: DayHistory) -> None:
    sold = {
        (s.attempt.lead_id, s.attempt.buyer_id): s
        for s in week.sales
        if s.status is SaleStatus.SOLD
    }
    assert week.returns
    assert {r.status for r in week.returns} == {"open", "approved", "rejected"}
    for seeded in week.returns:
        sale = sold[(seeded.lead_id, seeded.buyer_id)]
        expected = sale.attempt.buyer_price if seeded.status == "approved" else 0
        assert seeded.credit_cents == expected
        assert seeded.opened_at > sale.finished_at
        assert seeded.opened_at <= NOW
        assert (seeded.decided_at is None) == (seeded.status == "open")


def test_fake_people_validate_and_are_obviously_fake(catalog: Catalog, week: DayHistory) -> None:
    for seeded in week.leads:
        campaign = catalog.campaigns[seeded.lead.campaign_id]
        fields = seeded.lead.fields
        assert validate_lead(campaign.fields, fields, Step.POST).ok
        assert str(fields["phone"])[3:7] == "5550"
        assert str(fields.get("email", "x@example.com")).endswith("@example.com")


def test_traffic_counts_match_the_pings_and_calls(week: DayHistory) -> None:
    totals: Counter[str] = Counter()
    for key, tally in week.traffic.items():
        totals[key[5]] += tally.count
        assert key[0] % 900 == 0
    assert totals[PING] == len(week.pings)
    assert totals["ping_bid"] == sum(1 for p in week.pings if p.bids)
    assert totals[CALL] == sum(1 for c in week.calls if c.call.step is CallStep.PING)
    assert totals["bid"] == sum(1 for c in week.calls if c.call.price_cents)
    # Refusals are the 1xxx answers (2xxx ones are sales that did not sell).
    refused = Counter(
        f"refused:{r.endpoint}:{r.code}" for r in week.requests if 1000 <= r.code < 2000
    )
    assert refused
    assert {metric: n for metric, n in totals.items() if metric.startswith("refused:")} == refused
    # Every call records what was sent; answers are missing only when none came.
    assert all(c.bodies.request_body for c in week.calls)
    assert all((c.bodies.response_body is None) == (c.call.status_code is None) for c in week.calls)
