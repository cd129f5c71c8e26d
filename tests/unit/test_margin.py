"""Margin arithmetic (docs/supplier-api.md): ``raw × (1 − p/100)`` or ``raw − a``, half-up to
cents."""

from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from pickpost.domain.margin import NO_MARGIN, Margin
from pickpost.domain.workspace import MarginConfig
from tests.unit.factories import NO_DB


def exact_percent(raw: int, percent: Decimal) -> int:
    """The contract's formula in exact arithmetic, rounded half-up (raw is never negative)."""
    kept = Fraction(raw) * (100 - Fraction(percent)) / 100
    return int(kept + Fraction(1, 2)) if kept >= 0 else -int(-kept + Fraction(1, 2))


# (raw cents, percent, expected cents)
PERCENT_CASES = [
    (4500, "10", 4050),
    (1005, "10", 905),  # 904.5 rounds up
    (1015, "10", 914),  # 913.5 rounds up
    (1004, "10", 904),  # 903.6
    (1001, "10", 901),  # 900.9
    (999, "10", 899),  # 899.1
    (5, "10", 5),  # 4.5 rounds up
    (4, "10", 4),  # 3.6
    (1, "50", 1),  # 0.5 rounds up
    (1, "51", 0),  # 0.49
    (0, "10", 0),
    (10000, "0", 10000),
    (10000, "99.99", 1),
    (10000, "12.5", 8750),
    (333, "33.33", 222),  # 222.0111
    (4250, "15", 3613),  # 3612.5 rounds up
    (123456789, "7.25", 114506172),  # 114506171.7975
]


@pytest.mark.parametrize(("raw", "percent", "expected"), PERCENT_CASES)
def test_percent_margin(raw: int, percent: str, expected: int) -> None:
    assert Margin(percent=Decimal(percent)).apply(raw) == expected


# (raw cents, amount cents, expected cents)
AMOUNT_CASES = [
    (4500, 250, 4250),
    (4500, 0, 4500),
    (250, 250, 0),
    (100, 250, -150),  # shaping drops it; the margin itself is plain subtraction
    (1, 1, 0),
]


@pytest.mark.parametrize(("raw", "amount", "expected"), AMOUNT_CASES)
def test_amount_margin(raw: int, amount: int, expected: int) -> None:
    assert Margin(amount=amount).apply(raw) == expected


def test_no_margin_is_identity() -> None:
    assert NO_MARGIN.apply(4500) == 4500
    assert NO_MARGIN.apply(0) == 0


def test_result_is_an_int() -> None:
    assert type(Margin(percent=Decimal("10")).apply(1005)) is int
    assert type(Margin(amount=250).apply(1005)) is int


@pytest.mark.parametrize(
    ("config", "raw", "expected"),
    [
        ({"percent": 10}, 1005, 905),
        ({"percent": "12.5"}, 4250, 3719),  # 3718.75
        ({"amount": 2.5}, 4500, 4250),
        ({"amount": "2.50"}, 4500, 4250),
        ({"amount": "0.01"}, 4500, 4499),
    ],
)
def test_workspace_margin_config_becomes_the_same_arithmetic(
    config: dict[str, object], raw: int, expected: int
) -> None:
    assert MarginConfig.model_validate(config).to_margin().apply(raw) == expected


percents = st.decimals(min_value=0, max_value=Decimal("99.9999"), places=4)
raws = st.integers(min_value=0, max_value=10**12)


@NO_DB
@given(raw=raws, percent=percents)
def test_percent_result_within_zero_and_raw(raw: int, percent: Decimal) -> None:
    result = Margin(percent=percent).apply(raw)
    assert 0 <= result <= raw


@NO_DB
@given(raw=raws, percent=percents)
def test_percent_matches_exact_half_up(raw: int, percent: Decimal) -> None:
    assert Margin(percent=percent).apply(raw) == exact_percent(raw, percent)


@NO_DB
@given(raw=raws, low=percents, high=percents)
def test_percent_is_monotonic(raw: int, low: Decimal, high: Decimal) -> None:
    low, high = sorted((low, high))
    assert Margin(percent=high).apply(raw) <= Margin(percent=low).apply(raw)


@NO_DB
@given(raw=raws, amount=st.integers(min_value=0, max_value=10**9))
def test_amount_result_is_exact_subtraction(raw: int, amount: int) -> None:
    assert Margin(amount=amount).apply(raw) == raw - amount


def test_percent_margins_take_at_most_four_decimals() -> None:
    """``Margin.apply`` computes in the default 28-digit decimal context; a percent of at most
    four decimals keeps ``100 − p`` exact there, so longer ones are refused at load."""
    with pytest.raises(ValidationError):
        MarginConfig.model_validate({"percent": "50.000000000000000000000000000001"})
    margin = MarginConfig.model_validate({"percent": "12.3456"}).to_margin()
    assert margin.apply(1_000_001) == exact_percent(1_000_001, Decimal("12.3456"))


def decimal_percent(raw: int, percent: Decimal) -> int:
    """The margin as it was computed before, in Decimal (28 digits, exact at these sizes)."""
    kept = Decimal(raw) * (Decimal(100) - percent) / Decimal(100)
    return int(kept.quantize(Decimal(1), rounding=ROUND_HALF_UP))


@NO_DB
@given(raw=st.integers(min_value=-(10**12), max_value=10**12), percent=percents)
def test_percent_is_the_decimal_arithmetic_it_replaced(raw: int, percent: Decimal) -> None:
    assert Margin(percent=percent).apply(raw) == decimal_percent(raw, percent)
