"""What a buyer call's record keeps of the wire: credentials withheld by header name and by the
values a buyer's mapping declares, bodies cut at the cap and marked, every value sealed."""

from multidict import istr

from pickpost.buyers.secrets import declared_secrets
from pickpost.domain.mapping import MappingConfig
from pickpost.domain.outcomes import BuyerCall, CallStep, Exchange, Outcome
from pickpost.infra.sql.rows import BODY_CAP_BYTES, WITHHELD, body_record, call_row, headers_record


def clear(values: dict[str, object]) -> dict[str, object]:
    return values


def sealed(values: dict[str, object]) -> dict[str, object]:
    return {key: f"sealed({value})" for key, value in values.items()}


def mapping() -> MappingConfig:
    return MappingConfig.model_validate(
        {
            "ping": {
                "url": "https://buyer.example/ping",
                "headers": {"X-Api-Key": "k-0123456789", "Authorization": "Bearer {{lp_ping_id}}"},
                "body": {"zip": "{{zip_code}}", "auth": {"api_token": "tok-abcdefgh"}},
                "response": {"price": "bid"},
            },
            "post": {
                "url": "https://buyer.example/post",
                "body": {"phone": "{{phone}}"},
                "response": {"accepted": {"path": "ok", "equals": "yes"}},
            },
        }
    )


def test_a_mapping_declares_the_literal_text_of_its_secret_headers_and_fields() -> None:
    assert set(declared_secrets(mapping())) == {"k-0123456789", "tok-abcdefgh"}


def test_each_mapping_has_its_own_secrets_found_once() -> None:
    first = mapping()
    found = declared_secrets(first)
    assert declared_secrets(first) is found
    other = MappingConfig.model_validate(
        {
            "post": {
                "url": "https://other.example/post",
                "headers": {"X-Api-Key": "other-key-987654"},
                "response": {"accepted": {"path": "ok", "equals": "yes"}},
            }
        }
    )
    assert declared_secrets(other) == ("other-key-987654",)
    assert declared_secrets(first) == found


def test_credential_headers_are_withheld_and_declared_secrets_scrubbed() -> None:
    headers = {
        "Authorization": "Bearer x",
        "Cookie": "a=b",
        "X-Api-Key": "k",
        "Content-Type": "application/json",
        "X-Echo": "key was k-0123456789",
    }
    recorded = headers_record(headers, ("k-0123456789",), clear)
    assert recorded == {
        "Authorization": WITHHELD,
        "Cookie": WITHHELD,
        "X-Api-Key": WITHHELD,
        "Content-Type": "application/json",
        "X-Echo": f"key was {WITHHELD}",
    }


def test_a_body_over_the_cap_is_cut_and_marked() -> None:
    body = b"x" * (BODY_CAP_BYTES + 10)
    recorded = body_record(body, (), clear)
    assert recorded == {"text": "x" * BODY_CAP_BYTES, "bytes": len(body), "truncated": True}
    small = body_record(b'{"token":"tok-abcdefgh","a":"\x00"}', ("tok-abcdefgh",), clear)
    assert small["text"] == '{"token":"[withheld]","a":"\ufffd"}'
    assert small["truncated"] is False


def test_every_recorded_value_is_sealed() -> None:
    sent = Exchange({"Content-Type": "application/json"}, b'{"phone":"5125550142"}')
    call = BuyerCall(
        "alpha",
        CallStep.POST,
        "https://buyer.example/post",
        Outcome.ACCEPTED,
        "",
        1.0,
        5.0,
        200,
        1000,
        sent.answered({"Set-Cookie": "s=1", "Server": "x"}, b'{"accepted":true}'),
    )
    row = call_row(call, None, "l_1", sealed)
    assert row["request_body"] == {
        "text": 'sealed({"phone":"5125550142"})',
        "bytes": 22,
        "truncated": False,
    }
    assert row["request_headers"] == {"Content-Type": "sealed(application/json)"}
    assert row["response_headers"] == {"Set-Cookie": f"sealed({WITHHELD})", "Server": "sealed(x)"}
    assert row["response_body"]["text"] == 'sealed({"accepted":true})'


def test_a_call_never_sent_records_no_wire() -> None:
    call = BuyerCall.unanswered("alpha", CallStep.PING, "", Outcome.SKIPPED, "paused", 1.0)
    row = call_row(call, "p_1", None, sealed)
    assert [row[c] for c in ("request_headers", "request_body", "response_body")] == [None] * 3


def test_header_names_as_aiohttp_hands_them_are_recorded_as_plain_text() -> None:
    recorded = headers_record({istr("Content-Type"): "text/xml"}, (), clear)
    (name,) = recorded
    assert type(name) is str
