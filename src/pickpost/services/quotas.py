"""Caps as counter charges: what a ping, a sale or an accepted lead costs, and the refusals.

Buyer caps count sold leads and their prices; supplier caps count sold leads and their payouts
(reserved before selling at the most the lead can pay, settled after) and pings. Test leads
count nowhere.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from pickpost.domain.caps import (
    Charge,
    Counted,
    Windows,
    accepted_lead_charges,
    period_keys,
    ping_charges,
    sale_charges,
)
from pickpost.domain.catalog import Campaign
from pickpost.domain.errors import Code, Refusal
from pickpost.domain.money import Cents
from pickpost.domain.workspace import BuyerConfig, SupplierConfig
from pickpost.services.ports import CounterStore


def describe(charge: Charge) -> str:
    """Why a charge was refused: ``buyer cap reached: leads per day``."""
    return charge.cap.reached() if charge.cap is not None else f"cap reached: {charge.key}"


def most_payable(prices: Sequence[Cents], limit: int | None) -> Cents:
    """The most a lead can pay out when at most ``limit`` of these bids sell."""
    ranked = sorted(prices, reverse=True)
    return sum(ranked if limit is None else ranked[:limit])


def capped(charge: Charge) -> Refusal:
    headers = {"Retry-After": str(charge.ttl_s)} if charge.ttl_s is not None else {}
    return Refusal(Code.CAPPED, describe(charge), headers=headers)


def buyer_charges(
    campaign: Campaign, buyer: BuyerConfig, price: Cents, windows: Windows
) -> list[Charge]:
    """What selling to ``buyer`` at ``price`` charges, in the periods of ``windows`` (from
    :func:`period_keys` at the moment of the sale)."""
    if buyer.caps is None:
        return []
    return sale_charges(campaign.id, buyer.id, buyer.caps, price, windows)


def supplier_charges(
    campaign: Campaign, supplier: SupplierConfig, payout: Cents, at: float
) -> list[Charge]:
    if supplier.caps is None:
        return []
    windows = period_keys(at, campaign.config.timezone)
    return accepted_lead_charges(campaign.id, supplier.id, supplier.caps, payout, windows)


def supplier_ping_charges(campaign: Campaign, supplier: SupplierConfig, at: float) -> list[Charge]:
    if supplier.caps is None:
        return []
    windows = period_keys(at, campaign.config.timezone)
    return ping_charges(campaign.id, supplier.id, supplier.caps, windows)


@dataclass(frozen=True, slots=True)
class Reservation:
    """Supplier caps charged for a lead before it is sold, at the most it can pay out."""

    upper: Cents = 0
    charges: list[Charge] = field(default_factory=list)

    def refunds(self, sold: bool, payout: Cents) -> list[Charge]:
        """What to give back once the lead's payout is known."""
        if not sold:
            return self.charges
        return [
            replace(c, amount=self.upper - payout)
            for c in self.charges
            if c.cap is not None and c.cap.counted is Counted.BUDGET and self.upper > payout
        ]


async def reserve(
    counters: CounterStore, campaign: Campaign, supplier: SupplierConfig, upper: Cents, at: float
) -> Reservation | Refusal:
    charges = supplier_charges(campaign, supplier, upper, at)
    over = await counters.charge(charges)
    if over is not None:
        return capped(over)
    return Reservation(upper, charges)
