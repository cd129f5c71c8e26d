"""uvicorn's httptools protocol with what it lacks for a server on the open internet
(docs/deploy.md, "Overload and slow clients"):

- every request is stamped when its first and last bytes are read (``Arrival`` in the ASGI
  scope), so the time it then waits for the event loop counts in its deadline, its admission
  and /metrics;
- request headers must arrive within ``header_timeout_s`` and the body within
  ``body_timeout_s`` of them, or the connection is closed (a silent new connection too);
- past ``max_connections`` open connections, a new one is closed as soon as it is accepted;
- a request the application's ``Shedder`` refuses on its path alone is answered as soon as its
  headers are read, with no task and no handler, and its body is read and dropped (the
  connection stays open for the next request);
- a response's head goes out with its body in one write (``HeadHeld``), not in two.

uvicorn has no read deadline of its own: a client sending half a request would hold its
connection, and a file descriptor, for ever.
"""

import asyncio
import functools
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import httptools
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from pickpost.infra.metrics import CONNECTIONS_CLOSED
from pickpost.settings import Settings

SCOPE_KEY = "pickpost.arrival"
SHEDDER_KEY = "pickpost.shedder"  # in the lifespan state, where the application puts it
_TIMED_OUT = (
    b"HTTP/1.1 408 Request Timeout\r\ncontent-type: text/plain; charset=utf-8\r\n"
    b"content-length: 29\r\nconnection: close\r\n\r\nthe request came too slowly\r\n"
)


@dataclass(slots=True)
class Arrival:
    """When the server read a request's first and last bytes (monotonic seconds), and whether
    its client has gone since."""

    received: float
    complete: float | None = None
    lost: bool = False


def arrival_of(scope: Mapping[str, Any]) -> Arrival | None:
    found = scope.get("extensions", {}).get(SCOPE_KEY)
    return found if isinstance(found, Arrival) else None


class Shedder(Protocol):
    def shed(self, method: str, path: str) -> tuple[list[tuple[bytes, bytes]], bytes] | None:
        """The headers and body to refuse this request with at once, or None to serve it."""


@dataclass(frozen=True, slots=True)
class ConnectionLimits:
    header_timeout_s: float
    body_timeout_s: float
    max_connections: int


@functools.cache
def _limits() -> ConnectionLimits:
    # Each server process reads them once from the PICKPOST_* variables `pickpost serve` sets.
    settings = Settings()
    return ConnectionLimits(
        settings.header_timeout_s, settings.body_timeout_s, settings.max_connections
    )


class GuardedProtocol(HttpToolsProtocol):
    """``uvicorn.run(http=...)``'s protocol with arrival stamps, read deadlines and a cap."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._limits = _limits()
        self._timer: asyncio.TimerHandle | None = None
        self._arrival: Arrival | None = None
        self._dropping = False  # the body of a request already refused

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)  # type: ignore[arg-type]
        if len(self.connections) > self._limits.max_connections:
            CONNECTIONS_CLOSED.labels("over_limit").inc()
            transport.close()
            return
        self._arm(self._limits.header_timeout_s, "header_timeout")

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        if self._arrival is not None:
            self._arrival.lost = True
        super().connection_lost(exc)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._arrival = Arrival(time.monotonic())
        # ASGI's types want each extension a dict; an object keeps the stamp and the
        # disconnect flag one value, shared with the handler.
        self.scope["extensions"] = {SCOPE_KEY: self._arrival}  # type: ignore[dict-item]
        self._arm(self._limits.header_timeout_s, "header_timeout")

    def on_headers_complete(self) -> None:
        self._arm(self._limits.body_timeout_s, "body_timeout")
        refusal = self._refusal()
        if refusal is None:
            super().on_headers_complete()
            if self.cycle is not None:
                self.cycle.transport = HeadHeld(self.transport, self.loop)  # type: ignore[assignment]
            return
        headers, body = refusal
        # A client waiting for "100 Continue" sends no body, and one that asked to close
        # sends nothing more: either way the connection ends with this answer.
        close = self.expect_100_continue or not self.parser.should_keep_alive()
        if close:
            headers = [*headers, (b"connection", b"close")]
        lines = [STATUS_LINE[503]]
        for name, value in [*self.server_state.default_headers, *headers]:
            lines += [name, b": ", value, b"\r\n"]
        self.transport.write(b"".join([*lines, b"\r\n", body]))
        if close:
            self.transport.close()
        else:
            self._dropping = True

    def _refusal(self) -> tuple[list[tuple[bytes, bytes]], bytes] | None:
        shedder: Shedder | None = self.app_state.get(SHEDDER_KEY)
        # Only when no earlier request on this connection is still being answered: a response
        # must not overtake another.
        if shedder is None or not (self.cycle is None or self.cycle.response_complete):
            return None
        path = httptools.parse_url(self.url).path.decode("ascii", "replace")
        return shedder.shed(self.parser.get_method().decode("ascii", "replace"), path)

    def on_body(self, body: bytes) -> None:
        if not self._dropping:
            super().on_body(body)

    def on_message_complete(self) -> None:
        self._disarm()
        if self._dropping:
            self._dropping = False
            # As uvicorn does after a response: the connection may idle this long.
            self.timeout_keep_alive_task = self.loop.call_later(
                self.timeout_keep_alive, self.timeout_keep_alive_handler
            )
            return
        super().on_message_complete()
        if self._arrival is not None:
            self._arrival.complete = time.monotonic()

    def _arm(self, seconds: float, reason: str) -> None:
        self._disarm()
        self._timer = self.loop.call_later(seconds, self._expire, reason)

    def _disarm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _expire(self, reason: str) -> None:
        self._timer = None
        if self.transport.is_closing():
            return
        CONNECTIONS_CLOSED.labels(reason).inc()
        # Headers unfinished: no handler runs, so nothing else writes on this connection. A
        # body unfinished: its handler sees the client disconnect and answers no one.
        if reason == "header_timeout" and (self.cycle is None or self.cycle.response_complete):
            self.transport.write(_TIMED_OUT)
        self.transport.close()


class HeadHeld:
    """The transport a response is written through, holding its head back for its body.

    uvicorn writes a response's status line and headers as soon as the application starts the
    response, and its body in a second write: two ``send`` calls where one would do, and on
    loopback each one also pays for delivering the segment to the client and waking it
    (docs/benchmarks.md, "One write per answer"). The head is held until the body's
    first write, or until the loop's next turn when the body is late (a streamed answer), so
    it is never held back for longer than the code that started the response runs.
    """

    __slots__ = ("_headed", "_held", "_loop", "_transport")

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._held: bytes | None = None
        self._headed = False

    def write(self, data: bytes) -> None:
        if self._held is not None:
            data, self._held = self._held + data, None
        elif not self._headed:  # the first write is the head
            self._headed = True
            self._held = data
            self._loop.call_soon(self.flush)
            return
        self._transport.write(data)

    def flush(self) -> None:
        if self._held is not None:
            held, self._held = self._held, None
            if not self._transport.is_closing():  # the client has gone meanwhile
                self._transport.write(held)

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def is_closing(self) -> bool:
        return self._transport.is_closing()
