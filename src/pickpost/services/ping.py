"""PING: fan out to every eligible buyer within one deadline and offer the shaped bids."""

import asyncio
import time
from dataclasses import dataclass

from pickpost.buyers import native
from pickpost.buyers.wire import Delivery
from pickpost.domain.bids import OfferedBid, RawBid
from pickpost.domain.catalog import Campaign
from pickpost.domain.deadline import Deadline
from pickpost.domain.errors import Code
from pickpost.domain.fields import Step, validate_lead
from pickpost.domain.ids import iso_utc, new_id
from pickpost.domain.lead import PingLog
from pickpost.domain.money import to_cents, to_json_number
from pickpost.domain.outcomes import BuyerCall, CallStep, Outcome
from pickpost.domain.ping import PingRecord
from pickpost.domain.shaping import shape_bids
from pickpost.domain.workspace import BuyerConfig
from pickpost.services.intake import (
    Admitted,
    Reply,
    SupplierRequest,
    lead_fields,
    validation_refusal,
)
from pickpost.services.ports import BuyerTransport, PingStore, Recorder


@dataclass(frozen=True, slots=True)
class AuctionTiming:
    """How the deadline is shared: ``reserve_ms`` is kept for Pickpost's own work after the
    buyers answer; a buyer offered less than ``min_useful_ms`` is not called at all."""

    reserve_ms: int = 5
    min_useful_ms: int = 10


def _bid_json(bid: OfferedBid) -> dict[str, object]:
    return {
        "bid_id": bid.bid_id,
        "buyer_id": bid.buyer_id,
        "bid_price": to_json_number(bid.price),
        "tcpa_entity_name": bid.tcpa_entity_name,
        "additional_data": bid.additional_data,
    }


class PingService:
    def __init__(
        self,
        transport: BuyerTransport,
        pings: PingStore,
        recorder: Recorder,
        timing: AuctionTiming = AuctionTiming(),
    ) -> None:
        self._transport = transport
        self._pings = pings
        self._recorder = recorder
        self._timing = timing

    async def ping(self, request: SupplierRequest, admitted: Admitted) -> Reply:
        campaign = admitted.campaign
        validated = validate_lead(campaign.fields, request.data, Step.PING)
        if not validated.ok:
            return Reply.refused(validation_refusal(validated.errors))
        deadline = Deadline.after(request.arrived, campaign.config.ping_timeout_ms)
        ping_id = new_id("p")
        bids, calls, pinged = await self._auction(
            campaign, ping_id, admitted.test, dict(validated.values), deadline
        )
        offered = shape_bids(bids, campaign.shaping, campaign.margin, lambda: new_id("b"))
        record = PingRecord(
            ping_id=ping_id,
            campaign_id=campaign.id,
            supplier_id=admitted.supplier.id,
            request_id=request.request_id,
            created_at=request.received_at,
            expires_at=request.received_at + campaign.config.ping_ttl_s,
            test=admitted.test,
            lead=lead_fields(request.data, validated.values),
            ping_values=dict(validated.values),
            bids=tuple(offered),
            buyers_pinged=pinged,
        )
        await self._pings.save(record, campaign.config.ping_ttl_s)
        self._recorder.ping(PingLog(record, tuple(calls)))
        body: dict[str, object] = {
            "ping_id": ping_id,
            "expires_at": iso_utc(record.expires_at),
            "bids": [_bid_json(b) for b in offered],
            "meta": {
                "buyers_pinged": record.buyers_pinged,
                "total_bids": len(offered),
                "max_bid_price": to_json_number(record.max_bid_price) if offered else None,
                "execution_time_ms": round((time.monotonic() - request.arrived) * 1000),
            },
        }
        if not offered:
            return Reply(Code.NO_BIDS, "no bids", body)
        return Reply(Code.OK, "", body)

    async def _auction(
        self,
        campaign: Campaign,
        ping_id: str,
        test: bool,
        lead: dict[str, object],
        deadline: Deadline,
    ) -> tuple[list[RawBid], list[BuyerCall], int]:
        """Bids and timeline of the auction, and how many buyers were called."""
        bids: list[RawBid] = []
        calls: list[BuyerCall] = []
        tasks: dict[asyncio.Task[Delivery], BuyerConfig] = {}
        started = time.time()
        for buyer in campaign.buyers.values():
            if buyer.paused:
                continue
            if buyer.ping_url is None:
                bids.append(_static_bid(buyer))
                continue
            budget = deadline.buyer_budget_ms(
                time.monotonic(),
                buyer.timeout_ms,
                self._timing.reserve_ms,
                self._timing.min_useful_ms,
            )
            if budget is None:
                reason = "no time left before the auction deadline"
                calls.append(_unanswered(buyer, Outcome.SKIPPED, reason, time.time()))
                continue
            request = native.build_ping(buyer, ping_id, campaign.id, test, budget, lead)
            tasks[asyncio.create_task(self._transport.send(request, budget))] = buyer
        if tasks:
            # The transport enforces each buyer's budget; this bound only guards the deadline
            # against a transport that overruns it.
            wait_s = max(0.0, deadline.at - time.monotonic())
            done, pending = await asyncio.wait(tasks, timeout=wait_s)
            for task in pending:
                task.cancel()
            for task, buyer in tasks.items():
                if task in done:
                    bid, call = _judge(buyer, task.result())
                    calls.append(call)
                    if bid is not None:
                        bids.append(bid)
                else:
                    reason = "no answer before the auction deadline"
                    calls.append(_unanswered(buyer, Outcome.TIMEOUT, reason, started))
        return bids, calls, len(tasks)


def _static_bid(buyer: BuyerConfig) -> RawBid:
    price = to_cents(buyer.price.static) if buyer.price else 0
    return RawBid(
        buyer_id=buyer.id,
        price=price,
        tcpa_entity_name=buyer.tcpa_entity_name,
        additional_data=dict(buyer.additional_data),
    )


def _unanswered(buyer: BuyerConfig, outcome: Outcome, reason: str, since: float) -> BuyerCall:
    return BuyerCall.unanswered(
        buyer.id, CallStep.PING, buyer.ping_url or "", outcome, reason, since
    )


def _judge(buyer: BuyerConfig, delivery: Delivery) -> tuple[RawBid | None, BuyerCall]:
    """The bid (if any) and the timeline entry for one ping delivery."""
    response = delivery.response
    status = response.status if response else None
    bid: RawBid | None = None
    if response is None:
        outcome, reason, price = delivery.failure or Outcome.ERROR, delivery.reason, None
    else:
        answer = native.parse_ping(buyer, response, delivery.latency_ms)
        if isinstance(answer, RawBid):
            bid = answer
            outcome, reason, price = Outcome.BID, "", answer.price
        elif isinstance(answer, native.NoBid):
            outcome, reason, price = Outcome.NO_BID, answer.reason, None
        else:
            outcome, reason, price = Outcome.ERROR, answer.reason, None
    call = BuyerCall(
        buyer_id=buyer.id,
        step=CallStep.PING,
        url=buyer.ping_url or "",
        outcome=outcome,
        reason=reason,
        started_at=delivery.started_at,
        latency_ms=delivery.latency_ms,
        status_code=status,
        price_cents=price,
    )
    return bid, call
