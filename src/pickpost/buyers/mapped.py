"""Mapped buyers (docs/buyers.md): requests built from the buyer's templates, answers read by its
rules, into the same answers as the native protocol. No I/O, no clock: ``now`` is given."""

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from urllib.parse import quote

from pickpost.buyers import bodies
from pickpost.buyers.answers import (
    MAX_PRICE_CENTS,
    MAX_REASON_LENGTH,
    MAX_TEXT_LENGTH,
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
from pickpost.buyers.paths import Document, UnreadableBody, read_document, read_path, value_text
from pickpost.buyers.wire import InboundResponse, OutboundRequest, PingOrder, PostOrder
from pickpost.domain.bids import RawBid
from pickpost.domain.ids import iso_utc
from pickpost.domain.mapping import (
    CONSENT,
    PING_RESPONSE,
    MappingConfig,
    Matcher,
    ResponseRules,
    StepConfig,
)
from pickpost.domain.money import parse_cents
from pickpost.domain.revocation import Revoked
from pickpost.domain.template import Context, Value, parse, parse_number, text_of
from pickpost.domain.workspace import BuyerConfig


def step_url(step: StepConfig, test: bool) -> str:
    """The URL (unrendered: no lead values) a step's calls are recorded under."""
    return (step.test_url if test else None) or step.url


def build_ping(mapping: MappingConfig, order: PingOrder) -> OutboundRequest | None:
    """The ping request; None when there is nothing to send (no ping step, or a test lead and
    no test URL)."""
    if mapping.ping is None:
        return None
    values = {**_lead_values(order.lead), **_system(order)}
    return _request(mapping.ping, Context(values, _moment(order.now)), order.test)


def build_post(mapping: MappingConfig, order: PostOrder) -> OutboundRequest | None:
    """The post request; None for a test lead when the post step has no test URL."""
    values: dict[str, Value] = {
        **_lead_values(order.lead),
        **_system(order),
        "lp_lead_id": order.lead_id,
        "lp_price": Decimal(order.price_cents).scaleb(-2),
        "lp_bid_token": order.token,
    }
    values.update(_prefixed(CONSENT, order.consent))
    if isinstance(order.ping_response, dict):
        values.update(_prefixed(PING_RESPONSE, order.ping_response))
    return _request(mapping.post, Context(values, _moment(order.now)), order.test)


def build_revoke(mapping: MappingConfig, revoked: Revoked) -> OutboundRequest | None:
    """The revocation request; None when the mapping has no revoke step."""
    if mapping.revoke is None:
        return None
    values: dict[str, Value] = {
        "lp_lead_id": revoked.lead_id,
        "lp_sale_id": revoked.sale_id,
        "lp_bid_id": revoked.bid_id,
        "lp_revoked_at": iso_utc(revoked.revoked_at.timestamp()),
        "lp_idempotency_key": revoked.idempotency_key,
    }
    return _request(mapping.revoke, Context(values, revoked.revoked_at), False)


def _moment(now: float) -> datetime:
    return datetime.fromtimestamp(now, UTC)


def _scalar(raw: object) -> Value:
    return raw if isinstance(raw, str | int | float | bool) else None


def _lead_values(lead: Mapping[str, object]) -> dict[str, Value]:
    return {name: _scalar(value) for name, value in lead.items()}


def _prefixed(prefix: str, values: Mapping[str, object]) -> dict[str, Value]:
    return {f"{prefix}{name}": _scalar(value) for name, value in values.items()}


def _system(order: PingOrder | PostOrder) -> dict[str, Value]:
    return {
        "lp_ping_id": order.ping_id,
        "lp_campaign_id": order.campaign_id,
        "lp_supplier_id": order.supplier_id,
        "lp_test": order.test,
        "lp_timestamp": iso_utc(order.now),
    }


def _request(step: StepConfig, context: Context, test: bool) -> OutboundRequest | None:
    url_template = step.test_url if test else step.url
    if url_template is None:
        return None
    # A value in a URL is one path segment or query value, whatever characters it holds.
    url = parse(url_template).render(context, escape=lambda text: quote(text, safe=""))
    headers = {name: _header(parse(value).render(context)) for name, value in step.headers.items()}
    body = b""
    if step.body is not None and step.format == "query":
        url = f"{url}{'&' if '?' in url else '?'}{bodies.form(step.body, context)}"
    elif step.body is not None:
        body = bodies.encode(step.format, step.body, context, step.xml_root)
        if not any(name.lower() == "content-type" for name in headers):
            headers["Content-Type"] = bodies.CONTENT_TYPES[step.format]
    return OutboundRequest(method=step.method, url=url, body=body, headers=headers)


def _header(text: str) -> str:
    # A line break in a header value would start a new header: values are one line.
    return "".join(c for c in text if c >= " " and c != "\x7f").strip()


def parse_ping(
    buyer: BuyerConfig, mapping: MappingConfig, response: InboundResponse, latency_ms: float
) -> PingAnswer:
    """A bid when the accepted rule holds and the price path reads a positive price."""
    if mapping.ping is None:
        return Invalid("this buyer takes no pings")
    rules = mapping.ping.response
    document = _document(rules, response)
    if isinstance(document, Invalid):
        return document
    reason = _reason(rules, document)
    if rules.duplicate is not None and matches(rules.duplicate, document):
        return NoBid(reason or "duplicate")
    if rules.accepted is not None and not matches(rules.accepted, document):
        return NoBid(reason or "no bid")
    amount = parse_number(_scalar(document.read(rules.price)))
    price = 0 if amount is None else parse_cents(amount)
    if price is None or price > MAX_PRICE_CENTS:
        # A number out of any range (``9`` sixty times) is as wrong as one over the cap.
        return Invalid(f"invalid bid price {clean_text(text_of(amount), 40)}")
    if price <= 0:
        return NoBid(reason or "no price")
    return RawBid(
        buyer_id=buyer.id,
        price=price,
        tcpa_entity_name=buyer.tcpa_entity_name,
        token=token_text(document.read(rules.token)) if rules.token else None,
        additional_data=dict(buyer.additional_data),
        latency_ms=latency_ms,
        ping_response=_carried(mapping, document),
    )


def _carried(mapping: MappingConfig, document: Document) -> dict[str, object] | None:
    """The values of the ping answer the post uses, by path: only those are kept with a bid."""
    paths = mapping.carried_paths
    if not paths:
        return None
    values = {path: _scalar(read_path(document.tree, path)) for path in paths}
    return {
        path: clean_text(value, MAX_TEXT_LENGTH) if isinstance(value, str) else value
        for path, value in values.items()
        if value is not None
    }


def parse_post(mapping: MappingConfig, response: InboundResponse) -> PostAnswer:
    """Accepted when the accepted rule holds, else a duplicate or a plain rejection."""
    rules = mapping.post.response
    document = _document(rules, response)
    if isinstance(document, Invalid):
        return document
    if matches(rules.accepted, document):
        found = {name: document.read(path) for name, path in rules.fields.items()}
        return Accepted(scalars(found))
    reason = _reason(rules, document)
    if rules.duplicate is not None and matches(rules.duplicate, document):
        return Rejected(reason or "duplicate", duplicate=True)
    return Rejected(reason or "rejected")


def _document(rules: ResponseRules, response: InboundResponse) -> Document | Invalid:
    # A 4xx may be how a buyer says no, and its rules read it; a server error never is, and a
    # redirect is not followed (what it points to was not the answer).
    if response.status >= 500 or 300 <= response.status < 400:
        return Invalid(f"HTTP {response.status}")
    try:
        return read_document(response, rules.format)
    except UnreadableBody as error:
        return Invalid(str(error))


def _reason(rules: ResponseRules, document: Document) -> str | None:
    if rules.reason is None:
        return None
    value = document.read(rules.reason)
    return None if value is None else clean_text(value_text(value), MAX_REASON_LENGTH)


def matches(matcher: Matcher, document: Document) -> bool:
    """Whether the rule holds for this answer; a path that reads nothing never matches."""
    if matcher.status is not None:
        return document.status == matcher.status
    value = document.text if matcher.path is None else document.read(matcher.path)
    if value is None:
        return False
    found = value_text(value)
    if matcher.equals is not None:
        return found.strip().casefold() == text_of(matcher.equals).casefold()
    if matcher.contains is not None:
        return matcher.contains.casefold() in found.casefold()
    return matcher.regex is not None and re.search(matcher.regex, found) is not None
