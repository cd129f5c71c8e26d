"""Buyer calls over our own HTTP/1.1 client: keep-alive pools, one deadline per call.

Buyer calls are the largest share of a ping's CPU (ten per ping); this client spends a third
to a half of what aiohttp spent per call (docs/benchmarks.md, "The outbound client"). It does
only what buyer calls need: HTTP/1.1 over TCP or TLS, a size cap while reading, the body
decoded within that cap, and every call ended in a ``Delivery`` whatever the buyer does.
"""

import asyncio
import ssl
import time

from pickpost.buyers.wire import Delivery, InboundResponse, OutboundRequest
from pickpost.domain.outcomes import Outcome
from pickpost.infra.http_pool import Pool
from pickpost.infra.http_request import serialize
from pickpost.infra.http_wire import MAX_RESPONSE_BYTES, CallFailed, Connection

__all__ = ["MAX_RESPONSE_BYTES", "HttpTransport"]


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
        key, data = serialize(request)
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
