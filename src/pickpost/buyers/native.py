"""The native buyer protocol (docs/buyer-protocol.md): JSON in, JSON out, no mapping."""

from collections.abc import Mapping

import orjson

from pickpost.buyers.answers import (
    MAX_PRICE_CENTS,
    MAX_REASON_LENGTH,
    Accepted,
    Invalid,
    NoBid,
    PingAnswer,
    PostAnswer,
    Rejected,
    clean_text,
    scalars,
    token_text,
)
from pickpost.buyers.wire import InboundResponse, OutboundRequest
from pickpost.domain.bids import RawBid
from pickpost.domain.ids import iso_utc
from pickpost.domain.money import parse_cents, to_json_number
from pickpost.domain.revocation import Revoked
from pickpost.domain.workspace import BuyerConfig

TMAX_HEADER = "X-Pickpost-Tmax-Ms"
_JSON = "application/json"
MAX_ENTITY_LENGTH = 200


def ping_url(buyer: BuyerConfig, test: bool) -> str | None:
    """Where pings go: the test URL for test leads when the buyer has one."""
    return (buyer.test_ping_url if test else None) or buyer.ping_url


def post_url(buyer: BuyerConfig, test: bool) -> str:
    """Where posts go: the test URL for test leads when the buyer has one."""
    return (buyer.test_post_url if test else None) or buyer.post_url or ""


def build_ping(
    buyer: BuyerConfig,
    ping_id: str,
    campaign_id: str,
    test: bool,
    tmax_ms: int,
    lead: Mapping[str, object],
) -> OutboundRequest:
    body = {
        "ping_id": ping_id,
        "campaign_id": campaign_id,
        "test": test,
        "tmax_ms": tmax_ms,
        "lead": lead,
    }
    return OutboundRequest(
        method="POST",
        url=ping_url(buyer, test) or "",
        body=orjson.dumps(body),
        headers={"Content-Type": _JSON, TMAX_HEADER: str(tmax_ms)},
    )


def _json_object(response: InboundResponse) -> dict[str, object] | Invalid:
    if response.status != 200:
        return Invalid(f"HTTP {response.status}")
    try:
        data = orjson.loads(response.body)
    except orjson.JSONDecodeError:
        return Invalid("response is not JSON")
    if not isinstance(data, dict):
        return Invalid("response is not a JSON object")
    return data


def parse_ping(buyer: BuyerConfig, response: InboundResponse, latency_ms: float) -> PingAnswer:
    if response.status == 204:
        return NoBid("no bid")
    data = _json_object(response)
    if isinstance(data, Invalid):
        return data
    if "bid" not in data:
        return Invalid("response has no 'bid'")
    bid = data["bid"]
    if bid is None:
        return NoBid(clean_text(data.get("reason"), MAX_REASON_LENGTH) or "no bid")
    if not isinstance(bid, dict):
        return Invalid("bid is not an object")
    price = parse_cents(bid.get("price"))
    if price is None or price <= 0 or price > MAX_PRICE_CENTS:
        return Invalid(f"invalid bid price {clean_text(repr(bid.get('price')), 40)}")
    token = bid.get("bid_id")
    entity = clean_text(bid.get("tcpa_entity_name"), MAX_ENTITY_LENGTH, fit=False)
    additional: dict[str, object] = dict(buyer.additional_data)
    extra = bid.get("additional_data")
    if isinstance(extra, dict):
        # Shown to consumers: a few short scalar values only.
        additional.update(scalars(extra))
    return RawBid(
        buyer_id=buyer.id,
        price=price,
        tcpa_entity_name=entity or buyer.tcpa_entity_name,
        token=token_text(token),
        additional_data=additional,
        latency_ms=latency_ms,
    )


def build_post(
    buyer: BuyerConfig,
    *,
    lead_id: str,
    ping_id: str,
    token: str | None,
    price_cents: int,
    test: bool,
    lead: Mapping[str, object],
    consent: Mapping[str, object],
) -> OutboundRequest:
    body = {
        "lead_id": lead_id,
        "ping_id": ping_id,
        "bid_id": token,
        "price": to_json_number(price_cents),
        "test": test,
        "lead": lead,
        "consent": consent,
    }
    return OutboundRequest(
        method="POST",
        url=post_url(buyer, test),
        body=orjson.dumps(body),
        headers={"Content-Type": _JSON},
    )


def build_revoke(buyer: BuyerConfig, revoked: Revoked) -> OutboundRequest | None:
    """The revocation call (docs/buyer-protocol.md, "Revocation"); None without a revoke_url."""
    if buyer.revoke_url is None:
        return None
    body = {
        "type": "revocation",
        "lead_id": revoked.lead_id,
        "sale_id": revoked.sale_id,
        "bid_id": revoked.bid_id,
        "revoked_at": iso_utc(revoked.revoked_at.timestamp()),
        "idempotency_key": revoked.idempotency_key,
    }
    return OutboundRequest(
        method="POST",
        url=str(buyer.revoke_url),
        body=orjson.dumps(body),
        headers={"Content-Type": _JSON, "Idempotency-Key": revoked.idempotency_key},
    )


def parse_post(response: InboundResponse) -> PostAnswer:
    data = _json_object(response)
    if isinstance(data, Invalid):
        return data
    accepted = data.get("accepted")
    if accepted is True:
        raw_fields = data.get("fields")
        return Accepted(scalars(raw_fields) if isinstance(raw_fields, dict) else {})
    if accepted is False:
        return Rejected(
            reason=clean_text(data.get("reason"), MAX_REASON_LENGTH) or "rejected",
            duplicate=data.get("duplicate") is True,
        )
    return Invalid("response has no boolean 'accepted'")
