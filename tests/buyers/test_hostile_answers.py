"""Answers no buyer should send, read by the adapter: each is a defined answer (a no-bid or an
invalid answer with its reason), never an exception, and no text it yields breaks storage.

Some were refused before by the parsers themselves (orjson: surrogates, invalid UTF-8, ``1e400``;
defusedxml: entities): they stay here so that a parser change cannot quietly undo them."""

from typing import Any

import orjson
import pytest

from pickpost.buyers import adapter, native
from pickpost.buyers.answers import Accepted, Invalid, NoBid, clean_text
from pickpost.buyers.wire import InboundResponse
from pickpost.domain.bids import RawBid
from pickpost.domain.workspace import BuyerConfig

NATIVE = BuyerConfig.model_validate(
    {"id": "n", "tcpa_entity_name": "N", "ping_url": "http://n/p", "post_url": "http://n/q"}
)


def mapped(response: dict[str, Any], post: dict[str, Any] | None = None) -> BuyerConfig:
    post_rules = post or {"accepted": {"path": "result", "equals": "ok"}}
    return BuyerConfig.model_validate(
        {
            "id": "m",
            "tcpa_entity_name": "M",
            "mapping": {
                "ping": {"url": "http://m/p", "response": response},
                "post": {"url": "http://m/q", "response": post_rules},
            },
        }
    )


def json_answer(body: object, status: int = 200) -> InboundResponse:
    return InboundResponse(status, orjson.dumps(body), {"Content-Type": "application/json"})


def nested(depth: int) -> bytes:
    return b'{"result": ' + b"[" * depth + b"]" * depth + b"}"


@pytest.mark.parametrize(
    ("price", "reason"),
    [
        ("1e999999", "invalid bid price '1e999999'"),
        ("-1e999999", "invalid bid price '-1e999999'"),
        ("NaN", "invalid bid price 'NaN'"),
        ("Infinity", "invalid bid price 'Infinity'"),
        (1e300, "invalid bid price 1e+300"),
    ],
)
def test_a_native_price_out_of_any_range_is_invalid(price: object, reason: str) -> None:
    answer = adapter.adapter_for(NATIVE).parse_ping(json_answer({"bid": {"price": price}}), 1.0)
    assert answer == Invalid(reason)


def test_a_mapped_price_too_long_for_decimal_arithmetic_is_invalid() -> None:
    buyer = mapped({"price": "price"})
    answer = adapter.adapter_for(buyer).parse_ping(json_answer({"price": "9" * 60}), 1.0)
    assert isinstance(answer, Invalid)
    assert answer.reason.startswith("invalid bid price 999")


@pytest.mark.parametrize("status", [301, 302, 307])
def test_a_redirect_is_an_invalid_answer_for_mapped_buyers_too(status: int) -> None:
    # Rules would read a bid or a sale in the redirect's body; what it points to was not fetched.
    buyer = mapped({"price": "price"}, {"accepted": {"path": "result", "equals": "ok"}})
    assert adapter.adapter_for(buyer).parse_ping(json_answer({"price": 9}, status), 1.0) == Invalid(
        f"HTTP {status}"
    )
    answer = adapter.parse_post(buyer, json_answer({"result": "ok"}, status))
    assert answer == Invalid(f"HTTP {status}")


def test_json_nested_past_the_limit_is_unreadable_not_an_exception() -> None:
    # The rule shows what it reads as JSON, which orjson writes only 254 levels deep.
    buyer = mapped({"price": "price", "accepted": {"path": "result", "equals": "ok"}})
    response = InboundResponse(200, nested(300), {"Content-Type": "application/json"})
    expected = Invalid("response JSON is nested deeper than 64")
    assert adapter.adapter_for(buyer).parse_ping(response, 1.0) == expected
    assert adapter.parse_post(buyer, response) == expected


def test_json_nested_within_the_limit_is_read() -> None:
    buyer = mapped({"price": "price", "accepted": {"path": "result", "equals": "ok"}})
    response = InboundResponse(200, nested(63), {"Content-Type": "application/json"})
    assert adapter.adapter_for(buyer).parse_ping(response, 1.0) == NoBid("no bid")


def test_an_xml_bomb_is_refused_before_any_entity_is_expanded() -> None:
    laughs = "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))
    doctype = f'<!DOCTYPE r [<!ENTITY l0 "lol">{laughs}]>'
    body = f'<?xml version="1.0"?>{doctype}<r><price>&l9;</price></r>'
    buyer = mapped({"format": "xml", "price": "r/price"})
    answer = adapter.adapter_for(buyer).parse_ping(InboundResponse(200, body.encode()), 1.0)
    assert answer == Invalid("response is not XML")


@pytest.mark.parametrize(
    "body",
    [
        b'{"bid": {"price": 9, "tcpa_entity_name": "X\\ud800"}}',  # a lone surrogate escape
        b'{"bid": {"price": 9, "bid_id": "\xed\xa0\x80"}}',  # an encoded surrogate: not UTF-8
        b'{"bid": {"price": 9, "bid_id": "\xff"}}',
        b'{"bid": {"price": 1e400}}',
    ],
)
def test_json_no_database_could_store_is_not_json(body: bytes) -> None:
    assert adapter.adapter_for(NATIVE).parse_ping(InboundResponse(200, body), 1.0) == Invalid(
        "response is not JSON"
    )


def test_post_fields_too_large_for_a_double_are_not_json() -> None:
    body = b'{"accepted": true, "fields": {"n": 1e400}}'
    answer = adapter.parse_post(NATIVE, InboundResponse(200, body))
    assert answer == Invalid("response is not JSON")


def test_buyer_text_loses_lone_surrogates_whatever_parsed_it() -> None:
    assert clean_text("Acme\ud800 \udfffLLC\x00", 100) == "Acme LLC"
    assert clean_text("\U0001f600 ok", 100) == "\U0001f600 ok"  # a real pair is a character


def test_every_control_character_goes_but_tab_and_newline() -> None:
    controls = "".join(chr(code) for code in range(0x20))
    assert clean_text(f"x{controls}y\x7f", 100) == "x\t\ny\x7f"


def test_a_post_parser_that_fails_makes_an_invalid_answer(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(response: InboundResponse) -> Accepted:
        raise KeyError("555-0142")  # an unforeseen bug, its message quoting the lead

    monkeypatch.setattr(native, "parse_post", broken)
    answer = adapter.parse_post(NATIVE, json_answer({"accepted": True}))
    assert answer == Invalid("internal error reading the answer (KeyError)")


def test_a_sane_bid_still_reads() -> None:
    answer = adapter.adapter_for(NATIVE).parse_ping(json_answer({"bid": {"price": "12.50"}}), 1.0)
    assert isinstance(answer, RawBid)
    assert answer.price == 1250
