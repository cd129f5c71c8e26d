"""The baseline: the least a ping fan-out can do, written directly on aiohttp.

It forwards each ping to every buyer with one ``ClientSession``, waits for the answers until the
deadline, and returns the bids. No validation, no auth, no storage, no shaping: the floor that
Pickpost's overhead is stated against. Run as ``python -m pickpost.bench.baseline``.
"""

import argparse
import asyncio
import time
import uuid

import aiohttp
import orjson
import uvloop
from aiohttp import web

_JSON = {"Content-Type": "application/json"}


class FanOut:
    def __init__(self, buyer_urls: list[str], deadline_ms: int) -> None:
        self._urls = buyer_urls
        self._deadline_s = deadline_ms / 1000
        self._session: aiohttp.ClientSession | None = None

    async def start(self, _app: web.Application) -> None:
        connector = aiohttp.TCPConnector(limit=0)
        self._session = aiohttp.ClientSession(connector=connector)

    async def stop(self, _app: web.Application) -> None:
        if self._session is not None:
            await self._session.close()

    async def ping(self, request: web.Request) -> web.Response:
        until = time.monotonic() + self._deadline_s
        lead = orjson.loads(await request.read())
        body = orjson.dumps(
            {
                "ping_id": uuid.uuid4().hex,
                "campaign_id": "baseline",
                "test": False,
                "tmax_ms": round(self._deadline_s * 1000),
                "lead": lead,
            }
        )
        calls = [asyncio.create_task(self._call(url, body)) for url in self._urls]
        done, pending = await asyncio.wait(calls, timeout=max(0.0, until - time.monotonic()))
        for call in pending:
            call.cancel()
        bids = [bid for call in done if (bid := call.result()) is not None]
        answer = {"status": "ACCEPTED", "code": 0, "bids": bids}
        return web.Response(body=orjson.dumps(answer), content_type="application/json")

    async def _call(self, url: str, body: bytes) -> object:
        assert self._session is not None
        try:
            async with self._session.post(url, data=body, headers=_JSON) as response:
                if response.status != 200:
                    return None
                return orjson.loads(await response.read()).get("bid")
        except (aiohttp.ClientError, orjson.JSONDecodeError, AttributeError):
            return None


async def _healthz(_request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


def app(buyer_urls: list[str], deadline_ms: int) -> web.Application:
    fan_out = FanOut(buyer_urls, deadline_ms)
    application = web.Application()
    application.on_startup.append(fan_out.start)
    application.on_cleanup.append(fan_out.stop)
    application.router.add_post("/ping", fan_out.ping)
    application.router.add_get("/healthz", _healthz)
    return application


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--deadline-ms", type=int, required=True)
    parser.add_argument("--buyer", action="append", required=True, help="a buyer's ping URL")
    args = parser.parse_args()
    web.run_app(
        app(args.buyer, args.deadline_ms),
        host="127.0.0.1",
        port=args.port,
        access_log=None,
        print=None,
        shutdown_timeout=1,
        loop=uvloop.new_event_loop(),
    )


if __name__ == "__main__":
    main()
