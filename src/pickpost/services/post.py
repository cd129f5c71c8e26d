"""POST: sell the lead of a ping exactly once – to the bids the consumer picked, in their
order (One-to-One), to the bids the supplier names (shared exchange), or to the best bid and
its fallbacks (exclusive exchange)."""

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace

from pickpost.domain.bids import OfferedBid
from pickpost.domain.catalog import Campaign
from pickpost.domain.consent import (
    SelectionError,
    collect_evidence,
    evidence_errors,
    parse_bid_ids,
    select_consented,
)
from pickpost.domain.errors import Code, Refusal
from pickpost.domain.fields import Step, validate_lead
from pickpost.domain.ids import new_id
from pickpost.domain.lead import ConsentRecord, LeadStatus, NewLead, StoredOutcome
from pickpost.domain.money import Cents
from pickpost.domain.pick import RecordedPick, consent_differs
from pickpost.domain.ping import PingRecord
from pickpost.domain.workspace import CampaignType
from pickpost.services.gate import Gate
from pickpost.services.intake import Admitted, SupplierRequest, lead_fields, validation_refusal
from pickpost.services.ports import SYSTEM_CLOCK, Clock, LeadStore, PingStore
from pickpost.services.quotas import Reservation, most_payable
from pickpost.services.replies import Attempt, Reply, SaleSummary, sale_reply
from pickpost.services.selling import Sale, Seller, response_fields, shown
from pickpost.services.settle import Settler

REPLAY_HEADER = "Idempotent-Replay"
LEGACY_DUPLICATE = 1007

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ReplayWait:
    """How a POST that finds its ping's lead still selling waits for that sale's outcome:
    polling with backoff, until the sale's budget – as long as a live sale may take to call
    every buyer of the campaign, and a margin – has passed since the lead last changed. Past
    it the sale cannot still be running (its process died): the lead is settled from the
    ledger and that answer replayed. A supplier's client waits at most ``cap_s``."""

    first_poll_s: float = 0.02
    max_poll_s: float = 0.5
    margin_s: float = 10.0  # the sale's own database work, under load
    cap_s: float = 120.0  # beyond this no supplier's HTTP client is still waiting

    def budget_s(self, campaign: Campaign) -> float:
        return sum(b.post_timeout_ms for b in campaign.buyers.values()) / 1000 + self.margin_s


class PostService:
    def __init__(
        self,
        seller: Seller,
        gate: Gate,
        pings: PingStore,
        leads: LeadStore,
        settler: Settler,
        wait: ReplayWait = ReplayWait(),
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        self._seller = seller
        self._gate = gate
        self._pings = pings
        self._leads = leads
        self._settler = settler
        self._wait = wait
        self._clock = clock

    async def post(self, request: SupplierRequest, admitted: Admitted) -> Reply:
        campaign, supplier_id = admitted.campaign, admitted.supplier.id
        ping_id = request.text("lp_ping_id")
        if ping_id is None:
            return _missing("lp_ping_id")
        # A One-to-One POST needs the recorded pick too: both in one read.
        pick: RecordedPick | None = None
        if campaign.config.type is CampaignType.ONE_TO_ONE:
            prior, pick = await self._leads.find_outcome_and_pick(ping_id)
        else:
            prior = await self._leads.find_outcome(ping_id)
        if prior is not None:
            return await self._replay(prior, ping_id, campaign, supplier_id)
        # The ledger keeps every ping the store may have lost (its TTL, or a restart of the
        # in-process store), so an expired ping is told apart from one that never was.
        record = await self._pings.get(ping_id) or await self._leads.find_ping(ping_id)
        if record is None or not record.owned_by(campaign.id, supplier_id):
            return Reply.refused(_unknown_ping())
        if record.expires_at <= self._clock.now():
            return Reply.refused(ping_expired(ping_id))
        if record.test:  # a test ping makes a test lead, whatever its POST says
            admitted = replace(admitted, test=True)
        selection = _select(campaign, record, request)
        if isinstance(selection, Reply):
            return selection
        chosen, picked = selection
        first_party = None
        if campaign.config.type is CampaignType.ONE_TO_ONE:
            checked = _recorded_pick(campaign, pick, picked)
            if isinstance(checked, Reply):
                return checked
            first_party = checked
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
        refusal = await self._gate.admit_lead(admitted, request, fields, Step.POST)
        if refusal is not None:
            return Reply.refused(refusal)
        # What the supplier can earn at most is reserved against its caps before selling.
        limit, limit_reason = campaign.policy.sell_limit, campaign.policy.limit_reason
        upper = most_payable([b.price for b in chosen], limit)
        reservation = await self._seller.reserve(admitted, upper, request.received_at)
        if isinstance(reservation, Refusal):
            # A concurrent POST of this ping may have taken the last of the cap: its
            # outcome, not the refusal, is this POST's answer.
            winner = await self._leads.find_outcome(ping_id)
            if winner is not None:
                return await self._replay(winner, ping_id, campaign, supplier_id)
            return Reply.refused(reservation)

        lead = NewLead(
            lead_id=new_id("l"),
            campaign_id=campaign.id,
            supplier_id=supplier_id,
            ping_id=ping_id,
            request_id=request.request_id,
            created_at=request.received_at,
            test=admitted.test,
            fields=fields,
        )
        consent = _consent(lead, record, chosen, request.received_at, first_party)
        # The claim decides which POST of the ping sells. It rides the first sale's start
        # (one write fewer) unless the campaign's duplicate check must mark the lead first.
        claim_first = self._seller.marks_lead(admitted)
        if claim_first and not await self._seller.claim(lead, consent, reservation):
            return await self._lost(reservation, ping_id, campaign, supplier_id)

        sale = Sale(campaign, supplier_id, lead, consent, forwarded, base_url=request.base_url)
        duplicate = await self._seller.refuse_duplicate(sale, admitted, reservation)
        if duplicate is not None:
            return duplicate
        unclaimed = None if claim_first else reservation
        selling = await self._seller.run(sale, chosen, limit, limit_reason, unclaimed)
        if selling.lost:
            return await self._lost(reservation, ping_id, campaign, supplier_id)

        def answer(attempts: Sequence[Attempt]) -> tuple[Reply, Cents]:
            summary = SaleSummary(
                policy=campaign.policy,
                lead_id=lead.lead_id,
                attempts=attempts,
                total_bids=len(record.bids),
                max_bid_price=record.max_bid_price if record.bids else None,
                picked=len(picked),
                response_fields=response_fields(campaign, attempts),
                execution_ms=round((self._clock.monotonic() - request.arrived) * 1000),
            )
            return sale_reply(summary), summary.payout

        reply = await self._seller.conclude(sale, selling, answer)
        await self._seller.settle(reservation, selling.attempts)
        return reply

    async def _lost(
        self, reservation: Reservation, ping_id: str, campaign: Campaign, supplier_id: str
    ) -> Reply:
        """Another POST of the ping claimed its lead: its answer, this one's reservation given
        back."""
        await self._seller.settle(reservation, [])
        winner = await self._leads.find_outcome(ping_id)
        assert winner is not None, "a claimed lead disappeared"
        return await self._replay(winner, ping_id, campaign, supplier_id)

    async def _replay(
        self, outcome: StoredOutcome, ping_id: str, campaign: Campaign, supplier_id: str
    ) -> Reply:
        if outcome.campaign_id != campaign.id or outcome.supplier_id != supplier_id:
            return Reply.refused(_unknown_ping())
        budget = self._wait.budget_s(campaign)
        give_up = self._clock.monotonic() + self._wait.cap_s
        poll = self._wait.first_poll_s
        while outcome.status is LeadStatus.SELLING:
            # No live sale stays unchanged this long: the POST that claimed the lead died.
            cutoff = self._clock.now() - budget
            stale = outcome.since < cutoff
            if not (stale and await self._settler.settle_lead(outcome.lead_id, cutoff)):
                if self._clock.monotonic() >= give_up:
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
            stored_code(outcome.code),
            outcome.message,
            outcome.body,
            headers={REPLAY_HEADER: "true"},
        )


def stored_code(number: int) -> Code:
    """The code of a stored answer; answers stored before ``DUPLICATED`` became 1008 say 1007."""
    return Code.DUPLICATE if number == LEGACY_DUPLICATE else Code(number)


def _recorded_pick(
    campaign: Campaign, pick: RecordedPick | None, picked: list[str]
) -> RecordedPick | Reply | None:
    """``pick``, the one Pickpost recorded for the ping, which the POST's consent must be exactly
    (same bids, same order); a refusal when it is not, or when the campaign requires one
    and there is none. Either refusal leaves the ping usable for a POST that matches."""
    if pick is None:
        if campaign.config.pick_settings.required:
            return Reply(
                Code.PICK_REQUIRED,
                "this campaign requires the consumer's pick recorded by Pickpost's pick "
                "widget or page, and none was recorded for this ping",
            )
        return None
    differs = consent_differs(pick.picked, picked)
    if differs is not None:
        return Reply(Code.PICK_MISMATCH, f"{differs}; nothing was sold")
    return pick


def _select(
    campaign: Campaign, record: PingRecord, request: SupplierRequest
) -> tuple[list[OfferedBid], list[str]] | Reply:
    """The bids to attempt, in order, and the ids the supplier named (if it names any)."""
    policy = campaign.policy
    name = policy.pick_field
    if name is None:  # the quote: the best bid, and its fallbacks
        if not record.bids:
            return Reply(Code.NO_BIDS, "the ping had no bids to sell to")
        # Never more than quoted: a fallback bid pays its own price, capped at the quote.
        quoted = record.bids[0].price
        tried = record.bids if policy.fallback else record.bids[:1]
        return [replace(b, price=min(b.price, quoted)) for b in tried], []
    raw_pick = request.data.get(name)
    if raw_pick is None:
        return _missing(name)
    picked = parse_bid_ids(raw_pick)
    if picked is None:
        return Reply(
            Code.MALFORMED, f"{name} must be a JSON array of bid ids or a comma-separated string"
        )
    try:
        return select_consented(record.bids, picked, name), picked
    except SelectionError as error:
        return Reply(Code.INVALID_BID_SELECTION, str(error))


def _missing(name: str) -> Reply:
    return Reply(Code.MISSING_PARAMETER, f"missing required parameter: {name}")


def ping_expired(ping_id: str) -> Refusal:
    return Refusal(Code.PING_EXPIRED, "ping expired", extra={"ping_id": ping_id})


def _unknown_ping() -> Refusal:
    return Refusal(Code.UNKNOWN_PING, "unknown ping id for this campaign and supplier")


def _consent(
    lead: NewLead,
    record: PingRecord,
    chosen: list[OfferedBid],
    at: float,
    first_party: RecordedPick | None,
) -> ConsentRecord:
    """The consent record; a pick Pickpost recorded gives the disclosure, IP, user agent and
    page first-hand, over what the supplier's POST says."""
    evidence = collect_evidence(lead.fields)
    if first_party is not None:
        evidence |= first_party.evidence()
    return ConsentRecord(
        lead_id=lead.lead_id,
        ping_id=record.ping_id,
        consented_at=at,
        bids_shown=[shown(b) for b in record.bids],
        bids_picked=[shown(b) for b in chosen],
        evidence=evidence,
        pick=None if first_party is None else first_party.facts(),
    )
