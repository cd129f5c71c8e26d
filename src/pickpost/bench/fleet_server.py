"""The bench's simulated fleet: every buyer of a ``FleetPlan`` in one uvloop process.

``pickpost simbuyers`` (an aiohttp app per buyer, with scripts, request logs and faults) is for
the demo and the tests; on the bench's two cores its own CPU per buyer call was a large share
of the machine, so the server's share could not be told apart (docs/benchmarks.md, issue 12).
This fleet does the least a buyer can: a listening socket per buyer, an asyncio protocol per
connection with the ``httptools`` parser, no body parsing (the answer does not depend on it),
the answer (head and body in one write) after the buyer's fixed delay, keep-alive. The answers
are the native protocol's (docs/buyer-protocol.md) as ``simbuyers`` gives them for the bench's
scripts: a bid
``{"bid": {"price", "bid_id", "tcpa_entity_name"}}`` to a ping, ``{"accepted": true}`` to a
post; the hanging buyer never answers a ping.

Run as ``python -m pickpost.bench.fleet_server --buyers N [--hanging]``; it prints
``<buyer_id> ping=<url>/ping post=<url>/post`` per buyer once all are bound, as ``simbuyers``
does, and stops on SIGTERM or SIGINT.
"""

import argparse
import asyncio
import functools
import itertools
import signal
import sys
from collections import deque
from dataclasses import dataclass
from typing import cast

import httptools
import orjson
import uvloop

from pickpost.bench.fleet import HANGING_BUYER, FleetPlan

_HEAD = b"HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n%s\r\n"
_CLOSE = b"Connection: close\r\n"
_NOT_FOUND = b'{"error": "not found"}'
_BAD_REQUEST = b'{"error": "bad request"}'


def response(status: int, body: bytes, keep_alive: bool) -> bytes:
    """One whole HTTP/1.1 answer: head and body in one write."""
    reason = b"OK" if status == 200 else b"Error"
    close = b"" if keep_alive else _CLOSE
    return _HEAD % (status, reason, len(body), close) + body


@dataclass(frozen=True, slots=True)
class BuyerSpec:
    """One buyer: its id, price, ping delay (None: never answers a ping) and post delay."""

    buyer_id: str
    price: int
    ping_delay_s: float | None
    post_delay_s: float


def buyer_specs(plan: FleetPlan) -> list[BuyerSpec]:
    """The plan's buyers with the prices ``simbuyers`` gave them (10, 11, … dollars; 99 for
    the hanging buyer)."""
    post_s = plan.post_delay_ms / 1000
    specs = [
        BuyerSpec(buyer_id, 10 + index, delay / 1000, post_s)
        for index, (buyer_id, delay) in enumerate(
            zip(plan.answering_ids(), plan.delays_ms(), strict=True)
        )
    ]
    if plan.hanging:
        specs.append(BuyerSpec(HANGING_BUYER, 99, None, post_s))
    return specs


class Buyer:
    """What one buyer answers; the bid ids count up as ``simbuyers``' do (``b01-1``, …)."""

    def __init__(self, spec: BuyerSpec) -> None:
        self.spec = spec
        self._numbers = itertools.count(1)
        self._entity = f"Bench Buyer {spec.buyer_id} LLC"
        self._accepted = orjson.dumps({"accepted": True, "fields": {}})

    def answer(self, path: bytes) -> tuple[int, bytes, float] | None:
        """``(status, body, delay in seconds)`` for a request to ``path``; None: never answer."""
        spec = self.spec
        if path == b"/ping":
            if spec.ping_delay_s is None:
                return None
            bid = {
                "price": spec.price,
                "bid_id": f"{spec.buyer_id}-{next(self._numbers)}",
                "tcpa_entity_name": self._entity,
            }
            return 200, orjson.dumps({"bid": bid}), spec.ping_delay_s
        if path == b"/post":
            return 200, self._accepted, spec.post_delay_s
        return 404, _NOT_FOUND, 0.0


class _Slot:
    """A request's answer, once its delay has passed; answers leave in request order."""

    __slots__ = ("close", "data")

    def __init__(self) -> None:
        self.data: bytes | None = None
        self.close = False


class BuyerConnection(asyncio.Protocol):
    """One client connection to one buyer: requests parsed by httptools, each answered after
    the buyer's delay, in order (a pipelining client gets its answers in its order)."""

    def __init__(self, buyer: Buyer) -> None:
        self._buyer = buyer
        self._parser = httptools.HttpRequestParser(self)
        self._transport: asyncio.Transport | None = None
        self._url = b""
        self._slots: deque[_Slot] = deque()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's TCP transport is not a subclass of asyncio.Transport, though it is one.
        self._transport = cast(asyncio.Transport, transport)

    def connection_lost(self, exc: Exception | None) -> None:
        self._transport = None

    def data_received(self, data: bytes) -> None:
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError:
            slot = _Slot()
            self._slots.append(slot)
            self._fill(slot, response(400, _BAD_REQUEST, False), close=True)

    # httptools callbacks: only the URL matters (the body is not read; headers neither, apart
    # from keep-alive, which the parser itself judges).
    def on_url(self, url: bytes) -> None:
        self._url += url

    def on_message_complete(self) -> None:
        path, self._url = self._url.partition(b"?")[0], b""
        keep_alive = self._parser.should_keep_alive()
        slot = _Slot()
        self._slots.append(slot)
        answer = self._buyer.answer(path)
        if answer is None:
            return  # the hanging buyer: the slot stays empty until the client gives up
        status, body, delay_s = answer
        data = response(status, body, keep_alive)
        loop = asyncio.get_running_loop()
        loop.call_later(delay_s, self._fill, slot, data, not keep_alive)

    def _fill(self, slot: _Slot, data: bytes, close: bool) -> None:
        slot.data, slot.close = data, close
        transport = self._transport
        while transport is not None and self._slots and self._slots[0].data is not None:
            ready = self._slots.popleft()
            assert ready.data is not None
            transport.write(ready.data)
            if ready.close:
                transport.close()
                self._transport = None
                return


async def serve(
    plan: FleetPlan, host: str = "127.0.0.1"
) -> tuple[list[asyncio.Server], dict[str, str]]:
    """Bind every buyer of ``plan`` on an ephemeral port: the servers and
    ``{buyer_id: base_url}``."""
    loop = asyncio.get_running_loop()
    servers: list[asyncio.Server] = []
    urls: dict[str, str] = {}
    for spec in buyer_specs(plan):
        server = await loop.create_server(functools.partial(BuyerConnection, Buyer(spec)), host, 0)
        servers.append(server)
        port = server.sockets[0].getsockname()[1]
        urls[spec.buyer_id] = f"http://{host}:{port}"
    return servers, urls


async def _run(plan: FleetPlan) -> None:
    servers, urls = await serve(plan)
    for buyer_id, url in urls.items():
        sys.stdout.write(f"{buyer_id} ping={url}/ping post={url}/post\n")
    sys.stdout.flush()
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stopping.set)
    await stopping.wait()
    for server in servers:
        server.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--buyers", type=int, required=True, help="answering buyers")
    parser.add_argument("--low-ms", type=int, default=20)
    parser.add_argument("--high-ms", type=int, default=80)
    parser.add_argument("--post-delay-ms", type=int, default=10)
    parser.add_argument("--hanging", action="store_true", help="add a buyer that never answers")
    args = parser.parse_args()
    plan = FleetPlan(args.buyers, args.low_ms, args.high_ms, args.post_delay_ms, args.hanging)
    uvloop.run(_run(plan))


if __name__ == "__main__":
    main()
