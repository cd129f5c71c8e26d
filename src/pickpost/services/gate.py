"""Who may trade: the checks between an authenticated request and the buyers.

Campaign and supplier rules refuse a whole request (filters 1005, duplicates 1008, caps 1006);
buyer rules only leave a buyer out (paused, schedule, filters, caps, duplicate for that buyer,
test lead without a test endpoint), recorded on the timeline as a skipped call with the reason.
Test leads count against no cap.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from pickpost.buyers import adapter
from pickpost.domain.catalog import Campaign
from pickpost.domain.errors import Code, Refusal
from pickpost.domain.fields import FieldError, Step
from pickpost.domain.filters import FilterRule, failed_fields
from pickpost.domain.money import Cents
from pickpost.domain.outcomes import BuyerCall, CallStep, Outcome
from pickpost.domain.pricing import price_for
from pickpost.domain.schedule import is_open
from pickpost.domain.workspace import BuyerConfig
from pickpost.services.intake import Admitted, SupplierRequest
from pickpost.services.marks import DuplicateMarks
from pickpost.services.quotas import Caps

# Lead caps are checked at admission where a lead is made at once (a POST checks them when it
# reserves what it may pay).
_LEAD_CAPPED = frozenset({"/direct_post"})


@dataclass(frozen=True, slots=True)
class Eligible:
    """The buyers a lead may be offered to, the prices of those that take no ping, and why
    the others were left out."""

    buyers: list[BuyerConfig] = field(default_factory=list)
    offers: dict[str, Cents] = field(default_factory=dict)
    skipped: list[BuyerCall] = field(default_factory=list)


def _failing(rules: Sequence[FilterRule], lead: Mapping[str, object], step: Step) -> list[str]:
    """Fields failing ``rules``. At the ping, rules on fields not sent yet wait for the post."""
    if not rules:  # most buyers have none: eleven calls a PING
        return []
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
    """Eligibility: who may trade. Caps and duplicate marks have owners of their own
    (:class:`~pickpost.services.quotas.Caps`, :class:`~pickpost.services.marks.DuplicateMarks`);
    the gate asks them."""

    def __init__(self, caps: Caps, marks: DuplicateMarks) -> None:
        self._caps = caps
        self._marks = marks

    async def admit_lead(
        self, admitted: Admitted, request: SupplierRequest, lead: Mapping[str, object], step: Step
    ) -> Refusal | None:
        """Campaign and supplier filters; the supplier's ping caps (at the ping) and whether
        its lead caps have room (before buyers are asked); last, the same-payload mark, so a
        refusal before it leaves no mark."""
        campaign, supplier = admitted.campaign, admitted.supplier
        failed = _failing(campaign.config.filters, lead, step)
        failed += [f for f in _failing(supplier.filters, lead, step) if f not in failed]
        if failed:
            return filtered(failed)
        if not admitted.test and (step is Step.PING or request.endpoint in _LEAD_CAPPED):
            refusal = await self._caps.admit(admitted, request.received_at, step is Step.PING)
            if refusal is not None:
                return refusal
        return await self._marks.mark_request(admitted, request)

    async def forget_request(self, admitted: Admitted, request: SupplierRequest) -> None:
        """Unmark a request refused before it made a lead, so the supplier may send it again."""
        await self._marks.unmark_request(admitted, request)

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
                found = await self._caps.buyers_room(campaign, capped, at)
                reasons.update(
                    {buyer.id: reached for buyer, reached in zip(capped, found, strict=True)}
                )
        result = Eligible()
        for buyer in campaign.buyers.values():
            reason = reasons[buyer.id]
            price: Cents | None = None
            protocol = adapter.adapter_for(buyer)
            if reason is None and not protocol.pings():
                price = price_for(buyer.price, lead) if buyer.price else None
                if price is None:
                    reason = "no price rule matches this lead"
            if reason is not None:
                url = protocol.ping_url(admitted.test) or ""
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
        if reason is not None or test:
            return reason
        return await self._caps.buyer_room(campaign, buyer, at)
