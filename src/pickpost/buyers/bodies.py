"""Request bodies of mapped buyers, each format escaped by its own writer, never by pasting text:
JSON by serialisation, form and query by URL-encoding, XML by the XML writer."""

import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Literal
from urllib.parse import urlencode
from xml.etree.ElementTree import Element, SubElement, tostring

import orjson
from pydantic import JsonValue

from pickpost.domain.template import Context, Value, parse, text_of

BodyFormat = Literal["json", "form", "xml", "query"]
CONTENT_TYPES: Mapping[BodyFormat, str] = {
    "json": "application/json",
    "form": "application/x-www-form-urlencoded",
    "xml": "application/xml",
}
XML_ROOT = "lead"
# Characters XML 1.0 cannot carry at all, not even escaped.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def json_value(value: Value) -> object:
    """A template value as JSON: a ``Decimal`` is an integer when written without decimals."""
    if isinstance(value, Decimal):
        return int(value) if value.as_tuple().exponent == 0 else float(value)
    return value


def fill(body: JsonValue, context: Context) -> object:
    """The JSON body with every text rendered; a text that is one tag keeps the value's type."""
    if isinstance(body, str):
        return json_value(parse(body).value(context))
    if isinstance(body, dict):
        return {key: fill(value, context) for key, value in body.items()}
    if isinstance(body, list):
        return [fill(value, context) for value in body]
    return body


def text(value: JsonValue, context: Context) -> str:
    """A flat body value as text: a rendered template, or a configured scalar's text."""
    if isinstance(value, str):
        return parse(value).render(context)
    if isinstance(value, int | float | bool):
        return text_of(value)
    return ""


def form(body: Mapping[str, JsonValue], context: Context) -> str:
    """``a=1&b=x+y``: flat values, URL-encoded."""
    return urlencode([(key, text(value, context)) for key, value in body.items()])


def xml(root: str, body: Mapping[str, JsonValue], context: Context) -> bytes:
    """``<root>…</root>``: maps become elements, lists repeated elements, values their text."""
    element = Element(root)
    _xml_children(element, body, context)
    written: bytes = tostring(element, encoding="utf-8", xml_declaration=True)
    return written


def _xml_children(parent: Element, body: Mapping[str, JsonValue], context: Context) -> None:
    for key, value in body.items():
        for item in value if isinstance(value, list) else [value]:
            child = SubElement(parent, key)
            if isinstance(item, dict):
                _xml_children(child, item, context)
            else:
                child.text = _NOT_XML.sub("", text(item, context))


def encode(
    format_: BodyFormat, body: Mapping[str, JsonValue], context: Context, xml_root: str | None
) -> bytes:
    """The request body for ``format_`` (``query`` is not a body: see ``form``)."""
    if format_ == "json":
        return orjson.dumps(fill(dict(body), context))
    if format_ == "xml":
        return xml(xml_root or XML_ROOT, body, context)
    return form(body, context).encode()
