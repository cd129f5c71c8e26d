"""Exchange ranking: margin precedence, bid penalty (ranking only, exact), min_buyer_bid."""

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pickpost.domain.margin import NO_MARGIN, Margin
from pickpost.domain.ranking import effective_margin, meets_min_buyer_bid, ranking_price
from tests.unit.factories import NO_DB

CAMPAIGN = Margin(percent=Decimal(10))
BUYER = Margin(amount=250)
SUPPLIER = Margin(percent=Decimal(5))


@pytest.mark.parametrize(
    ("campaign", "buyer", "supplier", "expected"),
    [
        (CAMPAIGN, BUYER, SUPPLIER, SUPPLIER),
        (CAMPAIGN, BUYER, None, BUYER),
        (CAMPAIGN, None, SUPPLIER, SUPPLIER),
        (None, BUYER, None, BUYER),
        (CAMPAIGN, None, None, CAMPAIGN),
        (None, None, None, NO_MARGIN),
        (CAMPAIGN, NO_MARGIN, None, NO_MARGIN),  # an explicit zero override still overrides
    ],
)
def test_margin_precedence(
    campaign: Margin | None, buyer: Margin | None, supplier: Margin | None, expected: Margin
) -> None:
    assert effective_margin(campaign, buyer, supplier) is expected


@pytest.mark.parametrize(
    ("price", "penalty", "expected"),
    [
        (4000, "0", Decimal(4000)),
        (4000, "10", Decimal(3600)),
        (4000, "100", Decimal(0)),
        (1005, "12.5", Decimal("879.375")),  # not rounded
        (1, "0.01", Decimal("0.9999")),
    ],
)
def test_ranking_price(price: int, penalty: str, expected: Decimal) -> None:
    assert ranking_price(price, Decimal(penalty)) == expected


def test_a_penalty_reorders_bids_without_touching_prices() -> None:
    bids = {"honest": 4000, "returns_a_lot": 4200}
    penalties = {"honest": Decimal(0), "returns_a_lot": Decimal(10)}
    ranked = sorted(bids, key=lambda b: -ranking_price(bids[b], penalties[b]))
    assert ranked == ["honest", "returns_a_lot"]
    assert bids == {"honest": 4000, "returns_a_lot": 4200}


def test_rounding_creates_no_tie() -> None:
    # 1005 and 1006 at 50% would both round to 503 cents; the ranking keeps them apart.
    assert ranking_price(1006, Decimal(50)) > ranking_price(1005, Decimal(50))


@pytest.mark.parametrize("penalty", ["-0.01", "100.01"])
def test_penalty_out_of_range(penalty: str) -> None:
    with pytest.raises(ValueError, match="0 to 100"):
        ranking_price(1000, Decimal(penalty))


def test_min_buyer_bid() -> None:
    assert meets_min_buyer_bid(500, None)
    assert meets_min_buyer_bid(500, 500)
    assert not meets_min_buyer_bid(499, 500)


penalties = st.decimals(min_value=0, max_value=100, places=2)
prices = st.integers(min_value=0, max_value=10**12)


@NO_DB
@given(price=prices, penalty=penalties)
def test_ranking_price_is_exact(price: int, penalty: Decimal) -> None:
    exact = Fraction(price) * (100 - Fraction(penalty)) / 100
    assert Fraction(ranking_price(price, penalty)) == exact


@NO_DB
@given(low=prices, high=prices, penalty=penalties)
def test_the_same_penalty_keeps_the_price_order(low: int, high: int, penalty: Decimal) -> None:
    low, high = sorted((low, high))
    assert ranking_price(low, penalty) <= ranking_price(high, penalty)
