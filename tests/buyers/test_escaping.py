"""Lead text reaches the buyer intact and cannot change the request's structure: each format is
escaped by its own writer (JSON serialised, form and query URL-encoded, XML written)."""

import json
from collections.abc import Mapping
from urllib.parse import parse_qs, unquote, urlsplit

from defusedxml.ElementTree import fromstring
from hypothesis import given, settings
from hypothesis import strategies as st

from pickpost.buyers import adapter
from pickpost.buyers.wire import OutboundRequest, PingOrder
from pickpost.domain.workspace import BuyerConfig

NO_DB = settings(database=None)
NOW = 1_772_366_400.0  # 2026-03-01T12:00:00Z


def buyer(step: Mapping[str, object]) -> BuyerConfig:
    post = {"url": "https://buyer.example/post", "response": {"accepted": {"status": 200}}}
    return BuyerConfig.model_validate(
        {
            "id": "acme",
            "tcpa_entity_name": "Acme",
            "mapping": {"ping": {**step, "response": {"price": "price"}}, "post": post},
        }
    )


def ping(step: Mapping[str, object], value: str) -> OutboundRequest:
    request = adapter.adapter_for(buyer(step)).build_ping(
        PingOrder(
            ping_id="p_1",
            campaign_id="101",
            supplier_id="7",
            test=False,
            tmax_ms=500,
            lead={"v": value},
            now=NOW,
        ),
    )
    assert request is not None
    return request


URL = "https://buyer.example/ping"


@NO_DB
@given(st.text())
def test_json_round_trip(value: str) -> None:
    body = {"a": "{{v}}", "b": "<{{v}}>", "n": {"list": ["{{v}}"]}}
    sent = json.loads(ping({"url": URL, "format": "json", "body": body}, value).body)
    assert sent == {"a": value, "b": f"<{value}>", "n": {"list": [value]}}


@NO_DB
@given(st.text())
def test_form_round_trip(value: str) -> None:
    request = ping({"url": URL, "format": "form", "body": {"a": "{{v}}", "b": "x"}}, value)
    expected = {"a": [value], "b": ["x"]} if value else {"b": ["x"]}
    assert parse_qs(request.body.decode(), keep_blank_values=False) == expected


@NO_DB
@given(st.text())
def test_query_and_url_round_trip(value: str) -> None:
    step = {"url": URL + "/{{v}}?k=1", "method": "GET", "format": "query", "body": {"a": "{{v}}"}}
    url = urlsplit(ping(step, value).url)
    assert (url.scheme, url.netloc) == ("https", "buyer.example")
    assert unquote(url.path) == f"/ping/{value}"
    assert parse_qs(url.query, keep_blank_values=True) == {"k": ["1"], "a": [value]}


# XML 1.0 cannot carry most control characters at all, and parsers read a line end as "\n".
XML_TEXT = st.text(
    st.characters(exclude_categories=["Cs"], exclude_characters="\r\x0b\x0c\ufffe\uffff")
).map(lambda text: "".join(c for c in text if c >= " " or c in "\t\n"))


@NO_DB
@given(XML_TEXT)
def test_xml_round_trip(value: str) -> None:
    step = {"url": URL, "format": "xml", "body": {"a": "{{v}}", "b": {"c": "[{{v}}]"}}}
    root = fromstring(ping(step, value).body)
    assert root.tag == "lead"
    assert (root.findtext("a"), root.findtext("b/c")) == (value, f"[{value}]")


@NO_DB
@given(st.text())
def test_xml_drops_what_xml_cannot_carry(value: str) -> None:
    root = fromstring(ping({"url": URL, "format": "xml", "body": {"a": "{{v}}"}}, value).body)
    assert root.findtext("a") is not None


@NO_DB
@given(st.text())
def test_a_header_value_stays_one_line(value: str) -> None:
    request = ping({"url": URL, "headers": {"X-V": "{{v}}"}}, value)
    header = request.headers["X-V"]
    assert not any(c < " " or c == "\x7f" for c in header)
    assert header == header.strip()
