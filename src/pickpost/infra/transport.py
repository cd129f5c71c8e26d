"""Buyer calls over our own HTTP/1.1 client: keep-alive pools, one deadline per call.

Buyer calls are the largest share of a ping's CPU (ten per ping); this client spends a third
to a half of what aiohttp spent per call (docs/benchmarks.md, "The outbound client"). It does
only what buyer calls need: HTTP/1.1 over TCP or TLS, a size cap while reading, the body
decoded within that cap, and every call ended in a ``Delivery`` whatever the buyer does.
"""

import asyncio
import math
import ssl
import time
from collections.abc import Sequence

from pickpost.buyers.wire import Delivery, InboundResponse, OutboundRequest
from pickpost.domain.outcomes import Outcome
from pickpost.infra.http_pool import Pool
from pickpost.infra.http_request import Key, serialize
from pickpost.infra.http_wire import MAX_RESPONSE_BYTES, CallFailed, Connection, Result

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
        (delivery,) = await self.send_all([(request, timeout_ms)])
        assert delivery is not None, "cut only by within_s, not given"
        return delivery

    async def send_all(
        self, calls: Sequence[tuple[OutboundRequest, int]], within_s: float | None = None
    ) -> list[Delivery | None]:
        """A ping's calls at once, with no task per call while idle connections exist (the
        fan-out's cost, docs/benchmarks.md, "The outbound client")."""
        fanout = _Fanout(self._pool, len(calls), within_s)
        for index, (request, timeout_ms) in enumerate(calls):
            fanout.start(index, request, timeout_ms)
        return await fanout.wait()


class _Call:
    __slots__ = (
        "connection",
        "data",
        "deadline",
        "ended",
        "fanout",
        "index",
        "key",
        "retried",
        "task",
        "timeout_ms",
    )

    def __init__(self, fanout: "_Fanout", index: int, timeout_ms: int, deadline: float) -> None:
        self.fanout = fanout
        self.index = index
        self.timeout_ms = timeout_ms
        self.deadline = deadline  # loop time: one deadline for connect, write and the answer
        self.key: Key = ("", "", 0)
        self.data = b""
        self.connection: Connection | None = None  # with the request written on it
        self.task: asyncio.Task[None] | None = None  # connecting, when no idle one was there
        self.retried = False
        self.ended = False

    def done(self, result: Result) -> None:
        """The connection's answer or failure, from the loop's callback."""
        self.fanout.answered(self, result)


class _Fanout:
    """One ``send_all``: its calls in flight, the one timer of their deadlines, and the
    future its caller waits on. Each call ends once: answered, failed, timed out, cut, or
    abandoned with its caller; a call ended before its answer closes its connection, which
    therefore never carries a pending answer into the pool."""

    def __init__(self, pool: Pool, count: int, within_s: float | None) -> None:
        self._pool = pool
        self._loop = asyncio.get_running_loop()
        self._started_at = time.time()
        self._started = time.monotonic()
        self._now = self._loop.time()
        self._cutoff = self._now + within_s if within_s is not None else math.inf
        self._calls: list[_Call] = []
        self._deliveries: list[Delivery | None] = [None] * count
        self._live = 0
        self._finished: asyncio.Future[None] | None = None  # created only if waited on
        self._timer: asyncio.TimerHandle | None = None
        self._armed = math.inf  # when the timer is due: the earliest deadline of a live call

    def start(self, index: int, request: OutboundRequest, timeout_ms: int) -> None:
        call = _Call(self, index, timeout_ms, self._now + timeout_ms / 1000)
        if self._pool.closed:
            self._deliveries[index] = self._failed(CallFailed("transport closed", sent=False))
            return
        try:
            call.key, call.data = serialize(request)
        except CallFailed as failure:
            self._deliveries[index] = self._failed(failure)
            return
        except Exception as error:  # every call ends in an outcome, whatever went wrong
            self._deliveries[index] = self._failed(CallFailed(type(error).__name__))
            return
        self._calls.append(call)
        self._live += 1
        connection = self._pool.take_idle(call.key)
        if connection is None:
            call.task = self._loop.create_task(self._connect(call, fresh=False))
        else:
            call.connection = connection
            connection.request(call.data, call.done)
        self._armed = min(self._armed, call.deadline)

    async def wait(self) -> list[Delivery | None]:
        if self._live:
            self._arm(min(self._armed, self._cutoff))
            self._finished = self._loop.create_future()
            try:
                await self._finished
            except asyncio.CancelledError:
                # The caller is gone: no call of its may keep a connection or fire later.
                self._end_all()
                raise
            finally:
                self._calls.clear()  # each call points back here: freed without the GC
        return self._deliveries

    def answered(self, call: _Call, result: Result) -> None:
        connection = call.connection
        assert connection is not None
        call.connection = None
        if isinstance(result, InboundResponse):
            self._pool.release(connection)
            self._end(call, Delivery(self._started_at, self._elapsed(), response=result))
            return
        self._pool.discard(connection)
        if result.retryable and not call.retried:
            # The buyer closed a kept-alive connection (its idle timeout) before answering a
            # byte: once more on a new connection (docs/benchmarks.md, "The outbound client").
            call.retried = True
            call.task = self._loop.create_task(self._connect(call, fresh=True))
            return
        self._fail(call, result)

    async def _connect(self, call: _Call, *, fresh: bool) -> None:
        """The slow path: a call with no idle connection waits for the pool to open one."""
        try:
            connection = await self._pool.acquire(call.key, fresh=fresh)
        except CallFailed as failure:
            # A retried request did leave, so a failure to connect now is not "unsent".
            self._fail(call, CallFailed(failure.reason) if call.retried else failure)
            return
        except Exception as error:
            self._fail(call, CallFailed(type(error).__name__))
            return
        call.connection = connection
        connection.request(call.data, call.done)

    def _fail(self, call: _Call, failure: CallFailed) -> None:
        self._end(call, self._failed(failure))

    def _failed(self, failure: CallFailed) -> Delivery:
        return Delivery(
            self._started_at,
            self._elapsed(),
            failure=Outcome.ERROR,
            reason=failure.reason,  # never the buyer's bytes (CallFailed's promise)
            sent=failure.sent,
        )

    def _end(self, call: _Call, delivery: Delivery | None) -> None:
        self._deliveries[call.index] = delivery
        call.ended = True
        self._live -= 1
        if self._live == 0:
            if self._timer is not None:
                self._timer.cancel()
            if self._finished is not None and not self._finished.done():
                self._finished.set_result(None)

    def _arm(self, when: float) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._armed = when
        self._timer = self._loop.call_at(when, self._expire)

    def _expire(self) -> None:
        """The earliest deadline has passed: every call due ends; then the next one armed."""
        self._timer = None
        now = max(self._loop.time(), self._armed)  # asyncio runs a timer up to a tick early
        cut = now >= self._cutoff
        for call in self._calls:
            if call.ended or (call.deadline > now and not cut):
                continue
            self._abandon(call)
            if cut:
                self._end(call, None)
            else:
                reason = f"no answer in {call.timeout_ms} ms"
                timeout = Delivery(
                    self._started_at, self._elapsed(), failure=Outcome.TIMEOUT, reason=reason
                )
                self._end(call, timeout)
        if self._live:
            pending = (call.deadline for call in self._calls if not call.ended)
            self._arm(min(min(pending), self._cutoff))

    def _end_all(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        for call in self._calls:
            if not call.ended:
                call.ended = True
                self._abandon(call)

    def _abandon(self, call: _Call) -> None:
        """Before a call's end without its answer: its connection closed, its connecting
        stopped."""
        if call.connection is not None:
            self._pool.discard(call.connection)
            call.connection = None
        if call.task is not None:
            call.task.cancel()

    def _elapsed(self) -> float:
        return (time.monotonic() - self._started) * 1000
