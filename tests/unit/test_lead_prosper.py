"""Lead Prosper's words for Pickpost's numbers (docs/data-api.md): each field from its
definition, money exact to the cent."""

from pickpost.domain import lead_prosper as lp
from pickpost.domain.reports import Tally


def _tally() -> Tally:
    return Tally(
        pings=10,
        pings_with_bids=4,
        buyer_pings=30,
        bids=3,
        bid_cents=1001,
        leads=6,
        sold=4,
        posts=7,
        sales=5,
        revenue_cents=12345,
        cost_cents=10001,
        returns=1,
        returned_revenue_cents=2000,
        returned_cost_cents=1500,
        refused_by_code={"1008": 2, "1004": 3},
    )


def test_a_campaign_counts_leads_and_gross_money() -> None:
    assert lp.campaign_stats(_tally()) == {
        "leads_total": 6,
        "leads_accepted": 4,
        "leads_duplicated": 2,
        "leads_failed": 2,
        "total_buy": 100.01,
        "total_sell": 123.45,
        "profit": 23.44,
    }


def test_a_supplier_adds_returns_net_money_and_pings() -> None:
    found = lp.supplier_stats(_tally())
    assert found["leads_returned"] == 1
    assert (found["gross_revenue"], found["returned_revenue"], found["net_revenue"]) == (
        123.45,
        20.0,
        103.45,
    )
    assert (found["gross_cost"], found["returned_cost"], found["net_cost"]) == (100.01, 15.0, 85.01)
    assert (found["gross_profit"], found["returned_profit"], found["net_profit"]) == (
        23.44,
        5.0,
        18.44,
    )
    assert found["net_leads_accepted"] == 3
    assert (found["pings_total"], found["pings_accepted"], found["pings_failed"]) == (10, 4, 6)
    assert found["pings_avg_bid"] == 3.34  # 1001 / 3 = 333.67 cents, half up
    assert found["prepings_total"] == 0


def test_a_buyer_counts_the_leads_posted_to_it_and_its_pings() -> None:
    found = lp.buyer_stats(_tally())
    assert (found["leads_total"], found["leads_accepted"], found["leads_failed"]) == (7, 5, 2)
    assert found["leads_duplicated"] == 0
    assert (found["pings_total"], found["pings_accepted"], found["pings_failed"]) == (30, 3, 27)
    assert lp.buyer_stats(Tally())["pings_avg_bid"] == 0.0


def test_statuses_in_lead_prospers_words() -> None:
    assert lp.lead_status("sold", 0) == "ACCEPTED"
    assert lp.lead_status("not_sold", 1008) == "DUPLICATED"
    assert lp.lead_status("not_sold", 2002) == "ERROR"
    assert lp.lead_status("unknown", 2003) == "ERROR"
    assert lp.lead_status("selling", 0) == "PENDING"
    assert [lp.sale_status(s) for s in ("sold", "rejected", "error", "pending", "unknown")] == [
        "ACCEPTED",
        "REJECTED",
        "ERROR",
        "PENDING",
        "PENDING",
    ]
    assert lp.STATUS_FILTER["ERROR"] == {"not_sold", "unknown", "interrupted"}


def test_money_is_exactly_the_ledgers_cents() -> None:
    for cents in (0, 1, 10, 99, 4250, 123456789):
        assert round(lp.dollars(cents) * 100) == cents
        assert f"{lp.dollars(cents):.2f}" == f"{cents // 100}.{cents % 100:02d}"
