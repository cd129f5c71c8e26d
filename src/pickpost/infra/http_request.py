"""A buyer request as the bytes sent, or refused when it cannot be sent as it is.

The origin of a URL (scheme, host, port) is parsed once and kept: a buyer's URLs share it,
and only their path and query vary (and may carry lead values, which are not kept).
"""

import base64
import re
from dataclasses import dataclass
from urllib.parse import quote, unquote, urlsplit

from pickpost.buyers.wire import OutboundRequest
from pickpost.infra.decoding import ACCEPT_ENCODING
from pickpost.infra.http_wire import CallFailed

Key = tuple[str, str, int]  # scheme, host, port: what a connection is pooled by

_ORIGIN = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*://[^/?#]*)(.*)", re.DOTALL)
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")  # a method or header name (RFC 9110)
_DEFAULT_PORTS = {"http": 80, "https": 443}
# What may stand in a request target as it is; anything else (spaces, control characters,
# non-ASCII) is percent-encoded, so nothing in a URL can end the request line.
_TARGET_SAFE = "/?#[]@!$&'()*+,;=:%~-._"
# Framing is ours alone: a buyer's configured header must not describe the body differently.
_FRAMING = frozenset({"content-length", "transfer-encoding"})
_KEPT = 1024  # origins and header names remembered; past that, forgotten and parsed again


@dataclass(frozen=True, slots=True)
class _Origin:
    key: Key
    authority: str  # the Host header
    authorization: str | None  # from credentials in the URL, as aiohttp sent them


_origins: dict[str, _Origin] = {}
_names: set[str] = set()  # header names seen valid


def serialize(request: OutboundRequest) -> tuple[Key, bytes]:
    """The pool's key and the request's bytes; ``CallFailed`` (not sent) for what cannot be
    sent as it is: a URL that is not http(s), a header that would break the framing."""
    match = _ORIGIN.match(request.url)
    if match is None:
        raise CallFailed("invalid URL", sent=False)
    origin_text, rest = match.groups()
    origin = _origins.get(origin_text) or _parse_origin(origin_text)
    target = rest.partition("#")[0]
    if not target.startswith("/"):
        target = f"/{target}"
    if not target.isascii() or not target.isprintable() or " " in target:
        target = quote(target, safe=_TARGET_SAFE)
    method = request.method
    if method not in ("GET", "POST", "PUT") and not _TOKEN.fullmatch(method):
        raise CallFailed("invalid request method", sent=False)

    headers = {"host": ("Host", origin.authority), "user-agent": ("User-Agent", "Pickpost")}
    headers["accept-encoding"] = ("Accept-Encoding", ACCEPT_ENCODING)
    if origin.authorization is not None:
        headers["authorization"] = ("Authorization", origin.authorization)
    for name, value in request.headers.items():
        # A line break would end the header and start another of the buyer's choosing: the
        # call is refused, never sent with it (request smuggling).
        if "\n" in value or "\r" in value or "\0" in value or not _valid_name(name):
            raise CallFailed("invalid request header", sent=False)
        lowered = name.lower()
        if lowered not in _FRAMING:
            headers[lowered] = (name, value)
    body = request.body
    lines = [f"{method} {target} HTTP/1.1\r\n"]
    lines += [f"{name}: {value}\r\n" for name, value in headers.values()]
    if body or method != "GET":
        lines.append(f"Content-Length: {len(body)}\r\n")
    lines.append("\r\n")
    return origin.key, "".join(lines).encode() + body


def _valid_name(name: str) -> bool:
    if name in _names:
        return True
    if not _TOKEN.fullmatch(name):
        return False
    if len(_names) >= _KEPT:
        _names.clear()
    _names.add(name)
    return True


def _parse_origin(text: str) -> _Origin:
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        raise CallFailed("invalid URL", sent=False) from None
    scheme, host = parts.scheme, parts.hostname
    if scheme not in _DEFAULT_PORTS or not host:
        raise CallFailed("invalid URL", sent=False)
    if not host.isascii():
        host = host.encode("idna").decode("ascii")
    default_port = _DEFAULT_PORTS[scheme]
    authority = f"[{host}]" if ":" in host else host  # an IPv6 literal
    if port is not None and port != default_port:
        authority = f"{authority}:{port}"
    authorization = None
    if parts.username is not None:
        credentials = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
        authorization = f"Basic {base64.b64encode(credentials.encode()).decode('ascii')}"
    origin = _Origin((scheme, host, port or default_port), authority, authorization)
    if len(_origins) >= _KEPT:
        _origins.clear()
    _origins[text] = origin
    return origin
