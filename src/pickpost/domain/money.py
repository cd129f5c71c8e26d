"""Money as integer cents; conversions at the edges only."""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

Cents = int

_CENT = Decimal("0.01")


def to_cents(amount: Decimal | int | float | str) -> Cents:
    """Round an amount in dollars half-up to whole cents.

    Floats go through ``str`` first so ``42.5`` means 42.50, not its binary neighbour.
    """
    value = amount if isinstance(amount, Decimal) else Decimal(str(amount))
    if not value.is_finite():
        raise ValueError(f"not a finite amount: {amount!r}")
    return int((value / _CENT).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def parse_cents(raw: object) -> Cents | None:
    """Cents from a price found on the wire, or None if it is not a finite number."""
    if isinstance(raw, bool) or not isinstance(raw, int | float | str | Decimal):
        return None
    try:
        return to_cents(raw)
    except (InvalidOperation, ValueError):
        return None


def to_json_number(cents: Cents) -> float:
    """The JSON form of a price: dollars with at most two decimals (4250 -> 42.5).

    ``cents / 100`` is the float nearest the exact decimal, and its shortest repr has at most
    two decimals, so the number on the wire is exactly the amount in the ledger.
    """
    return cents / 100
