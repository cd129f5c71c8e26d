"""Selling one stored lead to an ordered list of bids: the part POST and Direct Post share.

For each bid, in order: check the buyer may still take the lead, reserve its caps, reserve the
(lead, buyer) sale row (the schema makes it unique), post, record the answer, and give back
what a sale that did not happen had reserved.

A POST's claim of its lead can wait for the lead's first sale and go to the ledger in the
same transaction as its start (``Selling.unclaimed``), when nothing before that start has an
effect another POST of the ping could see: no duplicate marks, no buyer caps charged (docs/
benchmarks.md, "The claim rides the first sale's start"). A POST that finds the ping's lead
claimed meanwhile has called no buyer and written nothing: it replays the winner's answer.

A buyer's answer is held until the lead's next write – the next sale's start, or the stored
answer – and goes to the ledger in the same transaction (docs/benchmarks.md, "The POST's round
trips"). A crash in between leaves the sale pending, settled as unknown, as a crash a moment
earlier (during the buyer's call) always did; a failure to write it makes the sale unknown in
the answer too.
"""

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from pickpost.buyers import adapter
from pickpost.buyers.answers import Accepted, FieldValue, Rejected
from pickpost.buyers.wire import Delivery, PostOrder
from pickpost.domain.bids import OfferedBid
from pickpost.domain.caps import Charge
from pickpost.domain.catalog import Campaign
from pickpost.domain.consent import EVIDENCE_FIELDS
from pickpost.domain.errors import Code, Refusal
from pickpost.domain.fields import Step
from pickpost.domain.ids import iso_utc
from pickpost.domain.lead import (
    ConsentRecord,
    LeadStatus,
    NewLead,
    SaleAttempt,
    SaleBlocked,
    SaleFinish,
    SaleStatus,
    StoredOutcome,
)
from pickpost.domain.money import Cents, to_json_number
from pickpost.domain.outcomes import BuyerCall, CallStep, Exchange, Outcome
from pickpost.domain.revocation import LinkSigner, certificate_path
from pickpost.domain.workspace import BuyerConfig
from pickpost.services.gate import Gate
from pickpost.services.intake import Admitted
from pickpost.services.marks import DuplicateMarks
from pickpost.services.ports import SYSTEM_CLOCK, BuyerTransport, Clock, LeadStore
from pickpost.services.quotas import Caps, Reservation
from pickpost.services.replies import Attempt, Reply, SaleResult, first_sold_fields

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Sale:
    """One lead on its way to buyers: what every attempt needs."""

    campaign: Campaign
    supplier_id: str
    lead: NewLead
    consent: ConsentRecord
    forwarded: Mapping[str, object]  # what buyers receive: the post step's validated fields
    per_lead_payout: bool = False  # the supplier's payout is configured per lead (Direct Post)
    base_url: str = ""  # where buyers reach this server: their certificate links start with it


@dataclass(frozen=True, slots=True)
class _Held:
    """A buyer's answer not yet in the ledger, and the attempt (by index) it ended."""

    finish: SaleFinish
    bid: OfferedBid
    index: int


@dataclass(slots=True)
class Selling:
    """A lead's sale as it goes: its attempts so far, the last buyer's answer while it waits
    for the lead's next write, and, while the lead is not claimed yet, the supplier's
    reservation (given back if the claim fails or is lost)."""

    attempts: list[Attempt] = field(default_factory=list)
    held: _Held | None = None
    unclaimed: Reservation | None = None
    lost: bool = False  # another POST of the ping claimed the lead: nothing was sold or written

    def lose_held(self, held: _Held) -> None:
        """The held answer could not be written: its sale is pending in the ledger, to be cut
        off as unknown, and the answer says unknown too."""
        log.error(
            "recording buyer %s's answer (sale %d) failed: the sale is unknown",
            held.bid.buyer_id,
            held.finish.sale_id,
        )
        self.attempts[held.index] = _unknown(held.bid, "unknown: internal error during the sale")


Answer = Callable[[Sequence[Attempt]], tuple[Reply, Cents]]
"""What a sale's attempts make: the POST's reply and what it pays the supplier."""


class Seller:
    def __init__(
        self,
        transport: BuyerTransport,
        leads: LeadStore,
        gate: Gate,
        caps: Caps,
        marks: DuplicateMarks,
        clock: Clock = SYSTEM_CLOCK,
        links: LinkSigner | None = None,
    ) -> None:
        self._transport = transport
        self._links = links
        self._leads = leads
        self._gate = gate
        self._caps = caps
        self._marks = marks
        self._clock = clock

    async def reserve(self, admitted: Admitted, upper: Cents, at: float) -> Reservation | Refusal:
        """Charge the supplier's lead caps for a lead that can pay out at most ``upper``."""
        return await self._caps.reserve(admitted, upper, at)

    async def settle(self, reservation: Reservation, attempts: Sequence[Attempt]) -> None:
        """Give back what the lead's sales did not use of its reservation."""
        await self._caps.settle(reservation, *may_have_paid(attempts))

    async def run(
        self,
        sale: Sale,
        bids: Sequence[OfferedBid],
        limit: int | None,
        limit_reason: str | None = None,
        unclaimed: Reservation | None = None,
    ) -> Selling:
        """:meth:`sell`, and when it fails midway, what is known so far: the bid it failed on
        is unknown if its buyer may have been sent the lead (its sale row was started), else
        not attempted, like the ones after it. The lead must still end with an outcome a retry
        can replay (:meth:`conclude`). A lead settled meanwhile (a retry took its POST for
        dead) stops selling.

        ``unclaimed``: the lead is not claimed yet, and this is the supplier's reservation.
        The claim goes with the lead's first sale's start, or alone before the first write or
        mark that cannot carry it, or at the end. Lost to another POST of the ping, the sale
        stops (``Selling.lost``); when the claim's write fails, the reservation is given back
        and the error goes on, as :meth:`claim`."""
        selling = Selling(unclaimed=unclaimed)
        try:
            await self._run(sale, bids, limit, selling, limit_reason)
            await self._own(sale, selling)  # no write carried the claim: it goes alone
        except _Lost:
            selling.lost = True
        except _ClaimFailed as failed:
            raise failed.error from failed.error.__cause__  # as it was raised
        return selling

    async def _run(
        self,
        sale: Sale,
        bids: Sequence[OfferedBid],
        limit: int | None,
        selling: Selling,
        limit_reason: str | None,
    ) -> None:
        attempts = selling.attempts
        try:
            await self.sell(sale, bids, limit, selling, limit_reason)
        except (_Lost, _ClaimFailed):
            raise
        except _Settled:
            log.warning("lead %s was settled while its sale ran: it stops", sale.lead.lead_id)
            rest = bids[len(attempts) :]
            attempts += [_rejected(b, "not attempted: the sale was settled") for b in rest]
        except Exception as error:
            log.exception(
                "selling lead %s failed after %d attempts", sale.lead.lead_id, len(attempts)
            )
            if isinstance(error, _HeldAnswerFailed):
                selling.lose_held(error.held)
            rest = bids[len(attempts) :]
            if rest and isinstance(error, _StartedSaleFailed):
                attempts.append(_unknown(rest[0], "unknown: internal error during the sale"))
                rest = rest[1:]
            attempts += [_rejected(b, "not attempted: internal error") for b in rest]

    async def conclude(self, sale: Sale, selling: Selling, answer: Answer) -> Reply:
        """Store the lead's answer with the last buyer's held answer (one transaction). When
        that write fails, the sale is unknown: the answer is made again and stored alone (the
        sale, still pending, is cut off as unknown with it); a second failure goes on."""
        reply, payout = answer(selling.attempts)
        held, selling.held = selling.held, None
        if held is None:
            await self.record(sale, reply, payout)
            return reply
        try:
            await self.record(sale, reply, payout, held.finish)
        except Exception:
            log.exception("storing lead %s's answer failed", sale.lead.lead_id)
            selling.lose_held(held)
            reply, payout = answer(selling.attempts)
            await self.record(sale, reply, payout)
        return reply

    async def claim(self, lead: NewLead, consent: ConsentRecord, reservation: Reservation) -> bool:
        """Store the lead and its consent before any buyer sees it (False: another POST of its
        ping got there first). If the ledger fails, no lead exists to sell: the supplier's
        reservation is given back before the error goes on."""
        try:
            return await self._leads.claim(lead, consent)
        except Exception:
            await self._caps.settle(reservation, sold=False, payout=0)
            raise

    async def _own(self, sale: Sale, selling: Selling) -> None:
        """Claim the lead alone if its claim is still pending: ``_Lost`` when another POST of
        its ping has it, ``_ClaimFailed`` (the reservation given back) when the write fails."""
        reservation, selling.unclaimed = selling.unclaimed, None
        if reservation is None:
            return
        try:
            claimed = await self.claim(sale.lead, sale.consent, reservation)
        except Exception as error:
            raise _ClaimFailed(error) from error
        if not claimed:
            raise _Lost

    def marks_lead(self, admitted: Admitted) -> bool:
        """Whether :meth:`refuse_duplicate` marks the lead: then the lead must be claimed
        first (a losing POST of its ping must leave no mark)."""
        return self._marks.marks_lead(admitted)

    async def refuse_duplicate(
        self, sale: Sale, admitted: Admitted, reservation: Reservation
    ) -> Reply | None:
        """The campaign's duplicate check on a claimed lead: a duplicate is stored with its
        1008 answer (replays return it) and sold to nobody."""
        refusal = await self._marks.mark_lead(admitted, sale.lead.fields)
        if refusal is None:
            return None
        reply = Reply.refused(refusal)
        reply.body["lead_id"] = sale.lead.lead_id
        await self.record(sale, reply, payout=0)
        await self._caps.settle(reservation, sold=False, payout=0)
        return reply

    async def record(
        self, sale: Sale, reply: Reply, payout: Cents, finished: SaleFinish | None = None
    ) -> None:
        """Store the answer on the lead: what a replay of its POST returns. A lead a retry has
        settled meanwhile keeps the settled answer (replays must not change); ``finished``, the
        last sale's answer, is written either way."""
        stored = await self._leads.finish_lead(
            StoredOutcome(
                lead_id=sale.lead.lead_id,
                campaign_id=sale.campaign.id,
                supplier_id=sale.supplier_id,
                status=_LEAD_STATUS.get(reply.code, LeadStatus.NOT_SOLD),
                code=int(reply.code),
                message=reply.message,
                body=reply.body,
            ),
            payout=payout,
            finished=finished,
        )
        if not stored:
            log.warning("lead %s was settled before its sale ended", sale.lead.lead_id)

    async def sell(
        self,
        sale: Sale,
        bids: Sequence[OfferedBid],
        limit: int | None,
        selling: Selling,
        limit_reason: str | None = None,
    ) -> None:
        """Attempt ``bids`` in order until ``limit`` sales, adding to ``selling`` as it goes
        (so a failure midway leaves what was done; the last answer held). An unknown outcome
        counts toward the limit: it may have sold, so an exclusive lead never falls back past
        one. Past the limit the remaining bids are recorded as skipped with ``limit_reason``,
        or left out when it is None."""
        skipped: list[BuyerCall] = []
        attempts = selling.attempts
        for bid in bids:
            buyer = sale.campaign.buyers.get(bid.buyer_id)
            if limit is not None and sum(a.may_have_sold for a in attempts) >= limit:
                if limit_reason is None:
                    break
                reason: str | None = limit_reason
            elif buyer is None:
                reason = "buyer is no longer in this campaign"
            else:
                reason = await self._gate.buyer_refusal(
                    sale.campaign,
                    buyer,
                    sale.lead.fields,
                    Step.POST,
                    sale.lead.test,
                    self._clock.now(),
                )
            if reason is not None or buyer is None:
                reason = reason or "buyer is no longer in this campaign"
                attempts.append(_rejected(bid, reason))
                url = adapter.adapter_for(buyer).post_url(sale.lead.test) if buyer else ""
                skipped.append(
                    BuyerCall.unanswered(
                        bid.buyer_id, CallStep.POST, url, Outcome.SKIPPED, reason, self._clock.now()
                    )
                )
                continue
            # A configured payout goes with the first sale that may have happened.
            sold_before = any(a.may_have_sold for a in attempts)
            attempt, finish = await self._attempt(sale, buyer, bid, sold_before, selling)
            attempts.append(attempt)
            if finish is not None:
                selling.held = _Held(finish, bid, len(attempts) - 1)
        if skipped:
            await self._own(sale, selling)
            await self._leads.record_calls(sale.lead.lead_id, skipped)

    async def _attempt(
        self, sale: Sale, buyer: BuyerConfig, bid: OfferedBid, sold_before: bool, selling: Selling
    ) -> tuple[Attempt, SaleFinish | None]:
        """Reserve caps, duplicate marks and the sale row (writing the answer ``selling``
        holds), post to the buyer; give back what a sale that did not happen had reserved. The
        buyer's answer for the ledger, when a sale was started.

        When the outcome is unknown (the buyer may have taken the lead) nothing is given back:
        a cap stays charged and a mark stays set, the safe side.
        """
        lead = sale.lead
        now = self._clock.now()
        charges: list[Charge] = []
        charged = not lead.test and buyer.caps is not None
        if charged or self._marks.marks_for_buyers(sale.campaign, lead.test):
            # Counters another POST of the ping would see: the lead must be this POST's.
            await self._own(sale, selling)
        if not lead.test:
            charges, reached = await self._caps.charge_sale(
                sale.campaign, buyer, bid.buyer_price, now
            )
            if reached is not None:
                return await self._skip(sale, buyer, bid, reached, now), None
        try:
            marks, duplicate = await self._marks.mark_for_buyer(
                sale.campaign, buyer, lead.fields, lead.test
            )
        except Exception:
            await self._give_back(charges, [])
            raise
        if duplicate is not None:
            await self._give_back(charges, [])
            return await self._skip(sale, buyer, bid, duplicate, now), None
        # A configured supplier payout is per lead: the first sale carries it, later ones 0.
        payout = 0 if sale.per_lead_payout and sold_before else bid.price
        try:
            status, attempt, finish = await self._post(sale, buyer, bid, payout, now, selling)
        except (_Settled, _HeldAnswerFailed):
            await self._give_back(charges, marks)  # the buyer was never called
            raise
        if status in (SaleStatus.REJECTED, SaleStatus.ERROR):
            await self._give_back(charges, marks)
        return attempt, finish

    async def _give_back(self, charges: list[Charge], marks: list[str]) -> None:
        """Refund caps and release marks of a sale that did not happen; a failure is logged
        (the counter stays charged, the mark set: the safe side) and the other still runs."""
        await self._caps.refund(charges)
        try:
            await self._marks.release(marks)
        except Exception:
            log.exception("releasing duplicate marks failed; they stay set")

    async def _skip(
        self, sale: Sale, buyer: BuyerConfig, bid: OfferedBid, reason: str, at: float
    ) -> Attempt:
        url = adapter.adapter_for(buyer).post_url(sale.lead.test)
        call = BuyerCall.unanswered(buyer.id, CallStep.POST, url, Outcome.SKIPPED, reason, at)
        await self._leads.record_calls(sale.lead.lead_id, [call])
        return _rejected(bid, reason)

    async def _post(
        self,
        sale: Sale,
        buyer: BuyerConfig,
        bid: OfferedBid,
        payout: Cents,
        now: float,
        selling: Selling,
    ) -> tuple[SaleStatus, Attempt, SaleFinish | None]:
        attempt = SaleAttempt(
            lead_id=sale.lead.lead_id,
            buyer_id=bid.buyer_id,
            bid_id=bid.bid_id,
            buyer_price=bid.buyer_price,
            payout=payout,
            created_at=now,
        )
        unclaimed, selling.unclaimed = selling.unclaimed, None
        if unclaimed is not None:
            started: int | SaleBlocked = await self._claim_and_start(sale, attempt, unclaimed)
        else:
            started = await self._start(attempt, selling)
        if started is SaleBlocked.TAKEN:
            return SaleStatus.REJECTED, _rejected(bid, "already sold to this buyer"), None
        if started is SaleBlocked.SETTLED:
            raise _Settled
        try:
            status, done, call = await self._call(sale, buyer, bid, payout, now)
        except Exception as error:
            raise _StartedSaleFailed from error
        return status, done, SaleFinish(started, status, call)

    async def _claim_and_start(
        self, sale: Sale, attempt: SaleAttempt, reservation: Reservation
    ) -> int:
        """The lead's claim with its first sale's start (no answer is held before it)."""
        try:
            started = await self._leads.claim_and_start(sale.lead, sale.consent, attempt)
        except Exception as error:
            await self._caps.settle(reservation, sold=False, payout=0)
            raise _ClaimFailed(error) from error
        if started is None:
            raise _Lost
        return started

    async def _start(self, attempt: SaleAttempt, selling: Selling) -> int | SaleBlocked:
        """The sale's start, with the answer ``selling`` holds."""
        held, selling.held = selling.held, None
        try:
            return await self._leads.start_sale(attempt, None if held is None else held.finish)
        except Exception as error:
            if held is None:
                raise
            raise _HeldAnswerFailed(held) from error

    def _consent(self, sale: Sale, bid: OfferedBid) -> dict[str, object]:
        """The buyer's consent block, with its signed link to its own view of the consent
        certificate (docs/consent.md, "Buyers' certificate links")."""
        block = consent_block(sale.consent, bid)
        if self._links is not None and sale.base_url:
            path = certificate_path(self._links, sale.lead.lead_id, bid.buyer_id)
            block["certificate_url"] = sale.base_url + path
        return block

    async def _call(
        self,
        sale: Sale,
        buyer: BuyerConfig,
        bid: OfferedBid,
        payout: Cents,
        now: float,
    ) -> tuple[SaleStatus, Attempt, BuyerCall]:
        """Post to the buyer for a started sale: its answer, and its call for the ledger."""
        lead = sale.lead
        order = PostOrder(
            lead_id=lead.lead_id,
            ping_id=lead.ping_id or "",
            campaign_id=sale.campaign.id,
            supplier_id=sale.supplier_id,
            token=bid.token,
            price_cents=bid.buyer_price,
            test=lead.test,
            lead=sale.forwarded,
            consent=self._consent(sale, bid),
            ping_response=bid.ping_response,
            now=now,
        )
        try:
            request = adapter.adapter_for(buyer).build_post(order)
        except Exception as error:  # a buyer's config must not sink the sale: nothing was sent
            # The type only: a message may quote the lead's values.
            log.error("building the post for buyer %s failed: %s", buyer.id, type(error).__name__)
            reason = f"internal error building the post ({type(error).__name__})"
            call = BuyerCall.unanswered(buyer.id, CallStep.POST, "", Outcome.ERROR, reason, now)
            return SaleStatus.ERROR, _rejected(bid, reason), call
        if request is None:  # the gate keeps test leads from buyers without a test endpoint
            reason = "test lead, and the buyer has no test endpoint"
            call = BuyerCall.unanswered(
                buyer.id, CallStep.POST, "", Outcome.SKIPPED, reason, self._clock.now()
            )
            return SaleStatus.REJECTED, _rejected(bid, reason), call
        protocol = adapter.adapter_for(buyer)
        delivery = await self._transport.send(request, buyer.post_timeout_ms)
        status, outcome, reason, fields = judge_post(buyer, delivery)
        # The certificate link is the buyer's, like a credential: never recorded.
        link = order.consent.get("certificate_url")
        withheld = protocol.secrets() + ((link,) if isinstance(link, str) else ())
        sent = Exchange(request.headers, request.body, secrets=withheld)
        answer = delivery.response
        call = BuyerCall(
            buyer_id=bid.buyer_id,
            step=CallStep.POST,
            url=protocol.post_url(lead.test),  # unrendered: no lead values
            outcome=outcome,
            reason=reason,
            started_at=delivery.started_at,
            latency_ms=delivery.latency_ms,
            status_code=delivery.response.status if delivery.response else None,
            price_cents=bid.buyer_price,
            exchange=sent if answer is None else sent.answered(answer.headers, answer.body),
        )
        if status is SaleStatus.SOLD:
            result, fields = SaleResult.SOLD, {**buyer.sold_fields, **fields}
        elif status is SaleStatus.UNKNOWN:
            result = SaleResult.UNKNOWN
        else:
            result = SaleResult.REJECTED
        return status, _attempt(bid, result, reason, payout, fields), call


class _Settled(Exception):
    """The lead was settled (its POST taken for dead by a retry): no more buyers are called."""


class _Lost(Exception):
    """Another POST of the ping claimed the lead first: this one sold nothing."""


class _ClaimFailed(Exception):
    """Writing the lead's claim failed (the reservation was given back): ``error`` goes on."""

    def __init__(self, error: Exception) -> None:
        super().__init__(type(error).__name__)
        self.error = error


class _StartedSaleFailed(Exception):
    """Pickpost failed after a sale row was started: the buyer may have the lead."""


class _HeldAnswerFailed(Exception):
    """Writing the held answer with the next sale's start failed: that sale is unknown, and
    the next buyer was not called."""

    def __init__(self, held: _Held) -> None:
        super().__init__(held.finish.sale_id)
        self.held = held


_GATEWAY_FAILURES = frozenset({502, 503, 504})

_LEAD_STATUS = {
    Code.OK: LeadStatus.SOLD,
    Code.SALE_UNKNOWN: LeadStatus.UNKNOWN,
}


def _attempt(
    bid: OfferedBid,
    result: SaleResult,
    reason: str = "",
    payout: Cents = 0,
    fields: Mapping[str, FieldValue] | None = None,
) -> Attempt:
    return Attempt(
        bid_id=bid.bid_id,
        buyer_id=bid.buyer_id,
        tcpa_entity_name=bid.tcpa_entity_name,
        result=result,
        reason=reason,
        payout=payout,
        fields=fields or {},
    )


def _rejected(bid: OfferedBid, reason: str) -> Attempt:
    return _attempt(bid, SaleResult.REJECTED, reason)


def _unknown(bid: OfferedBid, reason: str) -> Attempt:
    return _attempt(bid, SaleResult.UNKNOWN, reason, bid.price)


def may_have_paid(attempts: Sequence[Attempt]) -> tuple[bool, Cents]:
    """Whether the lead may have sold, and the most it may have paid the supplier: what its
    cap reservation keeps. Unknown sales count (the safe side)."""
    possible = [a for a in attempts if a.may_have_sold]
    return bool(possible), sum(a.payout for a in possible)


def bid_summary(bid: OfferedBid) -> dict[str, object]:
    """A bid as answers and consent records name it."""
    return {
        "bid_id": bid.bid_id,
        "buyer_id": bid.buyer_id,
        "tcpa_entity_name": bid.tcpa_entity_name,
    }


def shown(bid: OfferedBid) -> dict[str, object]:
    """A bid as offered, with what it pays the supplier: for consent records."""
    return bid_summary(bid) | {"bid_price": to_json_number(bid.price)}


def consent_block(consent: ConsentRecord, bid: OfferedBid) -> dict[str, object]:
    """The consent a buyer receives: its own entity only, never the other picks."""
    block: dict[str, object] = {
        "tcpa_entity_name": bid.tcpa_entity_name,
        "consented_at": iso_utc(consent.consented_at),
    }
    block.update({key: consent.evidence.get(key) for key in EVIDENCE_FIELDS})
    return block


def judge_post(
    buyer: BuyerConfig, delivery: Delivery
) -> tuple[SaleStatus, Outcome, str, dict[str, FieldValue]]:
    """Sale status, timeline outcome, the reason the supplier sees, and mapped fields.

    Only an answer says no. A call that may have reached the buyer but brought back no
    readable answer (a timeout, a reset, a body cut short or too large, a 2xx we cannot read)
    is *unknown*: the buyer may have taken the lead. A request that never left (no connection)
    or an HTTP error status is a definite no.
    """
    if delivery.response is None:
        outcome = delivery.failure or Outcome.ERROR
        reason = f"buyer {outcome.value}: {delivery.reason}"
        if delivery.sent:
            return SaleStatus.UNKNOWN, outcome, f"unknown: {reason}", {}
        return SaleStatus.ERROR, outcome, reason, {}
    answer = adapter.parse_post(buyer, delivery.response)
    if isinstance(answer, Accepted):
        return SaleStatus.SOLD, Outcome.ACCEPTED, "", answer.fields
    if isinstance(answer, Rejected):
        if answer.duplicate:
            return SaleStatus.REJECTED, Outcome.DUPLICATE, "rejected by buyer: duplicate", {}
        return SaleStatus.REJECTED, Outcome.REJECTED, f"rejected by buyer: {answer.reason}", {}
    status = delivery.response.status
    if 200 <= status < 400 or status in _GATEWAY_FAILURES:
        # An unreadable 2xx, a redirect (a 303 often means "created"), or a proxy's word that
        # the buyer's application did not answer: the lead may be with the buyer.
        return SaleStatus.UNKNOWN, Outcome.ERROR, f"unknown: buyer error: {answer.reason}", {}
    return SaleStatus.ERROR, Outcome.ERROR, f"buyer error: {answer.reason}", {}


def response_fields(campaign: Campaign, attempts: Sequence[Attempt]) -> dict[str, object]:
    """The campaign's ``response_fields``: static values, or fields of the first sold bid."""
    first = first_sold_fields(attempts)
    found: dict[str, object] = {}
    for name, source in campaign.config.response_fields.items():
        value = source.value if source.value is not None else first.get(source.from_sold_bid or "")
        if value is not None:
            found[name] = value
    return found
