"""Caps as counter charges: what a ping, a sale or an accepted lead costs, and the refusals.

Buyer caps count sold leads and their prices; supplier caps count sold leads and their payouts
(reserved before selling at the most the lead can pay, settled after) and pings. Test leads
count nowhere.
"""

import logging
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
from pickpost.services.intake import Admitted
from pickpost.services.ports import CounterStore

log = logging.getLogger(__name__)


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


class Caps:
    """The one owner of caps: what is checked, charged and given back, for suppliers (pings,
    and leads reserved before selling) and buyers (leads sold). Test leads count nowhere; the
    callers say when a lead is a test."""

    def __init__(self, counters: CounterStore) -> None:
        self._counters = counters

    async def admit(self, admitted: Admitted, at: float, pings: bool) -> Refusal | None:
        """Charge a ping to the supplier's ping caps (when ``pings``), and check its lead caps
        have room: pointless to ask buyers when the supplier could not be paid for a lead."""
        campaign, supplier = admitted.campaign, admitted.supplier
        over = None
        if pings:
            over = await self._counters.charge(supplier_ping_charges(campaign, supplier, at))
        if over is None:
            over = await self._counters.exceeded(supplier_charges(campaign, supplier, 1, at))
        return None if over is None else capped(over)

    async def reserve(self, admitted: Admitted, upper: Cents, at: float) -> Reservation | Refusal:
        """Charge the supplier's lead caps for a lead that can pay out at most ``upper``."""
        if admitted.test:
            return Reservation()
        charges = supplier_charges(admitted.campaign, admitted.supplier, upper, at)
        over = await self._counters.charge(charges)
        if over is not None:
            return capped(over)
        return Reservation(upper, charges)

    async def settle(self, reservation: Reservation, sold: bool, payout: Cents) -> None:
        """Give back what the lead's payout did not use. A failure here is logged, not
        raised: the lead's outcome stands, and the cap stays charged (the safe side)."""
        try:
            await self._counters.refund(reservation.refunds(sold, payout))
        except Exception:
            log.exception("refunding supplier caps failed; they stay charged")

    async def buyers_room(
        self, campaign: Campaign, buyers: Sequence[BuyerConfig], at: float
    ) -> list[str | None]:
        """For each buyer, the cap it has reached (in words) or None: from one read."""
        windows = period_keys(at, campaign.config.timezone)
        groups = [buyer_charges(campaign, buyer, 1, windows) for buyer in buyers]
        found = await self._counters.exceeded_each(groups)
        return [None if over is None else describe(over) for over in found]

    async def buyer_room(self, campaign: Campaign, buyer: BuyerConfig, at: float) -> str | None:
        """The cap the buyer has reached (checked, not charged), or None."""
        if buyer.caps is None:
            return None
        return (await self.buyers_room(campaign, [buyer], at))[0]

    async def charge_sale(
        self, campaign: Campaign, buyer: BuyerConfig, price: Cents, at: float
    ) -> tuple[list[Charge], str | None]:
        """Charge a sale at ``price`` to the buyer's caps: the charges made (to give back if the
        sale does not happen), or the cap it would exceed."""
        if buyer.caps is None:
            return [], None
        windows = period_keys(at, campaign.config.timezone)
        charges = buyer_charges(campaign, buyer, price, windows)
        over = await self._counters.charge(charges)
        return ([], describe(over)) if over is not None else (charges, None)

    async def refund(self, charges: list[Charge]) -> None:
        """Give back a sale's charges; a failure is logged (the cap stays charged: the safe
        side)."""
        try:
            await self._counters.refund(charges)
        except Exception:
            log.exception("refunding buyer caps failed; they stay charged")
