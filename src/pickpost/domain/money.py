"""Money as integer cents; conversions at the edges only."""

from decimal import ROUND_HALF_UP, Decimal

Cents = int

_CENT = Decimal("0.01")
# Far above any price; below what Decimal arithmetic overflows on, or rounds (28 digits).
_MAX_DOLLARS_EXPONENT = 24
_MAX_WHOLE_DOLLARS = 10 ** (_MAX_DOLLARS_EXPONENT + 1)


def to_cents(amount: Decimal | int | float | str) -> Cents:
    """Round an amount in dollars half-up to whole cents.

    Floats go through ``str`` first so ``42.5`` means 42.50, not its binary neighbour.
    """
    if type(amount) is int and -_MAX_WHOLE_DOLLARS < amount < _MAX_WHOLE_DOLLARS:
        # Whole dollars, as many buyers bid: exact without Decimal's round trip.
        return amount * 100
    value = amount if isinstance(amount, Decimal) else Decimal(str(amount))
    if not value.is_finite():
        raise ValueError(f"not a finite amount: {amount!r}")
    if value and value.adjusted() > _MAX_DOLLARS_EXPONENT:
        # ``1e999999`` is finite, but dividing it by a cent overflows Decimal's context.
        raise ValueError("amount out of range")
    return int((value / _CENT).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def parse_cents(raw: object) -> Cents | None:
    """Cents from a price found on the wire, or None if it is not a finite number in range.

    Total: whatever a buyer wrote, the answer is a number or None, never an exception.
    """
    if isinstance(raw, bool) or not isinstance(raw, int | float | str | Decimal):
        return None
    try:
        return to_cents(raw)
    except (ArithmeticError, ValueError):  # decimal's errors are ArithmeticErrors
        return None


def to_json_number(cents: Cents) -> float:
    """The JSON form of a price: dollars with at most two decimals (4250 -> 42.5).

    ``cents / 100`` is the float nearest the exact decimal, and its shortest repr has at most
    two decimals, so the number on the wire is exactly the amount in the ledger.
    """
    return cents / 100
