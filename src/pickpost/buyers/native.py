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
from pickpost.buyers.wire import InboundResponse, OutboundRequest, PingOrder
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


class PingBody:
    """A ping's native body but for ``tmax_ms``, encoded once: every native buyer of one ping is
    sent the same ping id, campaign, test flag and lead, so each buyer's body is this with its
    own budget spliced in, byte for byte what encoding the whole body gives."""

    __slots__ = ("_head", "_key", "_lead", "_tail")

    def __init__(
        self, ping_id: str, campaign_id: str, test: bool, lead: Mapping[str, object]
    ) -> None:
        head = orjson.dumps({"ping_id": ping_id, "campaign_id": campaign_id, "test": test})
        tail = orjson.dumps({"lead": lead})
        self._head = head[:-1] + b',"tmax_ms":'  # the object left open after "test"
        self._tail = b"," + tail[1:]  # "lead" and the closing brace
        self._key = (ping_id, campaign_id, test)
        self._lead = lead

    def fits(self, order: PingOrder) -> bool:
        """Whether this is the body of ``order``'s ping (the very same lead object)."""
        key = (order.ping_id, order.campaign_id, order.test)
        return order.lead is self._lead and key == self._key

    def encode(self, tmax_ms: int) -> bytes:
        return b"%b%d%b" % (self._head, tmax_ms, self._tail)


def build_ping(buyer: BuyerConfig, order: PingOrder) -> OutboundRequest:
    """The ping; its body's shared part is encoded by the first native buyer of the ping and
    kept in the order's ``memo`` for the others."""
    memo = order.memo
    body = None if memo is None else memo.native_body
    if not isinstance(body, PingBody) or not body.fits(order):
        body = PingBody(order.ping_id, order.campaign_id, order.test, order.lead)
        if memo is not None:
            memo.native_body = body
    tmax_ms = order.tmax_ms
    return OutboundRequest(
        "POST",
        ping_url(buyer, order.test) or "",
        body.encode(tmax_ms),
        {"Content-Type": _JSON, TMAX_HEADER: str(tmax_ms)},
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
