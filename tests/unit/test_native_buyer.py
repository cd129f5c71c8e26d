"""The native buyer protocol (docs/buyer-protocol.md): requests built and answers read, no
network."""

import json
from collections.abc import Mapping
from typing import Any

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from pickpost.buyers import native
from pickpost.buyers.answers import (
    MAX_PRICE_CENTS,
    Accepted,
    Invalid,
    NoBid,
    PingAnswer,
    PostAnswer,
    Rejected,
)
from pickpost.buyers.native import TMAX_HEADER, build_post, parse_ping, parse_post
from pickpost.buyers.wire import InboundResponse, OutboundRequest, PingMemo, PingOrder
from pickpost.domain.bids import RawBid
from pickpost.domain.workspace import BuyerConfig
from tests.unit.factories import NO_DB, make_buyer

BUYER = make_buyer(
    id="sunco",
    tcpa_entity_name="SunCo Solar LLC",
    additional_data={"display_name": "SunCo", "phone": "8005550100"},
)
DEFAULT_DATA: dict[str, object] = {"display_name": "SunCo", "phone": "8005550100"}


def response(status: int, body: object = None, raw: bytes | None = None) -> InboundResponse:
    if raw is None:
        raw = b"" if body is None else orjson.dumps(body)
    return InboundResponse(status=status, body=raw)


def body_of(payload: bytes) -> dict[str, Any]:
    data = json.loads(payload)
    assert isinstance(data, dict)
    return data


# --- ping request ---------------------------------------------------------------------------------


def build_ping(
    buyer: BuyerConfig,
    ping_id: str,
    campaign_id: str,
    test: bool,
    tmax_ms: int,
    lead: Mapping[str, object],
    memo: PingMemo | None = None,
) -> OutboundRequest:
    order = PingOrder(ping_id, campaign_id, "7", test, tmax_ms, lead, 0.0, memo)
    return native.build_ping(buyer, order)


def whole_body(ping_id: str, campaign_id: str, test: bool, tmax: int, lead: object) -> bytes:
    """The body as one ``orjson.dumps`` of it all: what the spliced body must equal."""
    body = {"ping_id": ping_id, "campaign_id": campaign_id, "test": test, "tmax_ms": tmax}
    return orjson.dumps({**body, "lead": lead})


def test_build_ping() -> None:
    lead = {"zip_code": "78701", "state": "TX"}
    request = build_ping(BUYER, "p_1", "101", False, 750, lead)
    assert request.method == "POST"
    assert request.url == "http://127.0.0.1:9001/ping"
    assert request.headers == {"Content-Type": "application/json", "X-Pickpost-Tmax-Ms": "750"}
    assert TMAX_HEADER == "X-Pickpost-Tmax-Ms"
    assert body_of(request.body) == {
        "ping_id": "p_1",
        "campaign_id": "101",
        "test": False,
        "tmax_ms": 750,
        "lead": {"zip_code": "78701", "state": "TX"},
    }


@pytest.mark.parametrize(
    "lead",
    [
        {},
        {"zip_code": "78701"},
        {"zip_code": "78701", "home_owner": "yes", "age": 42, "verified": True, "score": 0.5},
    ],
)
def test_build_ping_sends_exactly_the_given_lead_fields(lead: dict[str, object]) -> None:
    request = build_ping(BUYER, "p_2", "101", True, 120, lead)
    body = body_of(request.body)
    assert body["lead"] == lead
    assert body["test"] is True
    assert body["tmax_ms"] == 120
    assert request.headers[TMAX_HEADER] == "120"


@NO_DB
@given(tmax=st.integers(min_value=0, max_value=60_000))
def test_tmax_header_and_body_agree(tmax: int) -> None:
    request = build_ping(BUYER, "p_3", "101", False, tmax, {})
    assert int(request.headers[TMAX_HEADER]) == body_of(request.body)["tmax_ms"] == tmax


JSON_LEAF = st.none() | st.booleans() | st.integers(-(2**63), 2**64 - 1) | st.text()
JSON_VALUES = st.recursive(
    JSON_LEAF | st.floats(allow_nan=False, allow_infinity=False),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=8,
)


@NO_DB
@given(
    ping_id=st.text(),
    campaign_id=st.text(),
    test=st.booleans(),
    lead=st.dictionaries(st.text(), JSON_VALUES, max_size=6),
    budgets=st.lists(st.integers(min_value=0, max_value=2**40), min_size=1, max_size=4),
)
def test_each_buyers_body_is_byte_for_byte_the_whole_bodys_encoding(
    ping_id: str, campaign_id: str, test: bool, lead: dict[str, object], budgets: list[int]
) -> None:
    """One ping's bodies share one encoding of all but ``tmax_ms`` (the memo); each is the
    bytes encoding its whole body at once gives."""
    memo = PingMemo()
    for tmax in budgets:
        sent = build_ping(BUYER, ping_id, campaign_id, test, tmax, lead, memo)
        assert sent.body == whole_body(ping_id, campaign_id, test, tmax, lead)
        assert sent.headers[TMAX_HEADER] == str(tmax)
    assert isinstance(memo.native_body, native.PingBody)


def test_a_memo_handed_another_pings_order_is_not_reused() -> None:
    """Each of the ping id, campaign, test flag and lead (by identity) tells pings apart."""
    lead: dict[str, object] = {"zip_code": "78701"}
    memo = PingMemo()
    pings: list[tuple[str, str, bool, Mapping[str, object]]] = [
        ("p_1", "101", False, lead),
        ("p_2", "101", False, lead),
        ("p_2", "102", False, lead),
        ("p_2", "102", True, lead),
        ("p_2", "102", True, {"zip_code": "10001"}),
    ]
    for ping_id, campaign_id, test, this_lead in pings:
        before = memo.native_body
        sent = build_ping(BUYER, ping_id, campaign_id, test, 500, this_lead, memo)
        assert sent.body == whole_body(ping_id, campaign_id, test, 500, this_lead)
        assert memo.native_body is not before


# --- ping answer ----------------------------------------------------------------------------------


def bid(**fields: object) -> dict[str, object]:
    return {"bid": {"price": 45.0, "bid_id": "buyer-token-123", **fields}}


def expected_bid(**overrides: Any) -> RawBid:
    data: dict[str, Any] = {
        "buyer_id": "sunco",
        "price": 4500,
        "tcpa_entity_name": "SunCo Solar LLC",
        "token": "buyer-token-123",
        "additional_data": DEFAULT_DATA,
        "latency_ms": 12.5,
    }
    data.update(overrides)
    return RawBid(**data)


PING_CASES: list[tuple[str, InboundResponse, PingAnswer]] = [
    ("204 is no bid", response(204), NoBid("no bid")),
    ("204 with a body is still no bid", response(204, {"bid": {"price": 5}}), NoBid("no bid")),
    ("bid null with reason", response(200, {"bid": None, "reason": "x"}), NoBid("x")),
    ("bid null without reason", response(200, {"bid": None}), NoBid("no bid")),
    ("bid null, empty reason", response(200, {"bid": None, "reason": ""}), NoBid("no bid")),
    ("bid null, reason not text", response(200, {"bid": None, "reason": 7}), NoBid("no bid")),
    ("an object without 'bid'", response(200, {"error": "down"}), Invalid("response has no 'bid'")),
    ("an empty object", response(200, {}), Invalid("response has no 'bid'")),
    (
        "nested display data is dropped, scalars kept",
        response(200, bid(additional_data={"deep": {"x": [1]}, "rating": 4.5, "l": [1]})),
        expected_bid(additional_data={**DEFAULT_DATA, "rating": 4.5}),
    ),
    (
        "a blank or NUL-only entity name falls back to the configured one",
        response(200, bid(tcpa_entity_name=" \u0000 ")),
        expected_bid(tcpa_entity_name="SunCo Solar LLC"),
    ),
    (
        "a no-bid reason is cleaned",
        response(200, {"bid": None, "reason": "out\u0000 of area"}),
        NoBid("out of area"),
    ),
    (
        "an overlong entity name falls back to the configured one",
        response(200, bid(tcpa_entity_name="x" * 201)),
        expected_bid(tcpa_entity_name="SunCo Solar LLC"),
    ),
    ("valid bid", response(200, bid()), expected_bid()),
    ("price as a string", response(200, bid(price="45.50")), expected_bid(price=4550)),
    ("integer price", response(200, bid(price=45)), expected_bid(price=4500)),
    ("sub-cent price rounds half-up", response(200, bid(price=0.005)), expected_bid(price=1)),
    ("highest price allowed", response(200, bid(price=100_000)), expected_bid(price=10_000_000)),
    (
        "entity from the bid",
        response(200, bid(tcpa_entity_name="SunCo Holdings")),
        expected_bid(tcpa_entity_name="SunCo Holdings"),
    ),
    (
        "empty entity falls back to the buyer's",
        response(200, bid(tcpa_entity_name="")),
        expected_bid(),
    ),
    (
        "additional data merged over the buyer's defaults",
        response(200, bid(additional_data={"phone": "8005550199", "slot": 2})),
        expected_bid(additional_data={"display_name": "SunCo", "phone": "8005550199", "slot": 2}),
    ),
    (
        "additional data that is not an object is ignored",
        response(200, bid(additional_data=["x"])),
        expected_bid(),
    ),
    ("numeric token kept as text", response(200, bid(bid_id=98765)), expected_bid(token="98765")),
    ("no token", response(200, {"bid": {"price": 45.0}}), expected_bid(token=None)),
    ("500", response(500, {"bid": {"price": 45.0}}), Invalid("HTTP 500")),
    ("302", response(302), Invalid("HTTP 302")),
    ("201 is not the protocol", response(201, bid()), Invalid("HTTP 201")),
    ("not JSON", response(200, raw=b"<html>no</html>"), Invalid("response is not JSON")),
    ("empty body", response(200, raw=b""), Invalid("response is not JSON")),
    ("JSON array", response(200, [bid()]), Invalid("response is not a JSON object")),
    ("JSON string", response(200, "bid"), Invalid("response is not a JSON object")),
    ("bid not an object", response(200, {"bid": 45.0}), Invalid("bid is not an object")),
    ("bid is a list", response(200, {"bid": [45.0]}), Invalid("bid is not an object")),
    ("negative price", response(200, bid(price=-1)), Invalid("invalid bid price -1")),
    ("zero price", response(200, bid(price=0)), Invalid("invalid bid price 0")),
    ("price rounds to zero", response(200, bid(price=0.004)), Invalid("invalid bid price 0.004")),
    ("junk price", response(200, bid(price="abc")), Invalid("invalid bid price 'abc'")),
    ("boolean price", response(200, bid(price=True)), Invalid("invalid bid price True")),
    ("null price", response(200, bid(price=None)), Invalid("invalid bid price None")),
    ("missing price", response(200, {"bid": {"bid_id": "t"}}), Invalid("invalid bid price None")),
    ("huge price", response(200, bid(price=100_000.01)), Invalid("invalid bid price 100000.01")),
    ("absurd price", response(200, bid(price=1e300)), Invalid("invalid bid price 1e+300")),
    ("price as object", response(200, bid(price={"v": 1})), Invalid("invalid bid price {'v': 1}")),
]


@pytest.mark.parametrize(
    ("answer", "expected"), [c[1:] for c in PING_CASES], ids=[c[0] for c in PING_CASES]
)
def test_parse_ping(answer: InboundResponse, expected: PingAnswer) -> None:
    assert parse_ping(BUYER, answer, 12.5) == expected


def test_price_limit_is_one_hundred_thousand_dollars() -> None:
    assert MAX_PRICE_CENTS == 10_000_000


def test_defaults_are_not_shared_between_bids() -> None:
    """Merging a bid's additional_data never changes the buyer's configured defaults."""
    first = parse_ping(BUYER, response(200, bid(additional_data={"phone": "1"})), 1.0)
    assert isinstance(first, RawBid)
    assert dict(BUYER.additional_data) == DEFAULT_DATA
    second = parse_ping(BUYER, response(200, bid()), 1.0)
    assert isinstance(second, RawBid)
    assert second.additional_data == DEFAULT_DATA


def test_buyer_without_defaults() -> None:
    plain: BuyerConfig = make_buyer(additional_data={})
    answer = parse_ping(plain, response(200, bid()), 3.0)
    assert isinstance(answer, RawBid)
    assert answer.additional_data == {}
    assert answer.latency_ms == 3.0


@NO_DB
@given(cents=st.integers(min_value=1, max_value=MAX_PRICE_CENTS))
def test_any_valid_price_is_read_to_the_cent(cents: int) -> None:
    answer = parse_ping(BUYER, response(200, bid(price=cents / 100)), 1.0)
    assert isinstance(answer, RawBid)
    assert answer.price == cents


@NO_DB
@given(payload=st.binary(max_size=64), status=st.sampled_from([200, 204, 400, 500]))
def test_parse_ping_never_raises(payload: bytes, status: int) -> None:
    answer = parse_ping(BUYER, response(status, raw=payload), 1.0)
    assert isinstance(answer, RawBid | NoBid | Invalid)


# --- post request ---------------------------------------------------------------------------------

CONSENT: dict[str, object] = {
    "tcpa_entity_name": "SunCo Solar LLC",
    "consented_at": "2026-11-27T10:05:00Z",
    "tcpa_text": "By clicking…",
    "ip_address": "203.0.113.9",
    "user_agent": "Mozilla/5.0",
    "landing_page_url": "https://supplier.example/solar",
    "trustedform_cert_url": "https://cert.trustedform.com/abc",
    "jornaya_leadid": "LEAD-1",
}


def test_build_post() -> None:
    lead = {"zip_code": "78701", "phone": "5125550100", "email": "a@b.example"}
    request = build_post(
        BUYER,
        lead_id="l_1",
        ping_id="p_1",
        token="buyer-token-123",
        price_cents=4500,
        test=False,
        lead=lead,
        consent=CONSENT,
    )
    assert request.method == "POST"
    assert request.url == "http://127.0.0.1:9001/post"
    assert request.headers == {"Content-Type": "application/json"}
    body = body_of(request.body)
    assert body == {
        "lead_id": "l_1",
        "ping_id": "p_1",
        "bid_id": "buyer-token-123",
        "price": 45.0,
        "test": False,
        "lead": lead,
        "consent": CONSENT,
    }
    assert isinstance(body["price"], float)


@pytest.mark.parametrize(
    ("cents", "text"), [(4250, b'"price":42.5'), (4501, b'"price":45.01'), (1, b'"price":0.01')]
)
def test_post_price_is_a_json_number_in_dollars(cents: int, text: bytes) -> None:
    request = build_post(
        BUYER,
        lead_id="l_1",
        ping_id="p_1",
        token=None,
        price_cents=cents,
        test=True,
        lead={},
        consent={},
    )
    assert text in request.body
    body = body_of(request.body)
    assert body["bid_id"] is None
    assert body["test"] is True


# --- post answer ----------------------------------------------------------------------------------

POST_CASES: list[tuple[str, InboundResponse, PostAnswer]] = [
    (
        "NUL and control characters are removed from buyer text",
        response(200, {"accepted": False, "reason": "dup\u0000li\u0007cate "}),
        Rejected("duplicate"),
    ),
    (
        "a long reason is cut",
        response(200, {"accepted": False, "reason": "r" * 5000}),
        Rejected("r" * 500),
    ),
    (
        "sold fields are cleaned; text that does not fit is dropped",
        response(
            200,
            {
                "accepted": True,
                "fields": {
                    "redirect_url": "https://x.test/\u0000a",
                    "huge": "h" * 3000,
                    "ba\u0000d": 1,
                },
            },
        ),
        Accepted({"redirect_url": "https://x.test/a", "bad": 1}),
    ),
    (
        "accepted with fields",
        response(200, {"accepted": True, "fields": {"redirect_url": "https://s.example/w"}}),
        Accepted({"redirect_url": "https://s.example/w"}),
    ),
    ("accepted without fields", response(200, {"accepted": True}), Accepted({})),
    (
        "scalar field values kept as sent; nulls and nested values dropped",
        response(
            200,
            {
                "accepted": True,
                "fields": {
                    "ref": 123,
                    "gone": None,
                    "id": "a",
                    "ok": True,
                    "deep": {"x": 1},
                    "list": [1],
                },
            },
        ),
        Accepted({"ref": 123, "id": "a", "ok": True}),
    ),
    ("fields not an object", response(200, {"accepted": True, "fields": ["x"]}), Accepted({})),
    (
        "rejected with reason",
        response(200, {"accepted": False, "reason": "outside service area"}),
        Rejected("outside service area", duplicate=False),
    ),
    (
        "rejected as duplicate",
        response(200, {"accepted": False, "reason": "duplicate", "duplicate": True}),
        Rejected("duplicate", duplicate=True),
    ),
    (
        "duplicate flag must be true itself",
        response(200, {"accepted": False, "reason": "dup", "duplicate": "yes"}),
        Rejected("dup", duplicate=False),
    ),
    ("rejected without reason", response(200, {"accepted": False}), Rejected("rejected")),
    (
        "rejected, empty reason",
        response(200, {"accepted": False, "reason": ""}),
        Rejected("rejected"),
    ),
    (
        "missing accepted",
        response(200, {"fields": {}}),
        Invalid("response has no boolean 'accepted'"),
    ),
    (
        "accepted as text",
        response(200, {"accepted": "true"}),
        Invalid("response has no boolean 'accepted'"),
    ),
    (
        "accepted as 1",
        response(200, {"accepted": 1}),
        Invalid("response has no boolean 'accepted'"),
    ),
    (
        "accepted null",
        response(200, {"accepted": None}),
        Invalid("response has no boolean 'accepted'"),
    ),
    ("500", response(500, {"accepted": True}), Invalid("HTTP 500")),
    ("204", response(204), Invalid("HTTP 204")),
    ("not JSON", response(200, raw=b"OK"), Invalid("response is not JSON")),
    ("JSON array", response(200, [{"accepted": True}]), Invalid("response is not a JSON object")),
]


@pytest.mark.parametrize(
    ("answer", "expected"), [c[1:] for c in POST_CASES], ids=[c[0] for c in POST_CASES]
)
def test_parse_post(answer: InboundResponse, expected: PostAnswer) -> None:
    assert parse_post(answer) == expected


@NO_DB
@given(payload=st.binary(max_size=64), status=st.sampled_from([200, 204, 400, 500]))
def test_parse_post_never_raises(payload: bytes, status: int) -> None:
    assert isinstance(parse_post(response(status, raw=payload)), Accepted | Rejected | Invalid)
