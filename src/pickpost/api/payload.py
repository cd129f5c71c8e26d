"""Supplier request bodies: JSON or form data, with query parameters merged in."""

from urllib.parse import parse_qsl

import orjson
from starlette.requests import Request

from pickpost.domain.errors import Code, Refusal

MAX_BODY_BYTES = 256 * 1024
_FORM = "application/x-www-form-urlencoded"


async def read_payload(request: Request) -> dict[str, object] | Refusal:
    """The request's fields; the body wins over the query string."""
    data = await _read(request)
    if isinstance(data, dict) and _has_nul(data):
        # No database stores NUL in text; refuse it here rather than fail at the ledger.
        return Refusal(Code.MALFORMED, "NUL characters are not allowed")
    return data


def _has_nul(value: object) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(item) for item in value)
    return False


async def _read(request: Request) -> dict[str, object] | Refusal:
    data: dict[str, object] = dict(request.query_params)
    body = await request.body()
    if len(body) > MAX_BODY_BYTES:
        return Refusal(Code.MALFORMED, f"body larger than {MAX_BODY_BYTES} bytes")
    if not body.strip():
        return data
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == _FORM:
        try:
            text = body.decode("utf-8")
            data.update(parse_qsl(text, keep_blank_values=True, strict_parsing=True))
        except (UnicodeDecodeError, ValueError):
            return Refusal(Code.MALFORMED, "body is not valid form data")
        return data
    if content_type == "multipart/form-data":
        return Refusal(Code.MALFORMED, "send JSON or application/x-www-form-urlencoded")
    try:
        parsed = orjson.loads(body)
    except orjson.JSONDecodeError:
        return Refusal(Code.MALFORMED, "body is not valid JSON")
    if not isinstance(parsed, dict):
        return Refusal(Code.MALFORMED, "body must be a JSON object")
    data.update(parsed)
    return data
