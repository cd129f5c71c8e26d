"""The answer an interrupted lead gets, from what the ledger confirms, in its campaign's shape."""

from pickpost.domain.catalog import Campaign
from pickpost.domain.errors import Code
from pickpost.domain.lead import InterruptedLead, LeadStatus, SaleRecord, SaleStatus
from pickpost.services.settle import NOT_ATTEMPTED, UNKNOWN_REASON, interrupted_outcome
from tests.unit.factories import make_campaign

SHOWN: list[dict[str, object]] = [
    {"bid_id": "b_1", "buyer_id": "ann", "tcpa_entity_name": "Ann LLC", "bid_price": 40.5},
    {"bid_id": "b_2", "buyer_id": "bob", "tcpa_entity_name": "Bob LLC", "bid_price": 30.25},
    {"bid_id": "b_3", "buyer_id": "cid", "tcpa_entity_name": "Cid LLC", "bid_price": 20.0},
]
ONE_TO_ONE = Campaign.from_config(make_campaign())
EXCLUSIVE = Campaign.from_config(
    make_campaign(type="exchange", exchange={"mode": "exclusive", "fallback": True})
)
DIRECT = Campaign.from_config(make_campaign(type="direct_post"))


def lead(sales: dict[str, tuple[SaleStatus, int]]) -> InterruptedLead:
    records = {
        b: SaleRecord(status, "rejected by buyer: no", c) for b, (status, c) in sales.items()
    }
    return InterruptedLead("l_1", "101", "7", SHOWN, [SHOWN[2], SHOWN[0], SHOWN[1]], records)


def test_confirmed_sales_are_sold_and_the_call_in_flight_is_unknown() -> None:
    outcome, payout = interrupted_outcome(
        lead({"cid": (SaleStatus.REJECTED, 2000), "ann": (SaleStatus.SOLD, 4050),
              "bob": (SaleStatus.PENDING, 3025)}),
        ONE_TO_ONE,
    )  # fmt: skip
    assert outcome.status is LeadStatus.INTERRUPTED
    assert outcome.code == Code.OK
    assert payout == 4050
    body = outcome.body
    assert body["payout"] == 40.5
    assert [b["buyer_id"] for b in body["sold_bids"]] == ["ann"]  # type: ignore[attr-defined]
    assert [(b["buyer_id"], b["reason"]) for b in body["rejected_bids"]] == [  # type: ignore[attr-defined]
        ("cid", "rejected by buyer: no")
    ]
    assert [(b["buyer_id"], b["reason"]) for b in body["unknown_bids"]] == [  # type: ignore[attr-defined]
        ("bob", UNKNOWN_REASON)
    ]
    assert body["meta"] == {
        "total_bids": 3,
        "consented_bids": 3,
        "sold_count": 1,
        "unknown_count": 1,
        "max_bid_price": 40.5,
        "execution_time_ms": None,
    }


def test_the_payout_is_the_one_the_sale_row_recorded() -> None:
    # A per-lead supplier payout (Direct Post) may differ from the bid's price.
    outcome, payout = interrupted_outcome(lead({"cid": (SaleStatus.SOLD, 1234)}), DIRECT)
    assert (outcome.code, payout, outcome.body["payout"]) == (Code.OK, 1234, 12.34)


def test_a_buyer_that_may_have_taken_the_lead_is_never_called_rejected() -> None:
    outcome, payout = interrupted_outcome(lead({"cid": (SaleStatus.UNKNOWN, 2000)}), ONE_TO_ONE)
    assert (outcome.code, payout) == (Code.SALE_UNKNOWN, 0)
    assert outcome.body["unknown_bids"] == [
        {
            "bid_id": "b_3",
            "buyer_id": "cid",
            "tcpa_entity_name": "Cid LLC",
            "reason": UNKNOWN_REASON,
        }
    ]
    rejected = outcome.body["rejected_bids"]
    assert [(b["buyer_id"], b["reason"]) for b in rejected] == [  # type: ignore[attr-defined]
        ("ann", NOT_ATTEMPTED),
        ("bob", NOT_ATTEMPTED),
    ]


def test_nothing_attempted_is_not_sold() -> None:
    outcome, payout = interrupted_outcome(lead({}), ONE_TO_ONE)
    assert (outcome.code, payout) == (Code.NOT_SOLD, 0)
    rejected = outcome.body["rejected_bids"]
    assert {b["reason"] for b in rejected} == {NOT_ATTEMPTED}  # type: ignore[attr-defined]


def test_an_exclusive_exchange_lead_keeps_the_exclusive_shape() -> None:
    outcome, _ = interrupted_outcome(
        lead({"cid": (SaleStatus.REJECTED, 2000), "ann": (SaleStatus.PENDING, 4050)}), EXCLUSIVE
    )
    assert outcome.code == Code.SALE_UNKNOWN
    assert "rejected_bids" not in outcome.body
    assert "sold_bids" not in outcome.body
    assert outcome.body["meta"] == {
        "attempts": 2,
        "sold_count": 0,
        "unknown_count": 1,
        "execution_time_ms": None,
    }


def test_a_direct_post_lead_keeps_the_direct_post_shape() -> None:
    outcome, _ = interrupted_outcome(lead({"cid": (SaleStatus.SOLD, 2000)}), DIRECT)
    assert outcome.code == Code.OK
    assert outcome.body["meta"] == {
        "buyers_priced": 3,
        "attempts": 1,
        "sold_count": 1,
        "unknown_count": 0,
        "execution_time_ms": None,
    }


def test_an_interrupted_direct_post_with_priced_buyers_is_not_no_bids() -> None:
    outcome, _ = interrupted_outcome(lead({}), DIRECT)
    assert outcome.code == Code.NOT_SOLD  # three buyers were priced: never 2001
