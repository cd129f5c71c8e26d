"""PING: fan out to every eligible buyer within one deadline and offer the shaped bids.

One-to-One and shared Exchange campaigns answer with the bids; an exclusive Exchange answers
with the single best offer as ``payout``.
"""

import time

from pickpost.domain.bids import OfferedBid
from pickpost.domain.deadline import Deadline
from pickpost.domain.errors import Code
from pickpost.domain.fields import Step, validate_lead
from pickpost.domain.ids import iso_utc, new_id
from pickpost.domain.lead import PingLog
from pickpost.domain.money import to_json_number
from pickpost.domain.ping import PingRecord
from pickpost.domain.shaping import shape_bids
from pickpost.domain.workspace import CampaignType
from pickpost.services.auction import Auction, AuctionRequest
from pickpost.services.gate import Gate
from pickpost.services.intake import (
    Admitted,
    Reply,
    SupplierRequest,
    lead_fields,
    validation_refusal,
)
from pickpost.services.ports import PingStore, Recorder


def bid_json(bid: OfferedBid) -> dict[str, object]:
    return {
        "bid_id": bid.bid_id,
        "buyer_id": bid.buyer_id,
        "bid_price": to_json_number(bid.price),
        "tcpa_entity_name": bid.tcpa_entity_name,
        "additional_data": bid.additional_data,
    }


class PingService:
    def __init__(self, auction: Auction, gate: Gate, pings: PingStore, recorder: Recorder) -> None:
        self._auction = auction
        self._gate = gate
        self._pings = pings
        self._recorder = recorder

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
        offered = shape_bids(
            result.bids,
            campaign.shaping,
            lambda buyer_id: campaign.margin_for(buyer_id, supplier),
            lambda: new_id("b"),
            campaign.penalty_of,
        )
        best = max((bid.buyer_price for bid in offered), default=0)
        if offered and best < supplier.min_buyer_bid_cents:
            offered = []  # the supplier sells for no less than its min_buyer_bid
        record = PingRecord(
            ping_id=ping_id,
            campaign_id=campaign.id,
            supplier_id=supplier.id,
            request_id=request.request_id,
            created_at=request.received_at,
            expires_at=request.received_at + campaign.config.ping_ttl_s,
            test=admitted.test,
            lead=lead,
            ping_values=values,
            bids=tuple(offered),
            buyers_pinged=result.pinged,
        )
        await self._pings.save(record, campaign.config.ping_ttl_s)
        self._recorder.ping(PingLog(record, (*eligible.skipped, *result.calls)))
        body: dict[str, object] = {"ping_id": ping_id, "expires_at": iso_utc(record.expires_at)}
        if _exclusive(campaign.config.type, campaign.config.exchange.mode):
            body["payout"] = to_json_number(offered[0].price) if offered else 0
        else:
            body["bids"] = [bid_json(b) for b in offered]
        body["meta"] = {
            "buyers_pinged": record.buyers_pinged,
            "total_bids": len(offered),
            "max_bid_price": to_json_number(record.max_bid_price) if offered else None,
            "execution_time_ms": round((time.monotonic() - request.arrived) * 1000),
        }
        if not offered:
            return Reply(Code.NO_BIDS, "no bids", body)
        return Reply(Code.OK, "", body)


def _exclusive(campaign_type: CampaignType, mode: str) -> bool:
    return campaign_type is CampaignType.EXCHANGE and mode == "exclusive"
