"""Simulated buyers as real HTTP servers on loopback, speaking the native protocol
(docs/buyer-protocol.md) or, per script, the ``mapped_xml`` dialect of a buyer with its own API."""

import asyncio
import contextlib
import itertools
import random
import signal
import socket
import struct
import sys
import time
from dataclasses import dataclass

import orjson
from aiohttp import web

from pickpost.simbuyers import mapped_xml
from pickpost.simbuyers.script import (
    Answer,
    BuyerScript,
    FaultMode,
    FleetConfig,
    Step,
    decide_ping,
    decide_post,
    ping_answer,
    post_answer,
)

DELAY_HEADER = "X-Sim-Delay-Ms"
_HANG_S = 3600.0
# In-flight handlers (a hang, a long delay) get this long to finish on stop, then are cancelled.
_SHUTDOWN_TIMEOUT_S = 0.1


@dataclass(frozen=True, slots=True)
class ReceivedRequest:
    """One request as a simulated buyer received it, before any delay or fault.

    ``headers`` has lower-cased names; ``body`` is the parsed JSON (for a ``mapped_xml`` buyer:
    the JSON object or form fields), or the raw text if it was neither; ``received_at`` is epoch
    seconds.
    """

    step: str
    headers: dict[str, str]
    body: object
    received_at: float


def _parse_body(raw: bytes) -> object:
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        return raw.decode("utf-8", errors="replace")


def _json(status: int, body: object, delay_ms: int) -> web.Response:
    return web.Response(
        status=status,
        body=orjson.dumps(body),
        content_type="application/json",
        headers={DELAY_HEADER: str(delay_ms)},
    )


def _xml(body: bytes, delay_ms: int) -> web.Response:
    return web.Response(
        body=body, content_type="application/xml", headers={DELAY_HEADER: str(delay_ms)}
    )


def _render(answer: Answer, delay_ms: int) -> web.Response:
    if answer.body is None:
        return web.Response(status=answer.status, headers={DELAY_HEADER: str(delay_ms)})
    return _json(answer.status, answer.body, delay_ms)


def _reset(request: web.Request) -> web.Response:
    transport = request.transport
    if transport is not None:
        sock = transport.get_extra_info("socket")
        if sock is not None and hasattr(socket, "SO_LINGER"):
            # Linger 0 makes the close an RST rather than a FIN: a reset, not a clean close.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        transport.abort()
    # Never sent: aiohttp takes the failed write as a client disconnect and logs nothing.
    return web.Response(status=500)


async def _apply_fault(request: web.Request, fault: FaultMode, delay_ms: int) -> web.Response:
    if fault == "hang":
        # Cancelled when the client gives up (handler_cancellation) or the fleet stops.
        await asyncio.sleep(_HANG_S)
        return _reset(request)
    if fault == "500":
        return web.Response(
            status=500, text="simulated server error", headers={DELAY_HEADER: str(delay_ms)}
        )
    if fault == "garbage":
        return web.Response(
            status=200,
            text="<html>not json",
            content_type="text/html",
            headers={DELAY_HEADER: str(delay_ms)},
        )
    return _reset(request)


class _Buyer:
    """The handlers of one simulated buyer."""

    def __init__(self, script: BuyerScript, rng: random.Random, log: list[ReceivedRequest]) -> None:
        self._script = script
        self._rng = rng
        self._log = log
        self._bid_numbers = itertools.count(1)

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/ping", self.ping)
        app.router.add_post("/post", self.post)
        return app

    async def _receive(self, request: web.Request, step: Step) -> dict[str, object] | None:
        raw = await request.read()
        body = _parse_body(raw)
        if self._script.dialect == "mapped_xml":
            fields = mapped_xml.read_fields(raw)
            body = body if fields is None else fields
        headers = {name.lower(): value for name, value in request.headers.items()}
        self._log.append(ReceivedRequest(step, headers, body, time.time()))
        return body if isinstance(body, dict) else None

    async def ping(self, request: web.Request) -> web.Response:
        """Answer ``POST /ping`` as scripted."""
        body = await self._receive(request, "ping")
        if body is None:
            return _json(400, {"error": "request body must be a JSON object"}, 0)
        decision = decide_ping(self._script, self._rng)
        await asyncio.sleep(decision.delay_ms / 1000)
        if decision.fault is not None:
            return await _apply_fault(request, decision.fault, decision.delay_ms)
        bid_id = f"{self._script.id}-{next(self._bid_numbers)}"
        if self._script.dialect == "mapped_xml":
            return _xml(mapped_xml.ping_xml(decision.price, bid_id), decision.delay_ms)
        return _render(ping_answer(self._script, decision.price, bid_id), decision.delay_ms)

    async def post(self, request: web.Request) -> web.Response:
        """Answer ``POST /post`` as scripted."""
        body = await self._receive(request, "post")
        if body is None:
            return _json(400, {"error": "request body must be a JSON object"}, 0)
        decision = decide_post(self._script, self._rng)
        await asyncio.sleep(decision.delay_ms / 1000)
        if decision.fault is not None:
            return await _apply_fault(request, decision.fault, decision.delay_ms)
        raw_lead_id = body.get("lead_id")
        lead_id = raw_lead_id if isinstance(raw_lead_id, str) else ""
        if self._script.dialect == "mapped_xml":
            answer = mapped_xml.post_xml(self._script, decision.outcome, lead_id)
            return _xml(answer, decision.delay_ms)
        return _render(post_answer(self._script, decision.outcome, lead_id), decision.delay_ms)


class SimFleet:
    """A fleet of simulated buyers, one aiohttp server per buyer.

    With a ``seed``, each buyer draws from its own RNG seeded from ``seed`` and its id, so its
    answers do not depend on how requests to other buyers interleave.
    """

    def __init__(
        self, config: FleetConfig, host: str = "127.0.0.1", seed: int | None = None
    ) -> None:
        self.config = config
        self.host = host
        self.received: dict[str, list[ReceivedRequest]] = {b.id: [] for b in config.buyers}
        self._seed = seed
        self._runners: list[web.AppRunner] = []
        self._base_urls: dict[str, str] = {}

    @property
    def base_urls(self) -> dict[str, str]:
        """``{buyer_id: "http://host:port"}`` while started; empty before start and after stop."""
        return dict(self._base_urls)

    def _rng(self, buyer_id: str) -> random.Random:
        if self._seed is None:
            return random.Random()
        return random.Random(f"{self._seed}:{buyer_id}")

    async def start(self) -> dict[str, str]:
        """Bind every buyer's server and return ``{buyer_id: base_url}``."""
        if self._runners:
            raise RuntimeError("fleet already started")
        try:
            for script in self.config.buyers:
                buyer = _Buyer(script, self._rng(script.id), self.received[script.id])
                runner = web.AppRunner(
                    buyer.app(),
                    access_log=None,
                    handler_cancellation=True,
                    shutdown_timeout=_SHUTDOWN_TIMEOUT_S,
                )
                await runner.setup()
                self._runners.append(runner)
                site = web.TCPSite(runner, self.host, script.port)
                await site.start()
                port = runner.addresses[0][1]
                self._base_urls[script.id] = f"http://{_url_host(self.host)}:{port}"
        except BaseException:
            await self.stop()
            raise
        return self.base_urls

    async def stop(self) -> None:
        """Stop every server, cancelling requests still in flight; safe to call twice."""
        runners, self._runners = self._runners, []
        self._base_urls = {}
        await asyncio.gather(*(runner.cleanup() for runner in runners))

    def clear(self) -> None:
        """Forget the requests received so far."""
        for log in self.received.values():
            log.clear()


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


async def run_fleet(config: FleetConfig, host: str) -> None:
    """Serve ``config`` on ``host`` until cancelled, SIGINT or SIGTERM; then stop cleanly.

    Prints ``<buyer_id> ping=<url>/ping post=<url>/post`` per buyer once every server is bound.
    """
    fleet = SimFleet(config, host)
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    handled: list[signal.Signals] = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        # Only possible in the main thread on a Unix loop; elsewhere cancellation stops us.
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(sig, stopping.set)
            handled.append(sig)
    try:
        urls = await fleet.start()
        for buyer_id, url in urls.items():
            sys.stdout.write(f"{buyer_id} ping={url}/ping post={url}/post\n")
        sys.stdout.flush()
        await stopping.wait()
    finally:
        for sig in handled:
            loop.remove_signal_handler(sig)
        await fleet.stop()
