"""A ping's calls sent together (``send_all``): each ends on its own, in order, on idle and new
connections alike; the caller's cut-off ends all of them; a caller gone leaves nothing behind."""

import asyncio
from collections.abc import AsyncIterator, Callable

import pytest

from pickpost.buyers.wire import Delivery, OutboundRequest
from pickpost.domain.outcomes import Outcome
from pickpost.infra.transport import HttpTransport
from tests.support.loopback_buyer import Buyer, Reader, Writer, answering, read_request


def ok(body: bytes) -> bytes:
    return b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)


def call(buyer: Buyer, timeout_ms: int = 2000) -> tuple[OutboundRequest, int]:
    return OutboundRequest("POST", buyer.url(), b"{}"), timeout_ms


def bodies(deliveries: list[Delivery | None]) -> list[bytes | None]:
    return [d.response.body if d and d.response else None for d in deliveries]


class Silent:
    """A buyer's handler that reads requests and never answers, counting the requests read
    and the connections the client closed."""

    def __init__(self) -> None:
        self.read = 0
        self.closed = 0
        self._changed = asyncio.Condition()

    async def until(self, condition: Callable[[], bool]) -> None:
        async with asyncio.timeout(5), self._changed:
            await self._changed.wait_for(condition)

    async def __call__(self, reader: Reader, writer: Writer, number: int) -> None:
        while await read_request(reader):
            async with self._changed:
                self.read += 1
                self._changed.notify_all()
        async with self._changed:
            self.closed += 1
            self._changed.notify_all()


@pytest.fixture
async def loop_errors() -> AsyncIterator[list[dict[str, object]]]:
    """What the loop's exception handler was given: a callback firing into an ended call."""
    errors: list[dict[str, object]] = []
    loop = asyncio.get_running_loop()
    loop.set_exception_handler(lambda _, context: errors.append(context))
    yield errors
    loop.set_exception_handler(None)


async def test_calls_on_idle_connections_answer_in_order_without_a_task_each(
    transport: HttpTransport,
) -> None:
    async with (
        Buyer(answering(ok(b"a1"), ok(b"a2"))) as a,
        Buyer(answering(ok(b"b1"), ok(b"b2"))) as b,
    ):
        first = await transport.send_all([call(a), call(b)])
        tasks = len(asyncio.all_tasks())
        fanout = asyncio.create_task(transport.send_all([call(b), call(a)]))
        await asyncio.sleep(0)  # the calls written, their answers not yet read
        during = len(asyncio.all_tasks())
        second = await fanout
    assert bodies(first) == [b"a1", b"b1"]
    assert bodies(second) == [b"b2", b"a2"]
    assert during == tasks + 1  # the fan-out's own task, none per call
    assert (a.connections, b.connections) == (1, 1)


async def test_a_mix_of_idle_and_new_connections(transport: HttpTransport) -> None:
    async with Buyer(answering(ok(b"a"), ok(b"a"))) as a, Buyer(answering(ok(b"b"))) as b:
        await transport.send(*call(a))  # one idle connection to a
        deliveries = await transport.send_all([call(a), call(b), call(a)])
    assert bodies(deliveries) == [b"a", b"b", b"a"]
    assert (a.connections, b.connections) == (2, 1)


async def test_a_deadline_ends_its_call_while_the_others_answer(transport: HttpTransport) -> None:
    silent = Silent()
    async with (
        Buyer(answering(ok(b"a"), ok(b"a"))) as a,
        Buyer(silent) as quiet,
        Buyer(answering(ok(b"b"))) as b,
    ):
        await transport.send(*call(a))  # idle: this fan-out's first call has no task
        deliveries = await transport.send_all([call(a), call(quiet, 100), call(b, 3000)])
        await silent.until(lambda: silent.closed == 1)
    assert bodies(deliveries) == [b"a", None, b"b"]
    timed_out = deliveries[1]
    assert timed_out is not None
    assert (timed_out.failure, timed_out.reason) == (Outcome.TIMEOUT, "no answer in 100 ms")
    assert transport._pool.open == 2  # a's and b's, kept alive; the timed out one closed


async def test_calls_failing_before_they_leave_end_at_once(transport: HttpTransport) -> None:
    async with Buyer(answering(ok(b"a"))) as a:
        bad = OutboundRequest("POST", a.url(), b"{}", {"X-Evil": "1\r\nHost: elsewhere"})
        deliveries = await transport.send_all([(bad, 2000), call(a), (bad, 2000)])
    assert bodies(deliveries) == [None, b"a", None]
    for failed in (deliveries[0], deliveries[2]):
        assert failed is not None
        assert (failed.failure, failed.reason, failed.sent) == (
            Outcome.ERROR,
            "invalid request header",
            False,
        )


async def test_the_cut_off_ends_every_call_still_unanswered(transport: HttpTransport) -> None:
    silent = Silent()
    async with Buyer(answering(ok(b"a"), ok(b"a"))) as a, Buyer(silent) as quiet:
        await transport.send(*call(a))
        deliveries = await transport.send_all([call(a), call(quiet), call(quiet)], within_s=0.2)
        await silent.until(lambda: silent.closed == 2)
    assert bodies(deliveries) == [b"a", None, None]
    assert deliveries[1:] == [None, None]  # cut, not a Delivery of their own
    assert transport._pool.open == 1  # a's alone


async def test_a_caller_gone_leaves_no_connection_and_nothing_firing(
    loop_errors: list[dict[str, object]],
) -> None:
    transport = HttpTransport.create(connections=3)
    silent = Silent()
    try:
        async with Buyer(answering(ok(b"a"))) as a, Buyer(silent) as quiet:
            await transport.send(*call(a))  # idle: kept, then taken by the fan-out below
            # a's idle connection, a new one to quiet, another (the limit), and one waiting;
            # deadlines far off, so that only the caller's end can end them here.
            calls = [call(a, 60_000), *[call(quiet, 60_000)] * 3]
            fanout = asyncio.create_task(transport.send_all(calls))
            await silent.until(lambda: silent.read == 2)
            fanout.cancel()
            with pytest.raises(asyncio.CancelledError):
                await fanout
            await silent.until(lambda: silent.closed == 2)
            await asyncio.sleep(0.05)  # a's connection closing, the waiting call stopping
            assert transport._pool.open == 0
            assert all(waiter.done() for waiter in transport._pool._waiters)
            tasks = asyncio.all_tasks() - {asyncio.current_task()}
            # The server's own handlers are all that may run: none of the client's.
            assert all("_handle" in repr(task.get_coro()) for task in tasks)
    finally:
        await transport.close()
    assert loop_errors == []
