"""POST: sell the lead to the bids the consumer picked, in their order, exactly once."""

import asyncio
import logging
import time
from dataclasses import dataclass

from pickpost.buyers import native
from pickpost.buyers.wire import Delivery
from pickpost.domain.bids import OfferedBid
from pickpost.domain.catalog import Campaign
from pickpost.domain.consent import (
    EVIDENCE_FIELDS,
    SelectionError,
    collect_evidence,
    evidence_errors,
    parse_bid_ids,
    select_consented,
)
from pickpost.domain.errors import Code, Refusal
from pickpost.domain.fields import Step, validate_lead
from pickpost.domain.ids import iso_utc, new_id
from pickpost.domain.lead import (
    ConsentRecord,
    LeadStatus,
    NewLead,
    SaleAttempt,
    SaleStatus,
    StoredOutcome,
)
from pickpost.domain.money import to_json_number
from pickpost.domain.outcomes import BuyerCall, CallStep, Outcome
from pickpost.domain.ping import PingRecord
from pickpost.domain.workspace import BuyerConfig
from pickpost.services.intake import (
    Admitted,
    Reply,
    SupplierRequest,
    lead_fields,
    validation_refusal,
)
from pickpost.services.ports import BuyerTransport, LeadStore, PingStore

REPLAY_HEADER = "Idempotent-Replay"

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ReplayWait:
    """How a POST that lost the race for its ping waits for the winner's outcome: polling with
    backoff, for as long as the winner may take to call every buyer of the campaign, and a
    margin."""

    first_poll_s: float = 0.02
    max_poll_s: float = 0.5
    margin_s: float = 5.0
    cap_s: float = 120.0  # beyond this no supplier's HTTP client is still waiting

    def limit_s(self, campaign: Campaign) -> float:
        budget = sum(b.post_timeout_ms for b in campaign.buyers.values()) / 1000 + self.margin_s
        return min(budget, self.cap_s)


@dataclass(frozen=True, slots=True)
class _Attempt:
    bid: OfferedBid
    sold: bool
    reason: str = ""
    fields: dict[str, native.FieldValue] | None = None


class PostService:
    def __init__(
        self,
        transport: BuyerTransport,
        pings: PingStore,
        leads: LeadStore,
        wait: ReplayWait = ReplayWait(),
    ) -> None:
        self._transport = transport
        self._pings = pings
        self._leads = leads
        self._wait = wait

    async def post(self, request: SupplierRequest, admitted: Admitted) -> Reply:
        campaign, supplier_id = admitted.campaign, admitted.supplier.id
        ping_id = request.text("lp_ping_id")
        if ping_id is None:
            return _missing("lp_ping_id")
        prior = await self._leads.find_outcome(ping_id)
        if prior is not None:
            return await self._replay(prior, ping_id, campaign, supplier_id)
        # The ledger keeps every ping the store may have lost (its TTL, or a restart of the
        # in-process store), so an expired ping is told apart from one that never was.
        record = await self._pings.get(ping_id) or await self._leads.find_ping(ping_id)
        if record is None or not record.owned_by(campaign.id, supplier_id):
            return Reply.refused(_unknown_ping())
        if record.expires_at <= time.time():
            return Reply.refused(
                Refusal(Code.PING_EXPIRED, "ping expired", extra={"ping_id": ping_id})
            )
        raw_pick = request.data.get("lp_consent_bids")
        if raw_pick is None:
            return _missing("lp_consent_bids")
        picked = parse_bid_ids(raw_pick)
        if picked is None:
            return Reply(
                Code.MALFORMED,
                "lp_consent_bids must be a JSON array of bid ids or a comma-separated string",
            )
        try:
            chosen = select_consented(record.bids, picked)
        except SelectionError as error:
            return Reply(Code.INVALID_BID_SELECTION, str(error))
        validated = validate_lead(campaign.fields, request.data, Step.POST)
        # Buyers get the post step's fields, validated. The lead keeps everything, declared
        # values winning over raw ones: the ping's over a raw re-send, the post's over both.
        forwarded: dict[str, object] = dict(validated.values)
        fields = {
            **record.lead,
            **lead_fields(request.data, {}),
            **record.ping_values,
            **forwarded,
        }
        errors = validated.errors + evidence_errors(fields)
        if errors:
            return Reply.refused(validation_refusal(errors))

        lead = NewLead(
            lead_id=new_id("l"),
            campaign_id=campaign.id,
            supplier_id=supplier_id,
            ping_id=ping_id,
            request_id=request.request_id,
            created_at=request.received_at,
            test=record.test or admitted.test,
            fields=fields,
        )
        consent = _consent(lead, record, chosen, request.received_at)
        if not await self._leads.claim(lead, consent):
            winner = await self._leads.find_outcome(ping_id)
            assert winner is not None, "a claim failed without a claimed lead"
            return await self._replay(winner, ping_id, campaign, supplier_id)

        attempts: list[_Attempt] = []
        try:
            await self._sell(campaign, lead, chosen, consent, forwarded, attempts)
        except Exception:
            # The lead must still end with an outcome a retry can replay: what is known so far,
            # and the rest marked unknown (a buyer may have taken the lead before the failure).
            log.exception("selling lead %s failed after %d attempts", lead.lead_id, len(attempts))
            attempts += [
                _Attempt(bid, sold=False, reason="unknown: internal error during the sale")
                for bid in chosen[len(attempts) :]
            ]
        reply = _sold_reply(campaign, record, lead, picked, attempts, request.arrived)
        sold = [a for a in attempts if a.sold]
        outcome = StoredOutcome(
            lead_id=lead.lead_id,
            campaign_id=campaign.id,
            supplier_id=supplier_id,
            status=LeadStatus.SOLD if sold else LeadStatus.NOT_SOLD,
            code=int(reply.code),
            message=reply.message,
            body=reply.body,
        )
        await self._leads.finish_lead(outcome, payout=sum(a.bid.price for a in sold))
        return reply

    async def _sell(
        self,
        campaign: Campaign,
        lead: NewLead,
        chosen: list[OfferedBid],
        consent: ConsentRecord,
        forwarded: dict[str, object],
        attempts: list[_Attempt],
    ) -> None:
        """Attempt the picked bids strictly in order until ``max_sales`` is reached, adding to
        ``attempts`` as it goes (so a failure midway leaves what was done)."""
        max_sales = campaign.config.one_to_one.max_sales
        skipped: list[BuyerCall] = []
        for bid in chosen:
            buyer = campaign.buyers.get(bid.buyer_id)
            sold_count = sum(1 for a in attempts if a.sold)
            refusal = _ineligible(buyer, sold_count, max_sales)
            if refusal or buyer is None:
                reason = refusal or "buyer is no longer in this campaign"
                attempts.append(_Attempt(bid, sold=False, reason=reason))
                url = buyer.post_url if buyer else ""
                skipped.append(
                    BuyerCall.unanswered(
                        bid.buyer_id, CallStep.POST, url, Outcome.SKIPPED, reason, time.time()
                    )
                )
                continue
            attempts.append(await self._attempt(buyer, bid, lead, forwarded, consent))
        if skipped:
            await self._leads.record_calls(lead.lead_id, skipped)

    async def _attempt(
        self,
        buyer: BuyerConfig,
        bid: OfferedBid,
        lead: NewLead,
        forwarded: dict[str, object],
        consent: ConsentRecord,
    ) -> _Attempt:
        """Reserve the sale, post to the buyer, record the answer."""
        sale_id = await self._leads.start_sale(
            SaleAttempt(
                lead_id=lead.lead_id,
                buyer_id=bid.buyer_id,
                bid_id=bid.bid_id,
                buyer_price=bid.buyer_price,
                payout=bid.price,
                created_at=time.time(),
            )
        )
        if sale_id is None:
            return _Attempt(bid, sold=False, reason="already sold to this buyer")
        request = native.build_post(
            buyer,
            lead_id=lead.lead_id,
            ping_id=consent.ping_id,
            token=bid.token,
            price_cents=bid.buyer_price,
            test=lead.test,
            lead=forwarded,
            consent=_consent_block(consent, bid),
        )
        delivery = await self._transport.send(request, buyer.post_timeout_ms)
        status, outcome, reason, fields = _judge_post(delivery)
        call = BuyerCall(
            buyer_id=bid.buyer_id,
            step=CallStep.POST,
            url=buyer.post_url,
            outcome=outcome,
            reason=reason,
            started_at=delivery.started_at,
            latency_ms=delivery.latency_ms,
            status_code=delivery.response.status if delivery.response else None,
            price_cents=bid.buyer_price,
        )
        await self._leads.finish_sale(sale_id, status, call)
        if status is SaleStatus.SOLD:
            return _Attempt(bid, sold=True, fields={**buyer.sold_fields, **fields})
        return _Attempt(bid, sold=False, reason=reason)

    async def _replay(
        self, outcome: StoredOutcome, ping_id: str, campaign: Campaign, supplier_id: str
    ) -> Reply:
        if outcome.campaign_id != campaign.id or outcome.supplier_id != supplier_id:
            return Reply.refused(_unknown_ping())
        until = time.monotonic() + self._wait.limit_s(campaign)
        poll = self._wait.first_poll_s
        while outcome.status is LeadStatus.SELLING:
            if time.monotonic() >= until:
                return Reply(
                    Code.POST_IN_PROGRESS,
                    "an earlier POST of this ping is still selling; retry later",
                    {"lead_id": outcome.lead_id},
                )
            await asyncio.sleep(poll)
            poll = min(poll * 2, self._wait.max_poll_s)
            found = await self._leads.find_outcome(ping_id)
            assert found is not None, "a claimed lead disappeared"
            outcome = found
        return Reply(
            Code(outcome.code), outcome.message, outcome.body, headers={REPLAY_HEADER: "true"}
        )


def _missing(name: str) -> Reply:
    return Reply(Code.MISSING_PARAMETER, f"missing required parameter: {name}")


def _unknown_ping() -> Refusal:
    return Refusal(Code.UNKNOWN_PING, "unknown ping id for this campaign and supplier")


def _ineligible(buyer: BuyerConfig | None, sold_count: int, max_sales: int | None) -> str:
    if max_sales is not None and sold_count >= max_sales:
        return "max_sales reached"
    if buyer is not None and buyer.paused:
        return "buyer is paused"
    return ""


def _bid_summary(bid: OfferedBid) -> dict[str, object]:
    return {
        "bid_id": bid.bid_id,
        "buyer_id": bid.buyer_id,
        "tcpa_entity_name": bid.tcpa_entity_name,
    }


def _consent(
    lead: NewLead, record: PingRecord, chosen: list[OfferedBid], at: float
) -> ConsentRecord:
    def shown(bid: OfferedBid) -> dict[str, object]:
        return _bid_summary(bid) | {"bid_price": to_json_number(bid.price)}

    return ConsentRecord(
        lead_id=lead.lead_id,
        ping_id=record.ping_id,
        consented_at=at,
        bids_shown=[shown(b) for b in record.bids],
        bids_picked=[shown(b) for b in chosen],
        evidence=collect_evidence(lead.fields),
    )


def _consent_block(consent: ConsentRecord, bid: OfferedBid) -> dict[str, object]:
    """The consent a buyer receives: its own entity only, never the other picks."""
    block: dict[str, object] = {
        "tcpa_entity_name": bid.tcpa_entity_name,
        "consented_at": iso_utc(consent.consented_at),
    }
    block.update({key: consent.evidence.get(key) for key in EVIDENCE_FIELDS})
    return block


def _judge_post(
    delivery: Delivery,
) -> tuple[SaleStatus, Outcome, str, dict[str, native.FieldValue]]:
    """Sale status, timeline outcome, the reason the supplier sees, and mapped fields."""
    if delivery.response is None:
        outcome = delivery.failure or Outcome.ERROR
        return SaleStatus.ERROR, outcome, f"buyer {outcome.value}: {delivery.reason}", {}
    answer = native.parse_post(delivery.response)
    if isinstance(answer, native.Accepted):
        return SaleStatus.SOLD, Outcome.ACCEPTED, "", answer.fields
    if isinstance(answer, native.Rejected):
        if answer.duplicate:
            return SaleStatus.REJECTED, Outcome.DUPLICATE, "rejected by buyer: duplicate", {}
        return SaleStatus.REJECTED, Outcome.REJECTED, f"rejected by buyer: {answer.reason}", {}
    return SaleStatus.ERROR, Outcome.ERROR, f"buyer error: {answer.reason}", {}


def _sold_reply(
    campaign: Campaign,
    record: PingRecord,
    lead: NewLead,
    picked: list[str],
    attempts: list[_Attempt],
    arrived: float,
) -> Reply:
    sold = [a for a in attempts if a.sold]
    rejected = [a for a in attempts if not a.sold]
    body: dict[str, object] = {
        "lead_id": lead.lead_id,
        "payout": to_json_number(sum(a.bid.price for a in sold)),
        "sold_bids": [
            _bid_summary(a.bid)
            | {"bid_price": to_json_number(a.bid.price), "fields": a.fields or {}}
            for a in sold
        ],
    }
    if campaign.config.one_to_one.show_rejected_bids:
        body["rejected_bids"] = [_bid_summary(a.bid) | {"reason": a.reason} for a in rejected]
    first_fields = (sold[0].fields or {}) if sold else {}
    for name, source in campaign.config.response_fields.items():
        value = (
            source.value
            if source.value is not None
            else first_fields.get(source.from_sold_bid or "")
        )
        if value is not None:
            body[name] = value
    body["meta"] = {
        "total_bids": len(record.bids),
        "consented_bids": len(picked),
        "sold_count": len(sold),
        "max_bid_price": to_json_number(record.max_bid_price) if record.bids else None,
        "execution_time_ms": round((time.monotonic() - arrived) * 1000),
    }
    if sold:
        return Reply(Code.OK, "", body)
    return Reply(Code.NOT_SOLD, "not sold: every attempted buyer rejected", body)
