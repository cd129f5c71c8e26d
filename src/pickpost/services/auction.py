"""The fan-out: ping every buyer in parallel within one deadline and collect their bids."""

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from pickpost.buyers import adapter
from pickpost.buyers.adapter import BuyerAdapter
from pickpost.buyers.answers import Invalid, NoBid, PingAnswer
from pickpost.buyers.wire import Delivery, InboundResponse, OutboundRequest, PingMemo, PingOrder
from pickpost.domain.bids import RawBid
from pickpost.domain.deadline import Deadline
from pickpost.domain.money import Cents
from pickpost.domain.outcomes import BuyerCall, CallStep, Exchange, Outcome
from pickpost.domain.workspace import BuyerConfig
from pickpost.services.ports import SYSTEM_CLOCK, BuyerTransport, Clock

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class AuctionTiming:
    """How the deadline is shared: ``reserve_ms`` is kept for Pickpost's own work after the
    buyers answer; a buyer offered less than ``min_useful_ms`` is not called at all."""

    reserve_ms: int = 5
    min_useful_ms: int = 10


@dataclass(frozen=True, slots=True)
class AuctionRequest:
    campaign_id: str
    supplier_id: str
    ping_id: str
    test: bool
    lead: Mapping[str, object]  # what buyers receive: the validated ping fields
    deadline: Deadline
    buyers: Sequence[BuyerConfig]  # the eligible ones; buyers without a ping step included
    offers: Mapping[str, Cents] = field(default_factory=dict)  # prices of buyers not pinged


@dataclass(frozen=True, slots=True)
class AuctionResult:
    bids: list[RawBid]
    calls: list[BuyerCall]
    pinged: int  # buyers actually called


class Auction:
    def __init__(
        self,
        transport: BuyerTransport,
        timing: AuctionTiming = AuctionTiming(),
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        self._transport = transport
        self._timing = timing
        self._clock = clock

    async def run(self, request: AuctionRequest) -> AuctionResult:
        bids: list[RawBid] = []
        calls: list[BuyerCall] = []
        pinged: list[tuple[BuyerConfig, BuyerAdapter, OutboundRequest]] = []
        outbound_calls: list[tuple[OutboundRequest, int]] = []
        clock = self._clock
        started = clock.now()
        memo = PingMemo()  # the buyers' bodies' common part, encoded once
        for buyer in request.buyers:
            protocol = adapter.adapter_for(buyer)
            if not protocol.pings():
                price = request.offers.get(buyer.id)
                if price is not None and price > 0:
                    bids.append(_offered(buyer, price))
                continue
            budget = request.deadline.buyer_budget_ms(
                clock.monotonic(),
                buyer.timeout_ms,
                self._timing.reserve_ms,
                self._timing.min_useful_ms,
            )
            if budget is None:
                reason = "no time left before the auction deadline"
                calls.append(_unanswered(buyer, Outcome.SKIPPED, reason, clock.now(), request.test))
                continue
            order = PingOrder(
                ping_id=request.ping_id,
                campaign_id=request.campaign_id,
                supplier_id=request.supplier_id,
                test=request.test,
                tmax_ms=budget,
                lead=request.lead,
                now=clock.now(),
                memo=memo,
            )
            try:
                outbound = protocol.build_ping(order)
            except Exception as error:  # one buyer's adapter bug costs that buyer only
                reason = _failed("building the ping", buyer, error)
                calls.append(_unanswered(buyer, Outcome.ERROR, reason, clock.now(), request.test))
                continue
            if outbound is None:
                reason = "test lead, and the buyer has no test endpoint"
                calls.append(_unanswered(buyer, Outcome.SKIPPED, reason, clock.now(), True))
                continue
            pinged.append((buyer, protocol, outbound))
            outbound_calls.append((outbound, budget))
        if pinged:
            deliveries = await self._send(request, outbound_calls)
            ended = clock.now()
            for (buyer, protocol, outbound), delivery in zip(pinged, deliveries, strict=True):
                if isinstance(delivery, Delivery):
                    bid, call = _judge(buyer, protocol, delivery, request.test, outbound)
                    calls.append(call)
                    if bid is not None:
                        bids.append(bid)
                    continue
                if delivery is None:
                    outcome, reason = Outcome.TIMEOUT, "no answer before the auction deadline"
                else:
                    outcome, reason = Outcome.ERROR, _failed("sending the ping", buyer, delivery)
                cut = _unanswered(buyer, outcome, reason, started, request.test, ended)
                sent = Exchange(outbound.headers, outbound.body, secrets=protocol.secrets())
                calls.append(cut._replace(exchange=sent))
        return AuctionResult(bids, calls, len(pinged))

    async def _send(
        self,
        request: AuctionRequest,
        outbound_calls: list[tuple[OutboundRequest, int]],
    ) -> Sequence[Delivery | Exception | None]:
        """Every buyer's delivery in order, ``None`` for one the auction's deadline cut; the
        exception for all of them when the transport failed (a bug: it never raises for the
        network or the buyers), so the ping still ends with its other bids."""
        # The transport enforces each buyer's budget; the auction's deadline only guards
        # against a transport that overruns it.
        wait_s = max(0.0, request.deadline.at - self._clock.monotonic())
        try:
            return await self._transport.send_all(outbound_calls, wait_s)
        except Exception as error:
            return [error] * len(outbound_calls)


def _offered(buyer: BuyerConfig, price: Cents) -> RawBid:
    """A buyer that takes no pings bids its configured price."""
    return RawBid(
        buyer_id=buyer.id,
        price=price,
        tcpa_entity_name=buyer.tcpa_entity_name,
        additional_data=dict(buyer.additional_data),
    )


def _unanswered(
    buyer: BuyerConfig,
    outcome: Outcome,
    reason: str,
    since: float,
    test: bool,
    until: float | None = None,
) -> BuyerCall:
    url = adapter.adapter_for(buyer).ping_url(test) or ""
    return BuyerCall.unanswered(buyer.id, CallStep.PING, url, outcome, reason, since, until)


def _failed(doing: str, buyer: BuyerConfig, error: BaseException) -> str:
    """The reason for a call our own code failed on, logged for the operator: the error's type
    only, as its message might quote the lead or the buyer's answer."""
    log.error("%s for buyer %s failed: %s", doing, buyer.id, type(error).__name__)
    return f"internal error {doing} ({type(error).__name__})"


def _judge(
    buyer: BuyerConfig,
    protocol: BuyerAdapter,
    delivery: Delivery,
    test: bool,
    outbound: OutboundRequest,
) -> tuple[RawBid | None, BuyerCall]:
    """The bid (if any) and the timeline entry for one ping delivery; ``protocol`` is the
    buyer's adapter, chosen once per ping (``adapter_for`` builds a new one each time). The
    call's exchange is made once, here, as sent and as answered."""
    response = delivery.response
    status = response.status if response else None
    bid: RawBid | None = None
    if response is None:
        outcome, reason, price = delivery.failure or Outcome.ERROR, delivery.reason, None
    else:
        answer = _parse(buyer, protocol, response, delivery.latency_ms)
        if isinstance(answer, RawBid):
            bid = answer
            outcome, reason, price = Outcome.BID, "", answer.price
        elif isinstance(answer, NoBid):
            outcome, reason, price = Outcome.NO_BID, answer.reason, None
        else:
            outcome, reason, price = Outcome.ERROR, answer.reason, None
    call = BuyerCall(
        buyer_id=buyer.id,
        step=CallStep.PING,
        url=protocol.ping_url(test) or "",
        outcome=outcome,
        reason=reason,
        started_at=delivery.started_at,
        latency_ms=delivery.latency_ms,
        status_code=status,
        price_cents=price,
        exchange=Exchange(
            outbound.headers,
            outbound.body,
            None if response is None else response.headers,
            None if response is None else response.body,
            protocol.secrets(),
        ),
    )
    return bid, call


def _parse(
    buyer: BuyerConfig, protocol: BuyerAdapter, response: InboundResponse, latency_ms: float
) -> PingAnswer:
    """The buyer's answer; an adapter that fails on it makes it an invalid answer, so whatever
    one buyer sends, the other buyers' bids stand."""
    try:
        return protocol.parse_ping(response, latency_ms)
    except Exception as error:
        return Invalid(_failed("reading the answer", buyer, error))
