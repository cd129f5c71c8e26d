"""Exchange ranking (API.md 1.2): which margin applies, the bid penalty, ``min_buyer_bid``.

- **Margin**: a supplier's override wins over the buyer's, which wins over the campaign's
  default; without any, nothing is kept.
- **Bid penalty**: a buyer's penalty (percent, 0–100, two decimals) ranks its bids as if they were
  that much lower, e.g. for a buyer that often returns leads. It orders bids only: the price
  offered and paid stays the price after margin.
- **min_buyer_bid**: a supplier refuses pings whose best bid, after margin, is below it.

Exact arithmetic: the ranking price is a Decimal with no rounding, so a penalty never creates a
tie that the prices did not have.
"""

from decimal import Decimal

from pickpost.domain.margin import NO_MARGIN, Margin
from pickpost.domain.money import Cents


def effective_margin(
    campaign: Margin | None, buyer: Margin | None = None, supplier: Margin | None = None
) -> Margin:
    """The margin kept on a bid: the supplier's override, else the buyer's, else the
    campaign's, else none."""
    for margin in (supplier, buyer, campaign):
        if margin is not None:
            return margin
    return NO_MARGIN


def ranking_price(price: Cents, penalty_percent: Decimal) -> Decimal:
    """What a bid ranks at: ``price × (1 − penalty/100)``, exactly, in cents.

    ``price`` is the bid after margin. Raises ValueError for a penalty outside 0–100.
    """
    if not Decimal(0) <= penalty_percent <= Decimal(100):
        raise ValueError(f"bid penalty must be 0 to 100 percent, not {penalty_percent}")
    return Decimal(price) * (Decimal(100) - penalty_percent) / Decimal(100)


def meets_min_buyer_bid(best_price: Cents, min_buyer_bid: Cents | None) -> bool:
    """Whether the best bid (after margin) reaches the supplier's ``min_buyer_bid``, if any."""
    return min_buyer_bid is None or best_price >= min_buyer_bid
