"""A mapping is checked whole at load: what is refused, and how the error names the key."""

from typing import Any

import pytest
from pydantic import ValidationError

from pickpost.domain.mapping import MappingConfig
from pickpost.domain.workspace import BuyerConfig
from pickpost.infra.workspace_file import WorkspaceError, parse_workspace
from tests.unit.factories import campaign_dict

PING: dict[str, Any] = {"url": "https://buyer.example/ping", "response": {"price": "bid.amount"}}
POST: dict[str, Any] = {
    "url": "https://buyer.example/post",
    "response": {"accepted": {"path": "result", "equals": "ok"}},
}


def mapping(ping: dict[str, Any] | None = None, **post: Any) -> dict[str, Any]:
    return {"ping": {**PING, **(ping or {})}, "post": {**POST, **post}}


def error(data: dict[str, Any]) -> str:
    with pytest.raises(ValidationError) as caught:
        MappingConfig.model_validate(data)
    return str(caught.value)


def test_a_full_mapping_loads() -> None:
    config = MappingConfig.model_validate(
        mapping(
            {
                "method": "GET",
                "format": "query",
                "url": "https://buyer.example/ping/{{lp_campaign_id}}?src={{lp_supplier_id}}",
                "test_url": "https://buyer.example/ping?test=1",
                "headers": {"Authorization": "Bearer abc"},
                "body": {"zip": "{{zip_code}}", "n": 1},
                "response": {
                    "format": "xml",
                    "accepted": {"path": "r/result", "equals": "ok"},
                    "duplicate": {"path": "r/reason", "contains": "dup"},
                    "price": "r/bid/amount",
                    "token": "r/bid/@id",
                    "reason": "r/message",
                },
            },
            format="xml",
            xml_root="Lead",
            body={"Quote": "{{ping_response.r.bid.@id}}", "Items": [{"A": "1"}, {"A": "2"}]},
        )
    )
    assert config.carried_paths == ("r.bid.@id",)


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (mapping({"url": "ftp://buyer.example/p"}), "not an http(s) URL"),
        (mapping({"url": "https://{{host}}/p"}), "scheme and host of a URL must be literal"),
        (mapping({"url": "{{base}}/p"}), "scheme and host of a URL must be literal"),
        (mapping({"url": "https://b.example/{{zip|nope}}"}), "unknown transformer 'nope'"),
        (mapping({"test_url": "https://b.example/ p"}), "not an http(s) URL"),
        (mapping({"body": {"a": {"b": "{{x|substr}}"}}}), "body.a.b: substr takes 1 to 2"),
        (mapping({"body": {"a": ["{{x"]}}), "body.a.0: unclosed"),
        (mapping({"headers": {"X-A": "{{x|upper:1}}"}}), "X-A: upper takes 0"),
        (mapping({"headers": {"Bad Name": "x"}}), "'Bad Name' is not a header name"),
        (mapping({"method": "GET", "body": {"a": "1"}}), "a GET sends no body"),
        (mapping({"method": "DELETE"}), "Input should be 'GET', 'POST' or 'PUT'"),
        (mapping({"format": "form", "body": {"a": {"b": "1"}}}), "form bodies are flat"),
        (mapping({"format": "query", "body": {"a": [1]}}), "query bodies are flat"),
        (mapping({"format": "xml", "body": {"1a": "x"}}), "'1a' is not an XML element name"),
        (mapping({"format": "xml", "body": {"a": [["x"]]}}), "no list in a list"),
        (mapping({"xml_root": "Lead"}), "xml_root is only for format: xml"),
        (
            mapping({"body": {"id": "{{lp_lead_id}}"}}),
            "'lp_lead_id' is not a system value of the ping",
        ),
        (mapping({"body": {"p": "{{lp_price}}"}}), "'lp_price' is not a system value of the ping"),
        (mapping({"body": {"c": "{{lp_consent.ip_address}}"}}), "not a system value of the ping"),
        (mapping({"body": {"r": "{{ping_response.a}}"}}), "not a system value of the ping"),
        (mapping(body={"x": "{{lp_pingid}}"}), "'lp_pingid' is not a system value of the post"),
        (mapping(body={"x": "{{lp_consent.shoe_size}}"}), "unknown consent value"),
        (mapping({"response": {}}), "price\n  Field required"),
        (mapping({"response": {"price": ""}}), "at least 1 character"),
        (mapping({"response": {"price": "a..b"}}), "path 'a..b' has an empty segment"),
        (mapping({"response": {"price": "a", "fields": {"x": "y"}}}), "Extra inputs"),
        (mapping(response={"fields": {"x": "y"}}), "accepted\n  Field required"),
        (mapping(response={"accepted": {"path": "a"}}), "exactly one of equals, contains"),
        (
            mapping(response={"accepted": {"path": "a", "equals": 1, "contains": "1"}}),
            "exactly one of equals, contains",
        ),
        (
            mapping(response={"accepted": {"path": "a", "status": 200}}),
            "a status rule takes no path",
        ),
        (mapping(response={"accepted": {"path": "a", "regex": "(x"}}), "bad regular expression"),
        (mapping(response={"accepted": {"status": 99}}), "greater than or equal to 100"),
        (
            mapping({"response": {"format": "text", "price": "price=(\\d+"}}),
            "bad regular expression",
        ),
        (
            mapping(response={"format": "text", "accepted": {"path": "a", "contains": "OK"}}),
            "text rules match the whole body",
        ),
        ({"post": {**POST, "body": {"t": "{{ping_response.bid.id}}"}}}, "there is no ping step"),
        ({"ping": PING}, "post\n  Field required"),
    ],
)
def test_refused(data: dict[str, Any], words: str) -> None:
    assert words in error(data)


def buyer(**overrides: Any) -> BuyerConfig:
    return BuyerConfig.model_validate({"id": "acme", "tcpa_entity_name": "Acme", **overrides})


@pytest.mark.parametrize(
    ("overrides", "words"),
    [
        ({"mapping": mapping(), "post_url": "https://b.example/p"}, "from the mapping only"),
        ({"mapping": mapping(), "test_ping_url": "https://b.example/p"}, "from the mapping only"),
        ({"ping_url": "https://b.example/p"}, "give post_url, or a mapping"),
        (
            {"post_url": "https://b.example/p", "test_ping_url": "https://b.example/t"},
            "test_ping_url needs a ping_url",
        ),
        ({"mapping": {"post": POST}}, "a buyer without a ping step needs a price"),
        ({"post_url": "https://b.example/p"}, "a buyer without a ping step needs a price"),
    ],
)
def test_buyer_refused(overrides: dict[str, Any], words: str) -> None:
    with pytest.raises(ValidationError, match=words):
        buyer(**overrides)


def test_buyers_with_a_mapping_or_native_urls_load() -> None:
    assert buyer(mapping=mapping()).mapping is not None
    assert buyer(mapping={"post": POST}, price={"static": 5}).mapping is not None
    native = buyer(
        ping_url="https://b.example/ping",
        post_url="https://b.example/post",
        test_ping_url="https://b.example/test/ping",
        test_post_url="https://b.example/test/post",
    )
    assert native.mapping is None


def test_workspace_error_names_the_campaign_buyer_and_key() -> None:
    broken = mapping({"body": {"applicant": {"st": "{{state|uper}}"}}})
    campaign = campaign_dict(buyers=[{"id": "acme", "tcpa_entity_name": "Acme", "mapping": broken}])
    with pytest.raises(WorkspaceError) as caught:
        parse_workspace({"campaigns": [campaign]}, "ws.yaml")
    assert str(caught.value).splitlines() == [
        "ws.yaml is not a valid workspace:",
        "  campaign '101' buyer 'acme': mapping.ping.body:"
        " body.applicant.st: unknown transformer 'uper'",
    ]


def test_workspace_error_for_a_response_rule() -> None:
    broken = mapping(response={"accepted": {"path": "a", "regex": "(x"}})
    campaign = campaign_dict(buyers=[{"id": "acme", "tcpa_entity_name": "Acme", "mapping": broken}])
    with pytest.raises(WorkspaceError) as caught:
        parse_workspace({"campaigns": [campaign]}, "ws.yaml")
    assert "campaign '101' buyer 'acme': mapping.post.response.accepted.regex:" in str(caught.value)
