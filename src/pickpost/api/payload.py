"""Supplier request bodies: JSON or form data, with query parameters merged in.

Everything a request carries is refused here, with ``1000``, unless it is text every store and
encoder downstream takes as it is: nothing is replaced or guessed, so what the supplier sent is
what is sold, or the supplier learns why not before any buyer is pinged or any cap reserved.
"""

import codecs
import json
import math
from collections import Counter
from urllib.parse import parse_qsl

from starlette.requests import ClientDisconnect, Request

from pickpost.domain.errors import Code, Refusal

MAX_BODY_BYTES = 256 * 1024
MAX_DEPTH = 16
MAX_ITEMS = 1000  # keys and array items in one request, nested ones and the query string's too
MAX_KEY_CHARS = 256
_INT64 = 2**63
_FORM = "application/x-www-form-urlencoded"
# The charsets a body may declare, by Python's name for them; UTF-8 when none is declared.
_LABELS = {"utf-8": "UTF-8", "ascii": "US-ASCII", "iso8859-1": "ISO-8859-1"}
_UTF8_BOM = b"\xef\xbb\xbf"

Pairs = list[tuple[str, str]]


class _Malformed(ValueError):
    """Input refused with a message for the supplier (never quoting the input)."""


async def read_payload(request: Request) -> dict[str, object] | Refusal:
    """The request's fields; the body wins over the query string."""
    try:
        raw_query = request.scope.get("query_string", b"")
        query = _form_pairs(raw_query, "utf-8", "query string", strict=False) if raw_query else []
        body = await _read_body(request)
        if body is None:
            raise _Malformed(f"body larger than {MAX_BODY_BYTES} bytes")
        parsed = _parse(body, request.headers.get("content-type", ""))
        for pairs in (query, parsed if isinstance(parsed, list) else []):
            _refuse_repeated(pairs)
        data: dict[str, object] = dict(query)
        data.update(parsed)
        _check_shape(data)
    except ClientDisconnect:
        return Refusal(Code.MALFORMED, "the client disconnected before sending the whole body")
    except _Malformed as malformed:
        return Refusal(Code.MALFORMED, str(malformed))
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


def _parse(body: bytes, content_type: str) -> dict[str, object] | Pairs:
    if not body.removeprefix(_UTF8_BOM).strip():
        return {}
    media, _, params = content_type.partition(";")
    media = media.strip().lower()
    if media == "multipart/form-data":
        raise _Malformed("send JSON or application/x-www-form-urlencoded")
    if not media:
        # No Content-Type: a JSON document starts with a bracket; anything else is read as the
        # form it would be with `curl -d`.
        start = body.removeprefix(_UTF8_BOM).lstrip()[:1]
        media = "application/json" if start in (b"{", b"[") else _FORM
    codec = _charset(params)
    if media == _FORM:
        return _form_pairs(body, codec, "body", strict=True)
    text = _decode(body, codec, f"body is not valid {_LABELS[codec]} text")
    try:
        parsed = _DECODER.decode(text)
    except _Malformed:
        raise
    except (ValueError, RecursionError):
        raise _Malformed("body is not valid JSON") from None
    if not isinstance(parsed, dict):
        raise _Malformed("body must be a JSON object")
    return parsed


def _charset(params: str) -> str:
    """Python's codec for the Content-Type's charset parameter (UTF-8 when there is none)."""
    for param in params.split(";"):
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset":
            label = value.strip().strip('"')
            try:
                codec = codecs.lookup(label).name
            except LookupError:
                codec = ""
            if codec not in _LABELS:
                raise _Malformed("unsupported charset: send UTF-8 (or US-ASCII, ISO-8859-1)")
            return codec
    return "utf-8"


def _decode(raw: bytes, codec: str, problem: str) -> str:
    try:
        # A UTF-8 byte order mark is dropped: some tools write one, and it is not a character.
        return raw.decode("utf-8-sig" if codec == "utf-8" else codec)
    except UnicodeDecodeError:
        raise _Malformed(problem) from None


def _form_pairs(raw: bytes, codec: str, where: str, *, strict: bool) -> Pairs:
    """``a=1&b=2`` as pairs. Raw bytes and percent escapes are decoded alike: what is not valid
    ``codec`` text is refused, never silently replaced."""
    problem = f"{where} is not valid {_LABELS[codec]} form data"
    text = _decode(raw, codec, problem)
    if text.count("&") >= MAX_ITEMS:
        raise _Malformed(f"{where} has more than {MAX_ITEMS} parameters")
    try:
        return parse_qsl(
            text, keep_blank_values=True, strict_parsing=strict, encoding=codec, errors="strict"
        )
    except ValueError:  # UnicodeDecodeError among them
        raise _Malformed(problem) from None


def _refuse_repeated(pairs: Pairs) -> None:
    keys = [k for k, _ in pairs]
    if len(set(keys)) == len(keys):
        return
    repeated = sorted(k for k, n in Counter(keys).items() if n > 1)
    if repeated:
        # Which of two values did the consumer mean? Refuse rather than guess.
        raise _Malformed(f"parameter given more than once: {', '.join(_names(repeated))}")


def _names(keys: list[str]) -> list[str]:
    # Keys are echoed only once they are known to be valid, short text.
    return [
        k if len(k) <= MAX_KEY_CHARS and not _text_problem(k) else "(invalid key)" for k in keys
    ]


def _unique_keys(pairs: list[tuple[str, object]]) -> dict[str, object]:
    # A JSON object with a key twice is as ambiguous as a repeated form parameter.
    found: dict[str, object] = {}
    for key, value in pairs:
        if key in found:
            raise _Malformed(f"parameter given more than once: {_names([key])[0]}")
        found[key] = value
    return found


def _no_constant(name: str) -> object:
    raise ValueError(f"{name} is not JSON")


# One decoder for every body: ``json.loads`` with these options builds a new one each call.
_DECODER = json.JSONDecoder(object_pairs_hook=_unique_keys, parse_constant=_no_constant)


def _check_shape(data: dict[str, object]) -> None:
    """Refuse what no lead may hold: text that is not Unicode every store takes (NUL, lone
    surrogates), numbers that are not finite or do not fit in 64 bits (the JSON tools of every
    store stop there), nesting deeper or wider than any lead needs, and overlong keys. Walked
    iteratively."""
    stack: list[tuple[object, int]] = [(data, 0)]
    items = 0
    while stack:
        value, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise _Malformed(f"values nested deeper than {MAX_DEPTH} levels")
        if isinstance(value, str):
            problem = _text_problem(value)
        elif isinstance(value, float):
            problem = "" if math.isfinite(value) else "numbers must be finite"
        elif isinstance(value, int):
            fits = -_INT64 <= value < _INT64
            problem = "" if fits else "whole numbers must fit in 64 bits (send larger ones as text)"
        elif isinstance(value, dict):
            items += len(value)
            problem = next(filter(None, map(_key_problem, value)), "")
            stack.extend((v, depth + 1) for v in value.values())
        elif isinstance(value, list):
            items += len(value)
            problem = ""
            stack.extend((v, depth + 1) for v in value)
        else:
            problem = ""
        if problem:
            raise _Malformed(problem)
        if items > MAX_ITEMS:
            raise _Malformed(f"more than {MAX_ITEMS} keys and array items")


def _key_problem(key: str) -> str:
    if len(key) > MAX_KEY_CHARS:
        return f"keys must be at most {MAX_KEY_CHARS} characters"
    return _text_problem(key)


def _text_problem(text: str) -> str:
    if "\x00" in text:
        return "NUL characters are not allowed"
    try:
        # Only Unicode scalar values encode: a lone surrogate (a "\ud800" JSON escape) does not,
        # and neither orjson nor any database would take it later.
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "text must be valid Unicode: lone surrogates (\\ud800-\\udfff) are not allowed"
    return ""
