"""The native buyer protocol (API.md 2.1): JSON in, JSON out, no mapping."""

from collections.abc import Mapping
from dataclasses import dataclass, field

import orjson

from pickpost.buyers.wire import InboundResponse, OutboundRequest
from pickpost.domain.bids import RawBid
from pickpost.domain.money import parse_cents, to_json_number
from pickpost.domain.workspace import BuyerConfig

TMAX_HEADER = "X-Pickpost-Tmax-Ms"
_JSON = "application/json"
MAX_PRICE_CENTS = 100_000_00  # a price above this is a buyer bug, not a bid
MAX_ENTITY_LENGTH = 200
MAX_DISPLAY_VALUES = 20
MAX_KEY_LENGTH = 100
MAX_TEXT_LENGTH = 2_048
MAX_REASON_LENGTH = 500


@dataclass(frozen=True, slots=True)
class NoBid:
    reason: str


@dataclass(frozen=True, slots=True)
class Invalid:
    """The buyer answered, but not in the protocol: recorded as an error with this reason."""

    reason: str


FieldValue = str | int | float | bool


@dataclass(frozen=True, slots=True)
class Accepted:
    """Sold; ``fields`` are the scalar values the buyer returned (nested ones are dropped)."""

    fields: dict[str, FieldValue] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Rejected:
    reason: str
    duplicate: bool = False


PingAnswer = RawBid | NoBid | Invalid
PostAnswer = Accepted | Rejected | Invalid


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
        url=buyer.ping_url or "",
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
        return NoBid(_text(data.get("reason"), MAX_REASON_LENGTH) or "no bid")
    if not isinstance(bid, dict):
        return Invalid("bid is not an object")
    price = parse_cents(bid.get("price"))
    if price is None or price <= 0 or price > MAX_PRICE_CENTS:
        return Invalid(f"invalid bid price {_text(repr(bid.get('price')), 40)}")
    token = bid.get("bid_id")
    entity = _text(bid.get("tcpa_entity_name"), MAX_ENTITY_LENGTH, fit=False)
    additional: dict[str, object] = dict(buyer.additional_data)
    extra = bid.get("additional_data")
    if isinstance(extra, dict):
        # Shown to consumers: a few short scalar values only.
        additional.update(_scalars(extra))
    return RawBid(
        buyer_id=buyer.id,
        price=price,
        tcpa_entity_name=entity or buyer.tcpa_entity_name,
        token=_token(token),
        additional_data=additional,
        latency_ms=latency_ms,
    )


def _scalars(values: dict[str, object]) -> dict[str, FieldValue]:
    """A few short scalar values from a buyer's object; text cleaned, the rest dropped."""
    kept: dict[str, FieldValue] = {}
    for key, value in values.items():
        if len(kept) == MAX_DISPLAY_VALUES:
            break
        name = _text(key, MAX_KEY_LENGTH, fit=False)
        if not name:
            continue
        if isinstance(value, str):
            text = _text(value, MAX_TEXT_LENGTH, fit=False)
            if text is not None:
                kept[name] = text
        elif isinstance(value, int | float):
            kept[name] = value
    return kept


def _text(raw: object, limit: int, fit: bool = True) -> str | None:
    """Buyer text as it may be stored and shown: control characters (NUL above all, which no
    database stores) removed, trimmed, and cut to ``limit`` – or refused when ``fit`` is false."""
    if not isinstance(raw, str):
        return None
    text = "".join(c for c in raw if c >= " " or c in "\t\n").strip()
    if len(text) > limit:
        return text[:limit] if fit else None
    return text or None


def _token(raw: object) -> str | None:
    if isinstance(raw, bool) or not isinstance(raw, str | int):
        return None
    return _text(str(raw), MAX_TEXT_LENGTH, fit=False)


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
        method="POST", url=buyer.post_url, body=orjson.dumps(body), headers={"Content-Type": _JSON}
    )


def parse_post(response: InboundResponse) -> PostAnswer:
    data = _json_object(response)
    if isinstance(data, Invalid):
        return data
    accepted = data.get("accepted")
    if accepted is True:
        raw_fields = data.get("fields")
        return Accepted(_scalars(raw_fields) if isinstance(raw_fields, dict) else {})
    if accepted is False:
        return Rejected(
            reason=_text(data.get("reason"), MAX_REASON_LENGTH) or "rejected",
            duplicate=data.get("duplicate") is True,
        )
    return Invalid("response has no boolean 'accepted'")
