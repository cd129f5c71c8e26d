"""Buyer calls over our own HTTP/1.1 client: keep-alive pools, one deadline per call.

Buyer calls are most of a ping's CPU (ten per ping); aiohttp spent 200-400 µs of it per call
here, this client about a third of that (docs/benchmarks.md, "The outbound client"). It does
only what buyer calls need: HTTP/1.1 over TCP or TLS, a size cap while reading, the body
decoded within that cap, and every call ended in a ``Delivery`` whatever the buyer does.
"""

import asyncio
import base64
import re
import ssl
import time
from urllib.parse import quote, unquote, urlsplit

from pickpost.buyers.wire import Delivery, InboundResponse, OutboundRequest
from pickpost.domain.outcomes import Outcome
from pickpost.infra.decoding import ACCEPT_ENCODING
from pickpost.infra.http_pool import Key, Pool
from pickpost.infra.http_wire import MAX_RESPONSE_BYTES, CallFailed, Connection

__all__ = ["MAX_RESPONSE_BYTES", "HttpTransport"]

_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")  # a method or header name (RFC 9110)
_LINE_BREAK = re.compile(r"[\r\n\x00]")
# Framing is ours alone: a buyer's configured header must not describe the body differently.
_FRAMING = frozenset({"content-length", "transfer-encoding"})
_DEFAULT_PORTS = {"http": 80, "https": 443}
# What may stand in a request target as it is; anything else (spaces, non-ASCII) is escaped.
_TARGET_SAFE = "/?#[]@!$&'()*+,;=:%~-._"


class HttpTransport:
    """Every call ends in a Delivery: a response, or a timeout/error with its reason."""

    def __init__(self, pool: Pool) -> None:
        self._pool = pool

    @classmethod
    def create(cls, connections: int = 1000, ca_file: str | None = None) -> "HttpTransport":
        """``ca_file``: more certificate authorities to trust for buyers' TLS, beside the
        system's (a private CA; the tests' own)."""
        tls = ssl.create_default_context()
        if ca_file:
            tls.load_verify_locations(ca_file)
        return cls(Pool(connections, tls))

    async def close(self) -> None:
        self._pool.close()

    async def send(self, request: OutboundRequest, timeout_ms: int) -> Delivery:
        started_at = time.time()
        started = time.monotonic()
        task = asyncio.current_task()
        assert task is not None, "send runs in a task: its deadline cancels it"
        cancelling = task.cancelling()
        expired = False

        def expire() -> None:
            nonlocal expired
            expired = True
            task.cancel()

        # One timer for connect, write and the whole answer; no per-read timeouts.
        loop = asyncio.get_running_loop()
        timer = loop.call_at(loop.time() + timeout_ms / 1000, expire)
        try:
            response = await self._exchange(request)
        except asyncio.CancelledError:
            if not expired or task.uncancel() > cancelling:
                raise
            elapsed = (time.monotonic() - started) * 1000
            reason = f"no answer in {timeout_ms} ms"
            return Delivery(started_at, elapsed, failure=Outcome.TIMEOUT, reason=reason)
        except CallFailed as failure:
            elapsed = (time.monotonic() - started) * 1000
            return Delivery(
                started_at, elapsed, failure=Outcome.ERROR, reason=failure.reason, sent=failure.sent
            )
        except Exception as error:  # every call ends in an outcome, whatever went wrong
            elapsed = (time.monotonic() - started) * 1000
            reason = type(error).__name__  # never its message: it may quote the buyer's bytes
            return Delivery(started_at, elapsed, failure=Outcome.ERROR, reason=reason)
        finally:
            timer.cancel()
        return Delivery(started_at, (time.monotonic() - started) * 1000, response=response)

    async def _exchange(self, request: OutboundRequest) -> InboundResponse:
        if self._pool.closed:
            raise CallFailed("transport closed", sent=False)
        key, data = _serialize(request)
        connection = await self._pool.acquire(key)
        try:
            return await self._call(connection, data)
        except CallFailed as failure:
            if not failure.retryable:
                raise
        # The buyer closed a kept-alive connection (its idle timeout) before answering a byte:
        # once more on a new connection (docs/benchmarks.md, "The outbound client"). The
        # request did leave, so a failure to connect now is not "unsent".
        try:
            connection = await self._pool.acquire(key, fresh=True)
        except CallFailed as again:
            raise CallFailed(again.reason) from None
        return await self._call(connection, data)

    async def _call(self, connection: Connection, data: bytes) -> InboundResponse:
        try:
            response = await connection.request(data)
        except BaseException:
            self._pool.discard(connection)
            raise
        self._pool.release(connection)
        return response


def _serialize(request: OutboundRequest) -> tuple[Key, bytes]:
    """The pool's key and the request's bytes; ``CallFailed`` (not sent) for what cannot be
    sent as it is: a URL that is not http(s), a header that would break the framing."""
    try:
        parts = urlsplit(request.url)
        port = parts.port
    except ValueError:
        raise CallFailed("invalid URL", sent=False) from None
    scheme = parts.scheme
    host = parts.hostname
    if scheme not in _DEFAULT_PORTS or not host:
        raise CallFailed("invalid URL", sent=False)
    if not host.isascii():
        host = host.encode("idna").decode("ascii")
    default_port = _DEFAULT_PORTS[scheme]
    authority = f"[{host}]" if ":" in host else host  # an IPv6 literal
    if port is not None and port != default_port:
        authority = f"{authority}:{port}"
    target = parts.path or "/"
    if parts.query:
        target = f"{target}?{parts.query}"
    if not target.isascii() or not target.isprintable() or " " in target:
        target = quote(target, safe=_TARGET_SAFE)
    if not _TOKEN.fullmatch(request.method):
        raise CallFailed("invalid request method", sent=False)

    headers = {"host": ("Host", authority), "user-agent": ("User-Agent", "Pickpost")}
    headers["accept-encoding"] = ("Accept-Encoding", ACCEPT_ENCODING)
    if parts.username is not None:
        credentials = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
        basic = base64.b64encode(credentials.encode()).decode("ascii")
        headers["authorization"] = ("Authorization", f"Basic {basic}")
    for name, value in request.headers.items():
        # A line break would end the header and start another of the buyer's choosing: the
        # call is refused, never sent with it (request smuggling).
        if not _TOKEN.fullmatch(name) or _LINE_BREAK.search(value):
            raise CallFailed("invalid request header", sent=False)
        lowered = name.lower()
        if lowered not in _FRAMING:
            headers[lowered] = (name, value)
    body = request.body
    lines = [f"{request.method} {target} HTTP/1.1\r\n"]
    lines += [f"{name}: {value}\r\n" for name, value in headers.values()]
    if body or request.method != "GET":
        lines.append(f"Content-Length: {len(body)}\r\n")
    lines.append("\r\n")
    return (scheme, host, port or default_port), "".join(lines).encode() + body
