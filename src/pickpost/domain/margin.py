"""Pickpost's margin: what is kept from a buyer's price before it is offered to the supplier."""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from pickpost.domain.money import Cents


@dataclass(frozen=True, slots=True)
class Margin:
    """Either a percentage of the buyer's price or a fixed amount in cents (never both)."""

    percent: Decimal = Decimal(0)
    amount: Cents = 0

    def apply(self, raw: Cents) -> Cents:
        """The supplier's price for a buyer price: ``raw × (1 − p/100)`` or ``raw − a``, half-up."""
        if self.percent:
            kept = Decimal(raw) * (Decimal(100) - self.percent) / Decimal(100)
            return int(kept.quantize(Decimal(1), rounding=ROUND_HALF_UP))
        return raw - self.amount


NO_MARGIN = Margin()
