"""PING: fan out to every eligible buyer within one deadline and offer the shaped bids
(as the campaign's sale policy says: the bids, or an exclusive exchange's one quote)."""

from pickpost.domain.bids import OfferedBid
from pickpost.domain.deadline import Deadline
from pickpost.domain.fields import Step, validate_lead
from pickpost.domain.ids import iso_utc, new_id
from pickpost.domain.lead import PingLog
from pickpost.domain.money import to_json_number
from pickpost.domain.pick import new_token, token_hash
from pickpost.domain.ping import PingRecord
from pickpost.domain.shaping import shape_bids
from pickpost.domain.traffic import Source, call_events, ping_events
from pickpost.domain.workspace import CampaignType
from pickpost.services.auction import Auction, AuctionRequest
from pickpost.services.gate import Gate
from pickpost.services.intake import Admitted, SupplierRequest, lead_fields, validation_refusal
from pickpost.services.ports import (
    NO_TRAFFIC_COUNTS,
    SYSTEM_CLOCK,
    Clock,
    PingStore,
    Recorder,
    TrafficCounts,
)
from pickpost.services.replies import Offer, Reply, ping_reply


def bid_json(bid: OfferedBid) -> dict[str, object]:
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
        auction: Auction,
        gate: Gate,
        pings: PingStore,
        recorder: Recorder,
        clock: Clock = SYSTEM_CLOCK,
        traffic: TrafficCounts = NO_TRAFFIC_COUNTS,
    ) -> None:
        self._auction = auction
        self._traffic = traffic
        self._gate = gate
        self._pings = pings
        self._recorder = recorder
        self._clock = clock

    async def ping(self, request: SupplierRequest, admitted: Admitted) -> Reply:
        campaign, supplier = admitted.campaign, admitted.supplier
        validated = validate_lead(campaign.fields, request.data, Step.PING)
        if not validated.ok:
            return Reply.refused(validation_refusal(validated.errors))
        values: dict[str, object] = dict(validated.values)
        lead = lead_fields(request.data, values)
        refusal = await self._gate.admit_lead(admitted, request, lead, Step.PING)
        if refusal is not None:
            return Reply.refused(refusal)
        deadline = Deadline.after(request.arrived, campaign.config.ping_timeout_ms)
        ping_id = new_id("p")
        eligible = await self._gate.eligible(admitted, lead, Step.PING, request.received_at)
        result = await self._auction.run(
            AuctionRequest(
                campaign_id=campaign.id,
                supplier_id=supplier.id,
                ping_id=ping_id,
                test=admitted.test,
                lead=values,
                deadline=deadline,
                buyers=eligible.buyers,
                offers=eligible.offers,
            )
        )
        # A supplier is never quoted from, nor sold to, a bid under its floor (raw price).
        floor = supplier.min_buyer_bid_cents
        offered = shape_bids(
            [bid for bid in result.bids if bid.price >= floor],
            campaign.shaping,
            lambda buyer_id: campaign.margin_for(buyer_id, supplier),
            lambda: new_id("b"),
            campaign.penalty_of,
        )
        expires_at = request.received_at + campaign.config.ping_ttl_s
        # One-to-One: a pick token for the widget and the hosted page, never past the ping.
        token = None
        token_ttl = campaign.config.pick_settings.token_ttl_s
        pick_expires = min(expires_at, request.received_at + token_ttl)
        if campaign.config.type is CampaignType.ONE_TO_ONE and offered:
            token = new_token(ping_id)
        record = PingRecord(
            ping_id=ping_id,
            campaign_id=campaign.id,
            supplier_id=supplier.id,
            request_id=request.request_id,
            created_at=request.received_at,
            expires_at=expires_at,
            test=admitted.test,
            lead=lead,
            ping_values=values,
            bids=tuple(offered),
            buyers_pinged=result.pinged,
            pick_token_sha256=None if token is None else token_hash(token),
            pick_expires_at=None if token is None else pick_expires,
        )
        await self._pings.save(record, campaign.config.ping_ttl_s)
        self._recorder.ping(PingLog(record, (*eligible.skipped, *result.calls)))
        source = Source(campaign.id, supplier.id, admitted.test, request.received_at)
        self._traffic.count(ping_events(source, with_bids=bool(offered)))
        self._traffic.count(call_events(source, result.calls))
        offer = Offer(
            ping_id=ping_id,
            expires_at=iso_utc(record.expires_at),
            bids=[bid_json(b) for b in offered],
            buyers_pinged=record.buyers_pinged,
            execution_ms=round((self._clock.monotonic() - request.arrived) * 1000),
            pick=None if token is None else _pick_offer(request, token, pick_expires),
        )
        return ping_reply(campaign.policy, offer)


def _pick_offer(request: SupplierRequest, token: str, expires_at: float) -> dict[str, object]:
    """The PING answer's ``pick``: the token the widget takes, the hosted page and when both
    stop working (docs/consent.md, "The pick widget")."""
    return {
        "token": token,
        "url": f"{request.base_url.rstrip('/')}/pick/{token}",
        "expires_at": iso_utc(expires_at),
    }
