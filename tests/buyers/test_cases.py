"""Mapped buyers by example: every ``cases/<rule-kind>/<case>.yaml`` is one buyer, one call.

A case gives the buyer's config and the lead (``input``), the request Pickpost must build from
them (``request``; null when nothing is sent), a canned ``response``, and the ``outcome`` it must
come to. The cases double as the examples in docs/buyers.md.
"""

from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
import yaml

from pickpost.buyers import adapter
from pickpost.buyers.answers import Accepted, Invalid, NoBid, PingAnswer, PostAnswer, Rejected
from pickpost.buyers.wire import InboundResponse, OutboundRequest, PingOrder, PostOrder
from pickpost.domain.bids import RawBid
from pickpost.domain.money import to_cents
from pickpost.domain.workspace import BuyerConfig

CASES = Path(__file__).parent / "cases"
NOW = "2026-03-01T12:00:00Z"
BUYER_DEFAULTS = {"id": "acme", "tcpa_entity_name": "Acme Insurance LLC"}


def case_files() -> list[Path]:
    return sorted(path for path in CASES.rglob("*.yaml") if path.parent.name != "transformers")


def load(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict), path
    return data


def epoch(text: str) -> float:
    return datetime.fromisoformat(text).timestamp()


def build(buyer: BuyerConfig, step: str, given: Mapping[str, Any]) -> OutboundRequest | None:
    common: dict[str, Any] = {
        "ping_id": given.get("ping_id", "p_1"),
        "campaign_id": given.get("campaign_id", "101"),
        "supplier_id": given.get("supplier_id", "7"),
        "test": given.get("test", False),
        "lead": given.get("lead", {}),
        "now": epoch(given.get("now", NOW)),
    }
    if step == "ping":
        return adapter.adapter_for(buyer).build_ping(
            PingOrder(tmax_ms=given.get("tmax_ms", 750), **common)
        )
    return adapter.adapter_for(buyer).build_post(
        PostOrder(
            lead_id=given.get("lead_id", "l_1"),
            token=given.get("token"),
            price_cents=to_cents(given.get("price", "45.00")),
            consent=given.get("consent", {}),
            ping_response=given.get("ping_response"),
            **common,
        ),
    )


def check_request(sent: OutboundRequest | None, expected: Mapping[str, Any] | None) -> None:
    if expected is None:
        assert sent is None
        return
    assert sent is not None
    assert sent.method == expected.get("method", "POST")
    assert sent.url == expected["url"]
    assert dict(sent.headers) == expected.get("headers", {})
    body = expected.get("body")
    if body is None:
        assert sent.body == b""
    elif isinstance(body, str):
        assert sent.body.decode() == body
    else:
        # JSON compared as data, with types: 45 and "45" differ, as do 45.0 and "45.00".
        assert orjson.loads(sent.body) == body


def canned(response: Mapping[str, Any]) -> InboundResponse:
    body = response.get("body", "")
    raw = body.encode() if isinstance(body, str) else orjson.dumps(body)
    headers = {"Content-Type": response["content_type"]} if "content_type" in response else {}
    return InboundResponse(status=response.get("status", 200), body=raw, headers=headers)


def outcome_of(answer: PingAnswer | PostAnswer) -> dict[str, Any]:
    """An answer in the cases' words."""
    if isinstance(answer, RawBid):
        bid: dict[str, Any] = {"price": answer.price / 100}
        if answer.token is not None:
            bid["token"] = answer.token
        if answer.ping_response is not None:
            bid["ping_response"] = answer.ping_response
        return {"bid": bid}
    if isinstance(answer, NoBid):
        return {"no_bid": answer.reason}
    if isinstance(answer, Invalid):
        return {"invalid": answer.reason}
    if isinstance(answer, Accepted):
        return {"accepted": answer.fields}
    assert isinstance(answer, Rejected)
    return {"duplicate" if answer.duplicate else "rejected": answer.reason}


@pytest.mark.parametrize(
    "path", case_files(), ids=lambda path: str(path.relative_to(CASES).with_suffix(""))
)
def test_case(path: Path) -> None:
    case = load(path)
    assert case.keys() <= {"about", "buyer", "step", "input", "request", "response", "outcome"}
    buyer = BuyerConfig.model_validate({**BUYER_DEFAULTS, **case["buyer"]})
    step = case["step"]
    check_request(build(buyer, step, case.get("input", {})), case["request"])
    if case["request"] is None:
        assert "response" not in case
        return
    response = canned(case["response"])
    if step == "ping":
        answer: PingAnswer | PostAnswer = adapter.adapter_for(buyer).parse_ping(
            response, latency_ms=12.0
        )
    else:
        answer = adapter.parse_post(buyer, response)
    assert outcome_of(answer) == case["outcome"]


def test_every_rule_kind_and_body_format_has_a_case() -> None:
    kinds = {path.parent.name for path in case_files()}
    assert kinds >= {"accepted", "duplicate", "price", "fields", "text", "errors", "formats"}
    formats = set()
    for path in case_files():
        case = load(path)
        mapping = case["buyer"].get("mapping")
        if mapping is not None:
            formats.add(mapping[case["step"]].get("format", "json"))
    assert formats == {"json", "form", "xml", "query"}
