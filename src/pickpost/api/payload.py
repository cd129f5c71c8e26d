"""Supplier request bodies: JSON or form data, with query parameters merged in."""

import json
import math
from collections import Counter
from urllib.parse import parse_qsl

from starlette.requests import ClientDisconnect, Request

from pickpost.domain.errors import Code, Refusal

MAX_BODY_BYTES = 256 * 1024
MAX_DEPTH = 16
_INT64 = 2**63
_FORM = "application/x-www-form-urlencoded"


async def read_payload(request: Request) -> dict[str, object] | Refusal:
    """The request's fields; the body wins over the query string."""
    query = request.query_params.multi_items()
    try:
        body = await _read_body(request)
    except ClientDisconnect:
        return Refusal(Code.MALFORMED, "the client disconnected before sending the whole body")
    if body is None:
        return Refusal(Code.MALFORMED, f"body larger than {MAX_BODY_BYTES} bytes")
    parsed = _parse(body, request.headers.get("content-type", ""))
    if isinstance(parsed, Refusal):
        return parsed
    for pairs in (query, parsed if isinstance(parsed, list) else []):
        repeated = sorted(k for k, n in Counter(k for k, _ in pairs).items() if n > 1)
        if repeated:
            # Which of two values did the consumer mean? Refuse rather than guess.
            return Refusal(Code.MALFORMED, f"parameter given more than once: {', '.join(repeated)}")
    data: dict[str, object] = dict(query)
    data.update(parsed)
    problem = _shape_problem(data)
    if problem:
        return Refusal(Code.MALFORMED, problem)
    return data


async def _read_body(request: Request) -> bytes | None:
    """The body, or None when it is over the limit (stopping as soon as it is)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        return None
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            return None
    return bytes(body)


def _parse(body: bytes, content_type: str) -> dict[str, object] | list[tuple[str, str]] | Refusal:
    if not body.strip():
        return {}
    media = content_type.split(";")[0].strip().lower()
    if media == _FORM:
        try:
            return parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=True)
        except (UnicodeDecodeError, ValueError):
            return Refusal(Code.MALFORMED, "body is not valid form data")
    if media == "multipart/form-data":
        return Refusal(Code.MALFORMED, "send JSON or application/x-www-form-urlencoded")
    try:
        parsed = json.loads(body, object_pairs_hook=_unique_keys, parse_constant=_no_constant)
    except _RepeatedKey as repeated:
        return Refusal(Code.MALFORMED, f"parameter given more than once: {repeated}")
    except (ValueError, RecursionError):
        return Refusal(Code.MALFORMED, "body is not valid JSON")
    if not isinstance(parsed, dict):
        return Refusal(Code.MALFORMED, "body must be a JSON object")
    return parsed


class _RepeatedKey(ValueError):
    pass


def _unique_keys(pairs: list[tuple[str, object]]) -> dict[str, object]:
    # A JSON object with a key twice is as ambiguous as a repeated form parameter.
    found: dict[str, object] = {}
    for key, value in pairs:
        if key in found:
            raise _RepeatedKey(key)
        found[key] = value
    return found


def _no_constant(name: str) -> object:
    raise ValueError(f"{name} is not JSON")


def _shape_problem(data: dict[str, object]) -> str:
    """What no lead may hold: NUL characters (no database stores them in text), numbers that
    are not finite or do not fit in 64 bits (the JSON tools of every store stop there), or
    nesting deeper than any lead needs. Walked iteratively."""
    stack: list[tuple[object, int]] = [(data, 0)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_DEPTH:
            return f"values nested deeper than {MAX_DEPTH} levels"
        if isinstance(value, str):
            if "\x00" in value:
                return "NUL characters are not allowed"
        elif isinstance(value, float):
            if not math.isfinite(value):
                return "numbers must be finite"
        elif isinstance(value, int):
            if not -_INT64 <= value < _INT64:
                return "whole numbers must fit in 64 bits (send larger ones as text)"
        elif isinstance(value, dict):
            stack.extend((k, depth) for k in value)
            stack.extend((v, depth + 1) for v in value.values())
        elif isinstance(value, list):
            stack.extend((v, depth + 1) for v in value)
    return ""
