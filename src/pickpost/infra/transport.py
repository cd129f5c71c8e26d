"""Buyer calls over one shared aiohttp session with keep-alive pools."""

import asyncio
import errno
import time

import aiohttp

from pickpost.buyers.wire import Delivery, InboundResponse, OutboundRequest
from pickpost.domain.outcomes import Outcome
from pickpost.infra.decoding import ACCEPT_ENCODING, TOO_LARGE, BodyDecoder, Unreadable

MAX_RESPONSE_BYTES = 1 << 20  # a buyer's answer larger than this is garbage, not a bid
_PIECE_BYTES = 64 * 1024


class AiohttpTransport:
    """Every call ends in a Delivery: a response, or a timeout/error with its reason."""

    def __init__(self, session: aiohttp.ClientSession) -> None:
        self._session = session

    @classmethod
    def create(cls, connections: int = 1000, per_host: int = 0) -> "AiohttpTransport":
        connector = aiohttp.TCPConnector(
            limit=connections,
            limit_per_host=per_host,
            ttl_dns_cache=300,
            enable_cleanup_closed=True,
        )
        session = aiohttp.ClientSession(
            connector=connector,
            # No session-wide timers: each call is bounded by its own budget in ``send``.
            timeout=aiohttp.ClientTimeout(),
            # Answers are decoded in ``_read_capped``, within the size cap: aiohttp would inflate
            # a compressed answer whole, on the event loop, before any cap could apply.
            auto_decompress=False,
            skip_auto_headers=("User-Agent", "Accept-Encoding"),
            headers={"User-Agent": "Pickpost", "Accept-Encoding": ACCEPT_ENCODING},
        )
        return cls(session)

    async def close(self) -> None:
        await self._session.close()

    async def send(self, request: OutboundRequest, timeout_ms: int) -> Delivery:
        started_at = time.time()
        started = time.monotonic()

        def elapsed() -> float:
            return (time.monotonic() - started) * 1000

        try:
            async with asyncio.timeout(timeout_ms / 1000):
                async with self._session.request(
                    request.method,
                    request.url,
                    data=request.body,
                    headers=dict(request.headers),
                    # A redirect is the buyer's answer (an invalid one), never followed.
                    allow_redirects=False,
                ) as response:
                    try:
                        body = await _read_capped(response)
                    except Unreadable as error:
                        reason = str(error)
                        return Delivery(started_at, elapsed(), failure=Outcome.ERROR, reason=reason)
                    answer = InboundResponse(response.status, body, dict(response.headers))
                    return Delivery(started_at, elapsed(), response=answer)
        except TimeoutError:
            return Delivery(
                started_at,
                elapsed(),
                failure=Outcome.TIMEOUT,
                reason=f"no answer in {timeout_ms} ms",
            )
        except Exception as error:  # every call ends in an outcome, whatever went wrong
            return Delivery(
                started_at,
                elapsed(),
                failure=Outcome.ERROR,
                reason=_describe(error),
                sent=not isinstance(error, aiohttp.ClientConnectorError),
            )


async def _read_capped(response: aiohttp.ClientResponse) -> bytes:
    """The whole body, however it is split on the wire, decoded; ``Unreadable`` past the size
    cap (before reading anything when the declared length is over it), or when its encoding
    cannot be read.

    A body shorter than its Content-Length raises (aiohttp's payload error): a truncated
    answer is an error, never half a bid. A slow body is cut by the caller's deadline.
    """
    decoder = BodyDecoder(response.headers.get("Content-Encoding", ""), MAX_RESPONSE_BYTES)
    length = response.content_length
    if length is not None:
        if length > MAX_RESPONSE_BYTES:
            raise Unreadable(TOO_LARGE)
        # A declared length within the cap: aiohttp reads exactly that many bytes, in one
        # call rather than an iteration per piece (a buyer's answer is a few hundred bytes).
        decoder.feed(await response.read())
        return decoder.finish()
    async for piece in response.content.iter_chunked(_PIECE_BYTES):
        decoder.feed(piece)
    return decoder.finish()


def _describe(error: BaseException) -> str:
    """The reason recorded (and perhaps answered to the supplier) for a failed call: never the
    error's own message, which may quote the buyer's bytes or a URL rendered with lead values."""
    if isinstance(error, aiohttp.ServerDisconnectedError):
        return "connection closed by buyer"
    if isinstance(error, aiohttp.ClientConnectionResetError | ConnectionResetError) or (
        isinstance(error, OSError) and error.errno == errno.ECONNRESET
    ):
        return "connection reset by buyer"
    if isinstance(error, aiohttp.ClientConnectorError):
        return f"cannot connect: {error.os_error.strerror or type(error.os_error).__name__}"
    if isinstance(error, aiohttp.ClientResponseError):
        return "bad HTTP response"  # not HTTP/1.x: a garbage status line, header or framing
    if isinstance(error, aiohttp.ClientPayloadError):
        return "response body cut short"
    if isinstance(error, OSError) and error.strerror:
        return f"{type(error).__name__}: {error.strerror}"
    return type(error).__name__
