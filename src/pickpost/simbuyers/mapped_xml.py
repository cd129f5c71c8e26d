"""The ``mapped_xml`` dialect: a simulated buyer with its own API rather than the native one.

Its ping takes form fields and answers XML; its post takes form fields or JSON and answers XML
with a redirect. Pickpost reaches it through a mapping (docs/buyers.md); the answers are built
by the XML writer, so any scripted text is escaped.
"""

from urllib.parse import parse_qsl
from xml.etree.ElementTree import Element, SubElement, tostring

import orjson

from pickpost.simbuyers.script import BuyerScript, PostOutcome


def read_fields(raw: bytes) -> dict[str, object] | None:
    """A request body as fields: a JSON object, or form fields; None for anything else."""
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return _form(raw)
    return data if isinstance(data, dict) else None


def _form(raw: bytes) -> dict[str, object] | None:
    text = raw.decode("utf-8", errors="replace")
    try:
        return dict(parse_qsl(text, keep_blank_values=True, strict_parsing=True))
    except ValueError:
        return None


def _xml(**children: str | dict[str, str]) -> bytes:
    root = Element("response")
    for name, value in children.items():
        child = SubElement(root, name)
        if isinstance(value, dict):
            for inner, text in value.items():
                SubElement(child, inner).text = text
        else:
            child.text = value
    written: bytes = tostring(root, encoding="utf-8")
    return written


def ping_xml(price: float | None, bid_id: str) -> bytes:
    """``<response><result>ok</result><bid><amount>12.50</amount><id>…</id></bid></response>``,
    or ``<result>no_bid</result>`` with a message."""
    if price is None:
        return _xml(result="no_bid", message="no coverage")
    return _xml(result="ok", bid={"amount": f"{price:.2f}", "id": bid_id})


def post_xml(script: BuyerScript, outcome: PostOutcome, lead_id: str) -> bytes:
    """``<result>accepted</result>`` with the redirect (``{lead_id}`` filled from the post's
    ``lead_id`` field), ``rejected`` with the script's reason, or ``duplicate``."""
    if outcome == "duplicate":
        return _xml(result="duplicate", message="duplicate lead")
    if outcome == "rejected":
        return _xml(result="rejected", message=script.reject_reason)
    if script.redirect_url is None:
        return _xml(result="accepted")
    return _xml(result="accepted", redirect=script.redirect_url.replace("{lead_id}", lead_id))
