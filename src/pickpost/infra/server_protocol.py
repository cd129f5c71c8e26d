"""uvicorn's httptools protocol with what it lacks for a server on the open internet
(docs/deploy.md, "Overload and slow clients"):

- every request is stamped when its first and last bytes are read (``Arrival`` in the ASGI
  scope), so the time it then waits for the event loop counts in its deadline, its admission
  and /metrics;
- request headers must arrive within ``header_timeout_s`` and the body within
  ``body_timeout_s`` of them, or the connection is closed (a silent new connection too);
- past ``max_connections`` open connections, a new one is closed as soon as it is accepted.

uvicorn has no read deadline of its own: a client sending half a request would hold its
connection, and a file descriptor, for ever.
"""

import asyncio
import functools
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from pickpost.infra.metrics import CONNECTIONS_CLOSED
from pickpost.settings import Settings

SCOPE_KEY = "pickpost.arrival"
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
        super().on_headers_complete()
        self._arm(self._limits.body_timeout_s, "body_timeout")

    def on_message_complete(self) -> None:
        super().on_message_complete()
        if self._arrival is not None:
            self._arrival.complete = time.monotonic()
        self._disarm()

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
