"""A buyer's answer as a document, and values read from it by path.

JSON is read as is. XML (parsed with defusedxml: no entities, no external references) becomes the
same kind of tree: ``{"response": {"bid": {"@id": "7", "amount": "12.50"}}}`` – repeated
elements become lists, attributes ``@name`` keys, text beside children or attributes ``#text``,
namespaces are dropped. So one path reader serves both, and a parsed ping answer can be stored.
"""

import re
from dataclasses import dataclass
from typing import Literal
from xml.etree.ElementTree import Element, ParseError

import orjson
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from pickpost.buyers.wire import InboundResponse
from pickpost.domain.template import text_of

Format = Literal["json", "xml", "text"]
MAX_DEPTH = 64  # no buyer's answer is nested deeper; one that is, is refused
TEXT_KEY = "#text"


class UnreadableBody(ValueError):
    """The body is not the JSON or XML it claims (or was detected) to be."""


@dataclass(frozen=True, slots=True)
class Document:
    """An answer ready to read: its status, its body as text, and for JSON and XML its tree.

    ``patterns`` says that paths are regular expressions over the text (``format: text``).
    """

    status: int
    text: str
    tree: object = None
    patterns: bool = False

    def read(self, path: str) -> object:
        """The value at ``path``, or None when there is none."""
        if self.patterns:
            match = re.search(path, self.text)
            if match is None:
                return None
            return match.group(1) if match.re.groups else match.group(0)
        return read_path(self.tree, path)


def detect_format(content_type: str, body: bytes) -> Format:
    """JSON or XML by Content-Type, else by the first character; text otherwise."""
    kind = content_type.lower()
    if "json" in kind:
        return "json"
    if "xml" in kind:
        return "xml"
    start = body.lstrip()[:1]
    if start in (b"{", b"["):
        return "json"
    if start == b"<":
        return "xml"
    return "text"


def read_document(response: InboundResponse, format_: Format | None) -> Document:
    """Parse an answer; raises ``UnreadableBody`` when it is not the JSON or XML it should be.

    An empty body is an empty document whatever the format: every path reads nothing.
    """
    status, body = response.status, response.body
    text = body.decode("utf-8", errors="replace")
    content_type = next(
        (value for name, value in response.headers.items() if name.lower() == "content-type"), ""
    )
    kind = format_ or detect_format(content_type, body)
    if not body.strip() or kind == "text":
        return Document(status, text, patterns=format_ == "text")
    if kind == "json":
        try:
            tree = orjson.loads(body)
        except orjson.JSONDecodeError:
            raise UnreadableBody("response is not JSON") from None
        if _deeper_than(tree, MAX_DEPTH):
            # Rules show objects they read as JSON, which orjson writes only 254 levels deep.
            raise UnreadableBody(f"response JSON is nested deeper than {MAX_DEPTH}")
        return Document(status, text, tree)
    try:
        root = fromstring(body)
    except (ParseError, DefusedXmlException):
        raise UnreadableBody("response is not XML") from None
    return Document(status, text, {_local(root.tag): _xml_tree(root, 1)})


def _deeper_than(tree: object, limit: int) -> bool:
    """Whether objects and lists nest more than ``limit`` levels deep; level by level, without
    recursion, so a tree as deep as the JSON parser allows is measured like a flat one."""
    level = [tree]
    for _ in range(limit + 1):
        containers = [node for node in level if isinstance(node, dict | list)]
        if not containers:
            return False
        level = [
            child
            for node in containers
            for child in (node.values() if isinstance(node, dict) else node)
        ]
    return True


def _local(name: str) -> str:
    return name.rpartition("}")[2]


def _xml_tree(element: Element, depth: int) -> object:
    if depth > MAX_DEPTH:
        raise UnreadableBody(f"response XML is nested deeper than {MAX_DEPTH}")
    text = (element.text or "").strip()
    if not len(element) and not element.attrib:
        return text
    node: dict[str, object] = {f"@{_local(k)}": v for k, v in element.attrib.items()}
    for child in element:
        name, value = _local(child.tag), _xml_tree(child, depth + 1)
        if name not in node:
            node[name] = value
        elif isinstance(siblings := node[name], list):
            siblings.append(value)
        else:
            node[name] = [siblings, value]
    if text:
        node[TEXT_KEY] = text
    return node


def segments(path: str) -> list[str]:
    """``bids.0.price`` or ``response/bid/amount``: split on ``/`` when there is one."""
    return path.strip("/").split("/") if "/" in path else path.split(".")


def read_path(tree: object, path: str) -> object:
    """The value at ``path`` (list items by index), or None; an XML element's text when the
    path ends on an element with attributes."""
    node = tree
    for segment in segments(path):
        if isinstance(node, dict):
            node = node.get(segment)
        elif isinstance(node, list) and segment.isdigit() and int(segment) < len(node):
            node = node[int(segment)]
        else:
            return None
    if isinstance(node, dict) and TEXT_KEY in node:
        return node[TEXT_KEY]
    return node


def value_text(value: object) -> str:
    """The text form of a value read from a document: scalars as templates show them, objects
    and lists as JSON."""
    if value is None or isinstance(value, str | int | float | bool):
        return text_of(value)
    return orjson.dumps(value).decode()
