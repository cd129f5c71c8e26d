"""Who may trade: the checks between an authenticated request and the buyers.

Campaign and supplier rules refuse a whole request (filters 1005, duplicates 1008, caps 1006);
buyer rules only leave a buyer out (paused, schedule, filters, caps, duplicate for that buyer,
test lead without a test endpoint), recorded on the timeline as a skipped call with the reason.
Test leads count against no cap.
"""

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from pickpost.buyers import adapter
from pickpost.domain.caps import period_keys
from pickpost.domain.catalog import Campaign
from pickpost.domain.dupes import dupe_keys, payload_fingerprint
from pickpost.domain.errors import Code, Refusal
from pickpost.domain.fields import FieldError, Step
from pickpost.domain.filters import FilterRule, failed_fields
from pickpost.domain.money import Cents
from pickpost.domain.outcomes import BuyerCall, CallStep, Outcome
from pickpost.domain.pricing import price_for
from pickpost.domain.schedule import is_open
from pickpost.domain.workspace import BuyerConfig
from pickpost.services import quotas
from pickpost.services.intake import Admitted, SupplierRequest
from pickpost.services.ports import CounterStore
from pickpost.services.quotas import Reservation

# A repeated ping is harmless (it sells nothing) and a repeated POST replays; a repeated
# direct post would sell the lead again.
_PAYLOAD_CHECKED = frozenset({"/direct_post"})
_DAY_S = 86_400

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Eligible:
    """The buyers a lead may be offered to, the prices of those that take no ping, and why
    the others were left out."""

    buyers: list[BuyerConfig] = field(default_factory=list)
    offers: dict[str, Cents] = field(default_factory=dict)
    skipped: list[BuyerCall] = field(default_factory=list)


def _failing(rules: Sequence[FilterRule], lead: Mapping[str, object], step: Step) -> list[str]:
    """Fields failing ``rules``. At the ping, rules on fields not sent yet wait for the post."""
    if step is Step.PING:
        rules = [r for r in rules if _present(lead.get(r.field))]
    return list(dict.fromkeys(failed_fields(rules, lead)))


def _present(value: object) -> bool:
    return value is not None and not (isinstance(value, str) and not value.strip())


def filtered(names: list[str]) -> Refusal:
    return Refusal(
        Code.FILTERED,
        f"not accepted due to filters: {', '.join(names)}",
        tuple(FieldError(name, "not accepted by the filters") for name in names),
    )


def same_payload(window_s: int) -> Refusal:
    return Refusal(
        Code.DUPLICATE, f"duplicate: the same request was received in the last {window_s} s"
    )


def duplicate_lead(days: int) -> Refusal:
    return Refusal(Code.DUPLICATE, f"duplicate lead: already received in the last {days} days")


def _payload_key(admitted: Admitted, request: SupplierRequest) -> str:
    return payload_fingerprint(admitted.campaign.id, admitted.supplier.id, request.data)


def _rules_refusal(
    campaign: Campaign,
    buyer: BuyerConfig,
    lead: Mapping[str, object],
    step: Step,
    test: bool,
    at: float,
) -> str | None:
    """Why the buyer's own rules leave this lead out (caps aside), or None."""
    if buyer.paused:
        return "buyer is paused"
    if buyer.schedule is not None and not is_open(buyer.schedule, at, campaign.config.timezone):
        return "outside the buyer's schedule"
    failed = _failing(buyer.filters, lead, step)
    if failed:
        return f"filtered: {', '.join(failed)}"
    if test and not adapter.adapter_for(buyer).takes_test_leads():
        return "test lead, and the buyer has no test endpoint"
    return None


class Gate:
    def __init__(self, counters: CounterStore) -> None:
        self._counters = counters

    async def admit_lead(
        self, admitted: Admitted, request: SupplierRequest, lead: Mapping[str, object], step: Step
    ) -> Refusal | None:
        """Campaign and supplier filters; the supplier's ping caps (at the ping) and whether
        its lead caps have room (before buyers are asked); last, the same-payload check, so a
        refusal before it leaves no mark."""
        campaign, supplier = admitted.campaign, admitted.supplier
        failed = _failing(campaign.config.filters, lead, step)
        failed += [f for f in _failing(supplier.filters, lead, step) if f not in failed]
        if failed:
            return filtered(failed)
        at = request.received_at
        if not admitted.test and (step is Step.PING or request.endpoint in _PAYLOAD_CHECKED):
            over = None
            if step is Step.PING:
                pings = quotas.supplier_ping_charges(campaign, supplier, at)
                over = await self._counters.charge(pings)
            if over is None:
                # Pointless to ask buyers when the supplier could not be paid for a lead.
                room = quotas.supplier_charges(campaign, supplier, 1, at)
                over = await self._counters.exceeded(room)
            if over is not None:
                return quotas.capped(over)
        window = campaign.config.payload_dupe_s
        checked = window and request.endpoint in _PAYLOAD_CHECKED
        if checked and not await self._counters.first_seen(_payload_key(admitted, request), window):
            return same_payload(window)
        return None

    async def forget_payload(self, admitted: Admitted, request: SupplierRequest) -> None:
        """Unmark a request refused before it made a lead, so the supplier may send it again."""
        if admitted.campaign.config.payload_dupe_s and request.endpoint in _PAYLOAD_CHECKED:
            await self._counters.forget(_payload_key(admitted, request))

    async def duplicate(self, admitted: Admitted, lead: Mapping[str, object]) -> Refusal | None:
        """The campaign's duplicate check over N days (scope ``campaign``); marks the lead.
        Test leads are neither checked nor marked: they must not turn live leads away."""
        check = admitted.campaign.config.dupe_check
        if check is None or check.scope != "campaign" or admitted.test:
            return None
        for key in dupe_keys(
            check, admitted.campaign.id, lead, None, admitted.campaign.field_types
        ):
            if not await self._counters.first_seen(key, check.days * _DAY_S):
                return duplicate_lead(check.days)
        return None

    async def reserve(self, admitted: Admitted, upper: Cents, at: float) -> Reservation | Refusal:
        """Charge the supplier's lead caps for a lead that can pay out at most ``upper``."""
        if admitted.test:
            return Reservation()
        return await quotas.reserve(self._counters, admitted.campaign, admitted.supplier, upper, at)

    async def settle(self, reservation: Reservation, sold: bool, payout: Cents) -> None:
        """Give back what the lead's payout did not use. A failure here is logged, not
        raised: the lead's outcome stands, and the cap stays charged (the safe side)."""
        try:
            await self._counters.refund(reservation.refunds(sold, payout))
        except Exception:
            log.exception("refunding supplier caps failed; they stay charged")

    async def eligible(
        self, admitted: Admitted, lead: Mapping[str, object], step: Step, at: float
    ) -> Eligible:
        campaign, test = admitted.campaign, admitted.test
        reasons = {
            buyer.id: _rules_refusal(campaign, buyer, lead, step, test, at)
            for buyer in campaign.buyers.values()
        }
        if not test:
            # Every capped buyer's room from one read of the counters, not one per buyer.
            capped = [b for b in campaign.buyers.values() if b.caps and reasons[b.id] is None]
            if capped:
                windows = period_keys(at, campaign.config.timezone)
                groups = [quotas.buyer_charges(campaign, b, 1, windows) for b in capped]
                found = await self._counters.exceeded_each(groups)
                for buyer, over in zip(capped, found, strict=True):
                    reasons[buyer.id] = None if over is None else quotas.describe(over)
        result = Eligible()
        for buyer in campaign.buyers.values():
            reason = reasons[buyer.id]
            price: Cents | None = None
            if reason is None and not adapter.adapter_for(buyer).pings():
                price = price_for(buyer.price, lead) if buyer.price else None
                if price is None:
                    reason = "no price rule matches this lead"
            if reason is not None:
                url = adapter.adapter_for(buyer).ping_url(admitted.test) or ""
                result.skipped.append(
                    BuyerCall.unanswered(buyer.id, CallStep.PING, url, Outcome.SKIPPED, reason, at)
                )
                continue
            result.buyers.append(buyer)
            if price is not None:
                result.offers[buyer.id] = price
        return result

    async def buyer_refusal(
        self,
        campaign: Campaign,
        buyer: BuyerConfig,
        lead: Mapping[str, object],
        step: Step,
        test: bool,
        at: float,
    ) -> str | None:
        """Why ``buyer`` may not take this lead now, or None. Caps are checked, not charged."""
        reason = _rules_refusal(campaign, buyer, lead, step, test, at)
        if reason is not None or test or buyer.caps is None:
            return reason
        windows = period_keys(at, campaign.config.timezone)
        over = await self._counters.exceeded(quotas.buyer_charges(campaign, buyer, 1, windows))
        return None if over is None else quotas.describe(over)

    async def claim_for_buyer(
        self, campaign: Campaign, buyer: BuyerConfig, lead: Mapping[str, object], test: bool
    ) -> tuple[list[str], str | None]:
        """Mark the lead for a buyer with a per-buyer duplicate check: the marks made, and
        why the buyer may not have it (a duplicate of one it bought) or None. Test leads are
        neither checked nor marked."""
        check = campaign.config.dupe_check
        if check is None or check.scope != "buyer" or test:
            return [], None
        marked: list[str] = []
        try:
            for key in dupe_keys(check, campaign.id, lead, buyer.id, campaign.field_types):
                if not await self._counters.first_seen(key, check.days * _DAY_S):
                    await self.release(marked)
                    return [], f"duplicate for this buyer: bought in the last {check.days} days"
                marked.append(key)
        except Exception:
            await self.release(marked)
            raise
        return marked, None

    async def release(self, marks: list[str]) -> None:
        for key in marks:
            await self._counters.forget(key)
