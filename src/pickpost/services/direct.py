"""Direct Post (docs/supplier-api.md): the full lead in one call, sold by the campaign's
distribution.

Every eligible buyer is priced first – configured prices (static or conditional) and live pings
of buyers that take pings, within the campaign's ping deadline – then the buyers are tried in
the distribution's order until one buys (``send_to_all``: until the sell limit).
"""

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from pickpost.domain.bids import OfferedBid, RawBid
from pickpost.domain.catalog import Campaign
from pickpost.domain.consent import collect_evidence, evidence_errors
from pickpost.domain.deadline import Deadline
from pickpost.domain.distribution import (
    Candidate,
    DistributionMethod,
    attempt_order,
    rotation_key,
)
from pickpost.domain.errors import Refusal
from pickpost.domain.fields import Step, validate_lead
from pickpost.domain.ids import new_id
from pickpost.domain.lead import ConsentRecord, NewLead
from pickpost.domain.money import Cents
from pickpost.domain.outcomes import BuyerCall
from pickpost.domain.pricing import price_for
from pickpost.domain.shaping import ranking_price
from pickpost.domain.traffic import Source, call_events
from pickpost.domain.workspace import SupplierConfig
from pickpost.services.auction import Auction, AuctionRequest
from pickpost.services.gate import Gate
from pickpost.services.intake import Admitted, SupplierRequest, lead_fields, validation_refusal
from pickpost.services.ports import (
    NO_TRAFFIC_COUNTS,
    SYSTEM_CLOCK,
    Clock,
    CounterStore,
    LeadStore,
    TrafficCounts,
)
from pickpost.services.quotas import most_payable
from pickpost.services.replies import Attempt, Reply, SaleSummary, sale_reply
from pickpost.services.selling import Sale, Seller, response_fields, shown

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class _Priced:
    bids: list[OfferedBid]  # in the order to try
    fixed_payout: Cents | None  # the supplier's configured payout, if it has one
    calls: list[BuyerCall]  # the pricing auction's timeline, stored with the lead


class DirectPostService:
    def __init__(
        self,
        auction: Auction,
        gate: Gate,
        seller: Seller,
        leads: LeadStore,
        counters: CounterStore,
        clock: Clock = SYSTEM_CLOCK,
        traffic: TrafficCounts = NO_TRAFFIC_COUNTS,
    ) -> None:
        self._clock = clock
        self._traffic = traffic
        self._auction = auction
        self._gate = gate
        self._seller = seller
        self._leads = leads
        self._counters = counters

    async def direct_post(self, request: SupplierRequest, admitted: Admitted) -> Reply:
        campaign, supplier = admitted.campaign, admitted.supplier
        validated = validate_lead(campaign.fields, request.data, Step.POST)
        forwarded: dict[str, object] = dict(validated.values)
        fields = lead_fields(request.data, forwarded)
        errors = validated.errors + evidence_errors(fields)
        if errors:
            return Reply.refused(validation_refusal(errors))
        lead_id = new_id("l")
        refusal = await self._gate.admit_lead(admitted, request, fields, Step.POST)
        if refusal is not None:
            return Reply.refused(refusal)

        # The pricing auction's ping id goes with the lead: a pinged buyer's post refers to it.
        ping_id = new_id("p")
        limit = campaign.policy.sell_limit
        try:
            priced = await self._price(request, admitted, ping_id, fields)
            per_lead = priced.fixed_payout is not None
            upper = most_payable([b.price for b in priced.bids], 1 if per_lead else limit)
            reservation = await self._seller.reserve(admitted, upper, request.received_at)
        except Exception:
            # No lead was made (an outage, say): the supplier may send the same request again.
            await self._gate.forget_request(admitted, request)
            raise
        if isinstance(reservation, Refusal):
            await self._gate.forget_request(admitted, request)
            return Reply.refused(reservation)
        lead = NewLead(
            lead_id=lead_id,
            campaign_id=campaign.id,
            supplier_id=supplier.id,
            ping_id=ping_id,
            request_id=request.request_id,
            created_at=request.received_at,
            test=admitted.test,
            fields=fields,
        )
        consent = ConsentRecord(
            lead_id=lead_id,
            ping_id=ping_id,
            consented_at=request.received_at,
            # What the lead was offered to, in the order tried (no consumer pick here).
            bids_shown=[shown(b) for b in priced.bids],
            bids_picked=[shown(b) for b in priced.bids],
            evidence=collect_evidence(fields),
        )
        try:
            claimed = await self._seller.claim(lead, consent, reservation)
        except Exception:
            # No buyer was called: the supplier may send the same request again.
            await self._gate.forget_request(admitted, request)
            raise
        assert claimed, "a direct post lead has a new id and no ping to race for"
        await self._leads.record_calls(lead_id, priced.calls)
        sale = Sale(
            campaign,
            supplier.id,
            lead,
            consent,
            forwarded,
            per_lead_payout=per_lead,
            base_url=request.base_url,
        )
        duplicate = await self._seller.refuse_duplicate(sale, admitted, reservation)
        if duplicate is not None:
            return duplicate
        selling = await self._seller.run(sale, priced.bids, limit)

        def answer(attempts: Sequence[Attempt]) -> tuple[Reply, Cents]:
            summary = SaleSummary(
                policy=campaign.policy,
                lead_id=lead_id,
                attempts=attempts,
                buyers_priced=len(priced.bids),
                response_fields=response_fields(campaign, attempts),
                execution_ms=round((self._clock.monotonic() - request.arrived) * 1000),
            )
            return sale_reply(summary), summary.payout

        reply = await self._seller.conclude(sale, selling, answer)
        await self._seller.settle(reservation, selling.attempts)
        return reply

    async def _price(
        self,
        request: SupplierRequest,
        admitted: Admitted,
        ping_id: str,
        fields: dict[str, object],
    ) -> _Priced:
        """Price every eligible buyer, apply the supplier's payout, order by distribution."""
        campaign, supplier = admitted.campaign, admitted.supplier
        eligible = await self._gate.eligible(admitted, fields, Step.POST, request.received_at)
        ping_values = validate_lead(campaign.fields, fields, Step.PING).values
        result = await self._auction.run(
            AuctionRequest(
                campaign_id=campaign.id,
                supplier_id=supplier.id,
                ping_id=ping_id,
                test=admitted.test,
                lead=dict(ping_values),
                deadline=Deadline.after(request.arrived, campaign.config.ping_timeout_ms),
                buyers=eligible.buyers,
                offers=eligible.offers,
            )
        )
        source = Source(campaign.id, supplier.id, admitted.test, request.received_at)
        self._traffic.count(call_events(source, result.calls))
        fixed = price_for(supplier.payout, fields) if supplier.payout is not None else None
        bids = [
            bid
            for raw in result.bids
            if (bid := _offer(campaign, supplier, raw, fixed)) is not None
        ]
        method = campaign.config.distribution.method
        rotation = 0  # test leads take no live turn
        rotates = method in (DistributionMethod.ROUND_ROBIN, DistributionMethod.WEIGHTED)
        if rotates and bids and not admitted.test:
            rotation = await self._counters.next_in_sequence(rotation_key(campaign.id))
        by_id = {bid.buyer_id: bid for bid in bids}
        candidates = [
            Candidate(
                buyer_id=bid.buyer_id,
                priority=campaign.buyers[bid.buyer_id].priority,
                weight=campaign.buyers[bid.buyer_id].weight,
                # The exchange's rule: after margin (whatever the supplier's payout), less
                # the buyer's bid penalty.
                price=int(
                    ranking_price(
                        campaign.margin_for(bid.buyer_id, supplier).apply(bid.buyer_price),
                        campaign.penalty_of(bid.buyer_id),
                    )
                ),
            )
            for bid in bids
        ]
        ordered = attempt_order(method, candidates, rotation)
        calls = [*eligible.skipped, *result.calls]
        return _Priced([by_id[c.buyer_id] for c in ordered], fixed, calls)


def _offer(
    campaign: Campaign, supplier: SupplierConfig, raw: RawBid, fixed: Cents | None
) -> OfferedBid | None:
    """The buyer's bid with what the supplier earns from it; None when the sale would pay the
    supplier nothing or more than the buyer pays."""
    payout = (
        fixed if fixed is not None else campaign.margin_for(raw.buyer_id, supplier).apply(raw.price)
    )
    if payout <= 0 or payout > raw.price:
        return None
    return OfferedBid(
        bid_id=new_id("b"),
        buyer_id=raw.buyer_id,
        price=payout,
        buyer_price=raw.price,
        tcpa_entity_name=raw.tcpa_entity_name,
        token=raw.token,
        additional_data=raw.additional_data,
        ping_response=raw.ping_response,
    )
