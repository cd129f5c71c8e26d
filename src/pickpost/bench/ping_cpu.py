"""Pickpost's own CPU per PING, without sockets: ``python -m pickpost.bench.ping_cpu``.

The real application (admission gate, supplier fast path, ping use case, SQLite stores, log
writer, metrics, traffic counter) built as ``pickpost serve`` builds it, on the bench's
campaign (ten native buyers, as ``pickpost.bench.workspace`` writes it), except for the buyer
transport: its ``send_all`` answers every call at once with a bid, so what is counted is
Pickpost's own work and none of the network's. Each run sends ``--pings`` PINGs one after the
other through the ASGI interface and counts the CPU time of the event loop's thread (what
also runs on the loop meanwhile, the log writer's and counters' tasks, included); the median
and spread of ``--runs`` runs are printed in microseconds per ping. The HTTP server's own
parsing and writing (uvicorn) is not in it. ``--profile`` prints the functions that cost most
(cProfile, over one run) instead. Runs under callgrind:
``valgrind --tool=callgrind python -m pickpost.bench.ping_cpu --runs 1 --pings N`` at two N.
"""

import argparse
import asyncio
import cProfile
import itertools
import json
import os
import pstats
import statistics
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import orjson

from pickpost.api.admission import guarded
from pickpost.api.app import create_app
from pickpost.bench.fleet import FleetPlan
from pickpost.bench.workspace import BenchCampaign
from pickpost.bootstrap import open_runtime
from pickpost.buyers.wire import Delivery, InboundResponse, OutboundRequest
from pickpost.infra.sql.engine import make_engine
from pickpost.infra.sql.migrate import upgrade
from pickpost.infra.sql.workspace import apply_workspace
from pickpost.infra.workspace_file import read_workspace
from pickpost.settings import Settings

_JSON = {"content-type": "application/json"}


class CannedBuyers:
    """Every buyer bids at once: ``price`` dollars, a new bid id each time (as the bench's
    fleet answers, ``fleet_server.py``)."""

    def __init__(self, prices: dict[str, int]) -> None:
        self._prices = prices
        self._numbers = itertools.count(1)

    def _answer(self, request: OutboundRequest) -> Delivery:
        buyer = request.url.split("//", 1)[1].split(".", 1)[0]
        bid = {
            "price": self._prices[buyer],
            "bid_id": f"{buyer}-{next(self._numbers)}",
            "tcpa_entity_name": f"Bench Buyer {buyer} LLC",
        }
        body = orjson.dumps({"bid": bid})
        return Delivery(time.time(), 30.0, InboundResponse(200, body, _JSON))

    async def send(self, request: OutboundRequest, timeout_ms: int) -> Delivery:
        return self._answer(request)

    async def send_all(
        self, calls: Sequence[tuple[OutboundRequest, int]], within_s: float | None = None
    ) -> list[Delivery | None]:
        return [self._answer(request) for request, _ in calls]


class _Response:
    """What the application sent for one request."""

    def __init__(self) -> None:
        self.status = 0
        self.body = b""

    async def __call__(self, message: Any) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
        elif message["type"] == "http.response.body":
            self.body += message.get("body", b"")


def _scope(body: bytes) -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/ping",
        "raw_path": b"/ping",
        "root_path": "",
        "query_string": b"",
        "headers": [
            (b"host", b"pickpost.test"),
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
        ],
        "client": ("203.0.113.9", 40000),
        "server": ("127.0.0.1", 8080),
        "state": {},
    }


class Harness:
    """The application, started (its lifespan run) and ready for PINGs."""

    def __init__(self, app: Any, campaign: BenchCampaign) -> None:
        self._app = app
        self._campaign = campaign

    async def ping(self) -> bytes:
        body = orjson.dumps(self._campaign.ping_body())
        sent = False

        async def receive() -> dict[str, Any]:
            nonlocal sent
            if sent:
                await asyncio.Event().wait()  # a client that stays: no disconnect
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        response = _Response()
        await self._app(_scope(body), receive, response)
        if response.status != 200:
            raise RuntimeError(f"PING answered {response.status}: {response.body[:200]!r}")
        return response.body


async def _lifespan(app: Any, started: asyncio.Event, stop: asyncio.Event) -> None:
    events = iter([{"type": "lifespan.startup"}])

    async def receive() -> dict[str, Any]:
        event = next(events, None)
        if event is None:
            await stop.wait()
            return {"type": "lifespan.shutdown"}
        return event

    async def send(message: Any) -> None:
        if message["type"] == "lifespan.startup.complete":
            started.set()
        elif message["type"].endswith(".failed"):
            raise RuntimeError(message.get("message", "lifespan failed"))

    await app({"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}, receive, send)


def _prepare(workdir: Path, buyers: int) -> tuple[Settings, BenchCampaign, dict[str, int]]:
    """A migrated SQLite database holding the bench's campaign."""
    database = f"sqlite:///{workdir / 'ping_cpu.db'}"
    upgrade(database)
    campaign = BenchCampaign.fresh(deadline_ms=1000)
    plan = FleetPlan(buyers=buyers, hanging=False)
    ids = plan.buyer_ids()
    document = campaign.workspace(plan, {buyer: f"http://{buyer}.buyer.test" for buyer in ids})
    path = workdir / "workspace.json"
    path.write_text(json.dumps(document))

    async def apply() -> None:
        engine = make_engine(database)
        try:
            await apply_workspace(engine, read_workspace(path))
        finally:
            await engine.dispose()

    asyncio.run(apply())
    prices = {buyer: 10 + number for number, buyer in enumerate(ids)}
    return Settings(database_url=database), campaign, prices


async def measure(
    settings: Settings, campaign: BenchCampaign, prices: dict[str, int], runs: int, pings: int
) -> tuple[list[float], bytes, cProfile.Profile | None]:
    """Microseconds of the loop thread's CPU per ping, per run; the last answer; and, when
    ``runs`` is 0, one run's profile instead."""
    transport = CannedBuyers(prices)
    app = guarded(create_app(lambda: open_runtime(settings, transport)), settings)
    started, stop = asyncio.Event(), asyncio.Event()
    life = asyncio.create_task(_lifespan(app, started, stop))
    await started.wait()
    harness = Harness(app, campaign)
    found: list[float] = []
    profile = None
    try:
        answer = b""
        for _ in range(50):  # warm the caches, the pools and the log writer
            answer = await harness.ping()
        for _ in range(runs):
            cpu = time.thread_time()
            for _ in range(pings):
                await harness.ping()
            found.append((time.thread_time() - cpu) / pings * 1e6)
        if runs == 0:
            profile = cProfile.Profile()
            profile.enable()
            for _ in range(pings):
                await harness.ping()
            profile.disable()
    finally:
        stop.set()
        await life
    return found, answer, profile


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--buyers", type=int, default=10)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--pings", type=int, default=1000)
    parser.add_argument("--profile", action="store_true", help="rank functions (cProfile)")
    parser.add_argument("--sort", default="tottime", help="the profile's order (pstats)")
    parser.add_argument("--show", action="store_true", help="print the last PING answer")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="pickpost-ping-cpu-") as workdir:
        settings, campaign, prices = _prepare(Path(workdir), args.buyers)
        before = os.getloadavg()
        runs = 0 if args.profile else args.runs
        found, answer, profile = asyncio.run(measure(settings, campaign, prices, runs, args.pings))
        after = os.getloadavg()
    if args.show:
        print(answer.decode())
    if profile is not None:
        pstats.Stats(profile).sort_stats(args.sort).print_stats(45)
        return
    print(f"load average before {before[0]:.2f}, after {after[0]:.2f}; "
          f"{args.runs} runs of {args.pings} pings, {args.buyers} buyers bidding")  # fmt: skip
    print(f"loop CPU per ping: median {statistics.median(found):.0f} µs "
          f"(runs {min(found):.0f}-{max(found):.0f})")  # fmt: skip


if __name__ == "__main__":
    main()
