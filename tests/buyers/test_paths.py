"""Buyer answers as documents: format detection, JSON and XML trees, values by path."""

import pytest

from pickpost.buyers.paths import (
    MAX_DEPTH,
    Document,
    UnreadableBody,
    detect_format,
    read_document,
    read_path,
    value_text,
)
from pickpost.buyers.wire import InboundResponse

JSON_TREE = {"bids": [{"price": 12.5, "id": 7}, {"price": None}], "ok": True, "a.b": 1}


def document(body: str, content_type: str = "", format_: str | None = None) -> Document:
    headers = {"content-type": content_type} if content_type else {}
    response = InboundResponse(200, body.encode(), headers)
    return read_document(response, format_)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("ok", True),
        ("bids.0.price", 12.5),
        ("bids.0.id", 7),
        ("bids.1.price", None),
        ("bids.2.price", None),
        ("bids.x", None),
        ("bids.0.price.more", None),
        ("nothing", None),
        ("bids", [{"price": 12.5, "id": 7}, {"price": None}]),
        ("a.b", None),  # dots always separate; such a key is out of reach
        ("bids/0/price", 12.5),  # slashes separate too
    ],
)
def test_read_json_by_path(path: str, value: object) -> None:
    assert read_path(JSON_TREE, path) == value


XML = """<?xml version="1.0"?>
<response xmlns="urn:buyer" status="ok">
  <bid id="b-1"><amount currency="USD">12.50</amount><note/></bid>
  <error>first</error><error>second</error>
</response>"""


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("response/@status", "ok"),
        ("response/bid/@id", "b-1"),
        ("response/bid/amount", "12.50"),  # an element's text, even beside attributes
        ("response/bid/amount/@currency", "USD"),
        ("response/bid/note", ""),
        ("response/error/0", "first"),
        ("response/error/1", "second"),
        ("/response/bid/amount", "12.50"),
        ("response.bid.amount", "12.50"),
        ("bid/amount", None),  # paths start at the root element
    ],
)
def test_read_xml_by_path(path: str, value: object) -> None:
    assert document(XML, "application/xml").read(path) == value


def test_xml_tree_shape() -> None:
    tree = document("<r a='1'>t<c>x</c><c>y</c><d><e>z</e></d></r>", "text/xml").tree
    assert tree == {"r": {"@a": "1", "c": ["x", "y"], "d": {"e": "z"}, "#text": "t"}}


@pytest.mark.parametrize(
    ("content_type", "body", "kind"),
    [
        ("application/json; charset=utf-8", "<x/>", "json"),
        ("application/vnd.api+json", "", "json"),
        ("text/xml", "{}", "xml"),
        ("application/soap+xml", "", "xml"),
        ("text/plain", '  {"a": 1}', "json"),
        ("", "[1]", "json"),
        ("", "\n<r/>", "xml"),
        ("text/html", "OK", "text"),
        ("", "", "text"),
    ],
)
def test_detect_format(content_type: str, body: str, kind: str) -> None:
    assert detect_format(content_type, body.encode()) == kind


def test_text_paths_are_patterns_only_when_the_format_says_text() -> None:
    assert document("price=8.75", format_="text").read(r"price=([\d.]+)") == "8.75"
    assert document("price=8.75", format_="text").read(r"price=[\d.]+") == "price=8.75"
    assert document("price=8.75", format_="text").read("bid") is None
    assert document("price=8.75").read(r"price=([\d.]+)") is None


@pytest.mark.parametrize(
    ("body", "content_type", "message"),
    [
        ("{", "application/json", "response is not JSON"),
        ("<a>", "application/xml", "response is not XML"),
        ('<!DOCTYPE a [<!ENTITY e "x">]><a>&e;</a>', "", "response is not XML"),
        (
            '<!DOCTYPE a [<!ENTITY e SYSTEM "file:///etc/hostname">]><a>&e;</a>',
            "",
            "response is not XML",
        ),
        (
            "<a>" * (MAX_DEPTH + 1) + "</a>" * (MAX_DEPTH + 1),
            "",
            f"response XML is nested deeper than {MAX_DEPTH}",
        ),
    ],
)
def test_unreadable_bodies(body: str, content_type: str, message: str) -> None:
    with pytest.raises(UnreadableBody, match=message):
        document(body, content_type)


def test_deep_but_allowed_xml_reads() -> None:
    body = "<a>" * MAX_DEPTH + "x" + "</a>" * MAX_DEPTH
    assert document(body).read("/".join(["a"] * MAX_DEPTH)) == "x"


def test_empty_body_reads_nothing_whatever_the_format() -> None:
    assert document("", "application/json", "json").read("a") is None
    assert document("  ", format_="xml").tree is None


@pytest.mark.parametrize(
    ("value", "text"),
    [(None, ""), ("x", "x"), (True, "true"), (12.5, "12.5"), ({"a": [1]}, '{"a":[1]}')],
)
def test_value_text(value: object, text: str) -> None:
    assert value_text(value) == text
