"""The answer an interrupted lead gets, from what the ledger confirms."""

from pickpost.domain.errors import Code
from pickpost.domain.lead import InterruptedLead, LeadStatus, SaleStatus
from pickpost.services.settle import UNKNOWN_REASON, interrupted_outcome

SHOWN: list[dict[str, object]] = [
    {"bid_id": "b_1", "buyer_id": "ann", "tcpa_entity_name": "Ann LLC", "bid_price": 40.5},
    {"bid_id": "b_2", "buyer_id": "bob", "tcpa_entity_name": "Bob LLC", "bid_price": 30.25},
    {"bid_id": "b_3", "buyer_id": "cid", "tcpa_entity_name": "Cid LLC", "bid_price": 20.0},
]


def lead(sales: dict[str, tuple[SaleStatus, str]]) -> InterruptedLead:
    return InterruptedLead("l_1", "101", "7", SHOWN, [SHOWN[2], SHOWN[0], SHOWN[1]], sales)


def test_confirmed_sales_are_sold_and_the_call_in_flight_is_unknown() -> None:
    outcome, payout = interrupted_outcome(
        lead({"cid": (SaleStatus.REJECTED, "rejected by buyer: no"), "ann": (SaleStatus.SOLD, ""),
              "bob": (SaleStatus.PENDING, "")})
    )  # fmt: skip
    assert outcome.status is LeadStatus.INTERRUPTED
    assert outcome.code == Code.OK
    assert payout == 4050
    assert outcome.body["payout"] == 40.5
    sold, rejected = outcome.body["sold_bids"], outcome.body["rejected_bids"]
    assert isinstance(sold, list)
    assert isinstance(rejected, list)
    assert [b["buyer_id"] for b in sold] == ["ann"]
    assert [(b["buyer_id"], b["reason"]) for b in rejected] == [
        ("cid", "rejected by buyer: no"),
        ("bob", UNKNOWN_REASON),
    ]
    assert outcome.body["meta"] == {
        "total_bids": 3,
        "consented_bids": 3,
        "sold_count": 1,
        "max_bid_price": 40.5,
        "execution_time_ms": None,
    }


def test_nothing_confirmed_is_not_sold() -> None:
    outcome, payout = interrupted_outcome(lead({}))
    assert (outcome.code, payout) == (Code.NOT_SOLD, 0)
    rejected = outcome.body["rejected_bids"]
    assert isinstance(rejected, list)
    assert {b["reason"] for b in rejected} == {"not attempted"}
