"""Admission in front of the supplier endpoints: a request the server cannot answer in time is
refused at once with 1090, HTTP 503 and ``Retry-After`` (docs/supplier-api.md, "Overload").

It wraps the whole application, so a refusal costs no routing, no parsing and no log row; it
is counted in /metrics only. While the PING limit is full, the server's protocol refuses a
PING before even this runs (``shed``). Other paths (console, admin, /metrics) pass untouched.
"""

import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import orjson

from pickpost.api.payload import MAX_BODY_BYTES
from pickpost.domain.admission import Admission, AdmissionPolicy, Verdict
from pickpost.domain.errors import Code
from pickpost.infra.metrics import (
    ADMISSION_LIMIT,
    ADMISSIONS,
    IN_FLIGHT,
    SUPPLIER_QUEUE_WAIT,
)
from pickpost.infra.server_protocol import SHEDDER_KEY, Arrival, arrival_of
from pickpost.services.replies import Reply, envelope
from pickpost.settings import Settings

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

RECEIVED_KEY = "pickpost.received"
OVERLOADED_MESSAGE = "the server is overloaded: retry after the Retry-After header's seconds"
# Each endpoint as the metrics name it (the aliases count under the endpoint they serve).
_ENDPOINTS = {
    "/ping": "/ping",
    "/post": "/post",
    "/direct_post": "/direct_post",
    "/ingest": "/direct_post",
}
_SALES = frozenset({"/post", "/direct_post"})


def policy_of(settings: Settings) -> AdmissionPolicy:
    return AdmissionPolicy(
        max_in_flight=settings.max_in_flight,
        min_in_flight=min(settings.min_in_flight, settings.max_in_flight),
        queue_target_s=settings.queue_target_ms / 1000,
        max_queue_s=settings.max_queue_ms / 1000,
    )


def received_of(scope: Scope) -> float:
    """When the server read the request (monotonic seconds): the admission's stamp, else now."""
    received = scope.get(RECEIVED_KEY)
    return received if isinstance(received, float) else time.monotonic()


class AdmissionGate:
    """The ASGI application ``app`` behind the admission rule of one server process."""

    def __init__(self, app: ASGIApp, admission: Admission, retry_after_s: int) -> None:
        self._app = app
        self._admission = admission
        body = orjson.dumps(envelope(Reply(Code.OVERLOADED, OVERLOADED_MESSAGE), None))
        self._refusal = (
            [
                (b"content-type", b"application/json"),
                (b"retry-after", str(retry_after_s).encode()),
                (b"content-length", str(len(body)).encode()),
            ],
            body,
        )
        self._refusal_start = {
            "type": "http.response.start",
            "status": Code.OVERLOADED.http_status,
            "headers": self._refusal[0],
        }
        self._refusal_body = {"type": "http.response.body", "body": body}
        ADMISSION_LIMIT.set(admission.limit)

    def shed(self, method: str, path: str) -> tuple[list[tuple[bytes, bytes]], bytes] | None:
        """A PING refused on its path alone, by the server as soon as its headers are read:
        while the limit is full there is no need to wait for a task to say so."""
        if method != "POST" or _ENDPOINTS.get(_trimmed(path)) != "/ping":
            return None
        if not self._admission.full():
            return None
        ADMISSIONS.labels("/ping", Verdict.BUSY.value).inc()
        return self._refusal

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan" and isinstance(scope.get("state"), dict):
            scope["state"][SHEDDER_KEY] = self  # for the server's protocol (server_protocol.py)
        endpoint = _endpoint(scope)
        if endpoint is None:
            await self._app(scope, receive, send)
            return
        arrival = arrival_of(scope)
        if arrival is not None and arrival.complete is None:
            # A body still coming holds a connection (until PICKPOST_BODY_TIMEOUT_S), never a
            # place among the requests in flight.
            receive = await _buffered(receive)
        now = time.monotonic()
        scope[RECEIVED_KEY] = arrival.received if arrival is not None else now
        # The queue: from the request being whole (its last byte read) to this decision.
        ready = arrival.complete if arrival is not None and arrival.complete else now
        verdict = self._decide(arrival, now - ready, now, endpoint in _SALES)
        SUPPLIER_QUEUE_WAIT.labels(endpoint).observe(now - ready)
        ADMISSIONS.labels(endpoint, verdict.value).inc()
        ADMISSION_LIMIT.set(self._admission.limit)
        if verdict is Verdict.GONE:
            return  # no one to answer, nothing to do
        if verdict is not Verdict.ADMITTED:
            await send(self._refusal_start)
            await send(self._refusal_body)
            return
        IN_FLIGHT.inc()
        try:
            await self._app(scope, receive, send)
        finally:
            self._admission.release()
            IN_FLIGHT.dec()

    def _decide(self, arrival: Arrival | None, waited: float, now: float, sale: bool) -> Verdict:
        if arrival is not None and arrival.lost:
            return Verdict.GONE
        return self._admission.admit(waited, now, sale)


async def _buffered(receive: Receive) -> Receive:
    """A ``receive`` replaying the body read here – to its end, or until it passes
    ``MAX_BODY_BYTES`` (the handler refuses a larger one) – before reading on."""
    read: list[Message] = []
    size = 0
    while size <= MAX_BODY_BYTES:
        message = await receive()
        read.append(message)
        if message["type"] != "http.request" or not message.get("more_body", False):
            break
        size += len(message.get("body", b""))
    pending = iter(read)

    async def replay() -> Message:
        return next(pending, None) or await receive()

    return replay


def _endpoint(scope: Scope) -> str | None:
    if scope["type"] != "http" or scope.get("method") != "POST":
        return None
    return _ENDPOINTS.get(_trimmed(str(scope.get("path", ""))))


def _trimmed(path: str) -> str:
    return path.removesuffix("/") if len(path) > 1 else path


def guarded(app: ASGIApp, settings: Settings) -> AdmissionGate:
    return AdmissionGate(app, Admission(policy_of(settings)), settings.overload_retry_after_s)
