"""Pickpost's margin: what is kept from a buyer's price before it is offered to the supplier."""

from dataclasses import dataclass
from decimal import Decimal

from pickpost.domain.money import Cents


@dataclass(frozen=True, slots=True)
class Margin:
    """Either a percentage of the buyer's price or a fixed amount in cents (never both)."""

    percent: Decimal = Decimal(0)
    amount: Cents = 0

    def apply(self, raw: Cents) -> Cents:
        """The supplier's price for a buyer price: ``raw × (1 − p/100)`` or ``raw − a``, half-up
        (halves away from zero). Computed in integers, with ``p`` as its exact fraction ``n/d``:
        exact for any numbers, and a tenth of the CPU of the same steps in Decimal (ten bids a
        PING)."""
        if self.percent:
            n, d = self.percent.as_integer_ratio()
            scale = 100 * d
            kept = raw * (scale - n)  # the supplier's price, times ``scale``
            rounded = (2 * abs(kept) + scale) // (2 * scale)
            return rounded if kept >= 0 else -rounded
        return raw - self.amount


NO_MARGIN = Margin()
