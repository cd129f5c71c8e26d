"""Money as integer cents: rounding in, parsing from the wire, JSON numbers out."""

import math
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pickpost.domain.money import parse_cents, to_cents, to_json_number
from tests.unit.factories import NO_DB

TO_CENTS: list[tuple[Decimal | int | float | str, int]] = [
    (42.5, 4250),
    (45, 4500),
    ("45", 4500),
    ("45.00", 4500),
    (Decimal("45.01"), 4501),
    (0, 0),
    ("0.005", 1),  # half-up
    ("0.004", 0),
    ("0.015", 2),
    (0.015, 2),  # the float's repr, not its binary neighbour 0.01499…
    (1.005, 101),
    (2.675, 268),
    ("10.125", 1013),
    (Decimal("10.1249999"), 1012),
    ("-0.005", -1),  # half-up means away from zero for negatives
    ("-1.25", -125),
    ("1e2", 10000),
    (" 42.5 ", 4250),
]


@pytest.mark.parametrize(("amount", "cents"), TO_CENTS)
def test_to_cents(amount: Decimal | int | float | str, cents: int) -> None:
    result = to_cents(amount)
    assert result == cents
    assert type(result) is int


@pytest.mark.parametrize(
    "amount",
    [math.nan, math.inf, -math.inf, "nan", "NaN", "inf", "-Infinity", Decimal("NaN"), "sNaN"],
)
def test_to_cents_rejects_non_finite(amount: float | str | Decimal) -> None:
    with pytest.raises(ValueError, match="not a finite amount"):
        to_cents(amount)


PARSE: list[tuple[object, int | None]] = [
    (45.0, 4500),
    (45, 4500),
    ("45.50", 4550),
    (Decimal("0.01"), 1),
    (0.005, 1),
    (True, None),
    (False, None),
    (None, None),
    ([], None),
    ([45], None),
    ({"price": 45}, None),
    ("abc", None),
    ("", None),
    ("   ", None),
    ("45 USD", None),
    ("$45", None),
    ("nan", None),
    ("Infinity", None),
    (math.nan, None),
    (math.inf, None),
    (b"45", None),
    ("1e400", None),  # too many digits to quantize: refused, not raised
    (1e308, None),
    # Finite, but dividing by a cent overflows Decimal's exponent range: refused, not raised.
    ("1e999999", None),
    ("-1e999999", None),
    (Decimal("9e999999"), None),
    ("1e25", None),
    ("9.99e24", 999 * 10**24),
    ("1e-999999999", 0),
]


@pytest.mark.parametrize(("raw", "cents"), PARSE)
def test_parse_cents(raw: object, cents: int | None) -> None:
    assert parse_cents(raw) == cents


@pytest.mark.parametrize(
    ("cents", "number", "text"),
    [
        (4250, 42.5, "42.5"),
        (4500, 45.0, "45.0"),
        (1, 0.01, "0.01"),
        (10, 0.1, "0.1"),
        (0, 0.0, "0.0"),
        (199, 1.99, "1.99"),
        (-150, -1.5, "-1.5"),
        (123456789, 1234567.89, "1234567.89"),
    ],
)
def test_to_json_number(cents: int, number: float, text: str) -> None:
    result = to_json_number(cents)
    assert result == number
    assert repr(result) == text


def decimals_in(text: str) -> int:
    return len(text.partition(".")[2]) if "." in text else 0


# Up to 10**15 cents (ten trillion dollars): every such amount has at most 15 significant
# digits, so its nearest float prints back as the same decimal.
cents_range = st.integers(min_value=-(10**15), max_value=10**15)


@NO_DB
@given(cents=cents_range)
def test_json_number_round_trips(cents: int) -> None:
    number = to_json_number(cents)
    assert to_cents(number) == cents
    assert parse_cents(number) == cents
    text = repr(number)
    assert "e" not in text
    assert decimals_in(text) <= 2


@NO_DB
@given(amount=st.decimals(min_value=-(10**9), max_value=10**9, places=3))
def test_to_cents_is_half_up_of_the_decimal(amount: Decimal) -> None:
    thousandths = int(amount * 1000)
    sign = -1 if thousandths < 0 else 1
    expected = sign * ((abs(thousandths) + 5) // 10)
    assert to_cents(amount) == expected
    assert to_cents(str(amount)) == expected


@NO_DB
@given(raw=st.text(max_size=20))
def test_parse_cents_never_raises_on_text(raw: str) -> None:
    result = parse_cents(raw)
    assert result is None or isinstance(result, int)


def test_to_cents_refuses_amounts_out_of_range() -> None:
    with pytest.raises(ValueError, match="out of range"):
        to_cents("1e999999")


@NO_DB
@given(raw=st.from_regex(r"\A[+-]?\d{1,30}(\.\d{0,30})?[eE][+-]?\d{1,9}\Z"))
def test_parse_cents_never_raises_on_exponents(raw: str) -> None:
    result = parse_cents(raw)
    assert result is None or isinstance(result, int)


@NO_DB
@given(raw=st.floats(allow_nan=True, allow_infinity=True))
def test_parse_cents_never_raises_on_floats(raw: float) -> None:
    result = parse_cents(raw)
    if math.isfinite(raw) and abs(raw) < 1e20:
        assert result == to_cents(raw)
    elif not math.isfinite(raw):
        assert result is None
