"""Simulated buyers over real HTTP on loopback."""

import asyncio
import logging
import os
import signal
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from pickpost.simbuyers import FleetConfig, SimFleet
from pickpost.simbuyers.server import DELAY_HEADER, run_fleet
from tests.support.fleet import ThreadedFleet

HANG_TIMEOUT = aiohttp.ClientTimeout(total=0.3)
GENEROUS_S = 5.0
PING = {"ping_id": "p_1", "campaign_id": "101", "test": False, "tmax_ms": 750, "lead": {}}

CONFIG = FleetConfig.model_validate(
    {
        "buyers": [
            {
                "id": "full",
                "price": {"fixed": 45.0},
                "latency_ms": {"fixed": 25},
                "post_latency_ms": {"fixed": 15},
                "tcpa_entity_name": "SunCo Solar LLC",
                "additional_data": {"tier": "gold"},
                "redirect_url": "https://sunco.example/thanks?lead={lead_id}",
            },
            {"id": "plain", "price": {"min": 10, "max": 50}, "latency_ms": {"min": 0, "max": 20}},
            {"id": "nobid204", "price": 1, "no_bid_rate": 1},
            {"id": "nobidnull", "price": 1, "no_bid_rate": 1, "no_bid_style": "null"},
            {"id": "rejects", "price": 1, "accept_rate": 0},
            {"id": "dupes", "price": 1, "duplicate_rate": 1},
            {"id": "hang", "price": 1, "fault": {"mode": "hang"}},
            {"id": "error", "price": 1, "latency_ms": 5, "fault": {"mode": "500"}},
            {"id": "garbage", "price": 1, "latency_ms": 5, "fault": {"mode": "garbage"}},
            {"id": "reset", "price": 1, "fault": {"mode": "reset", "step": "both"}},
            {"id": "postfault", "price": 1, "fault": {"mode": "500", "step": "post"}},
        ]
    }
)


@pytest.fixture
async def sim() -> AsyncIterator[SimFleet]:
    sim = SimFleet(CONFIG, seed=1)
    await sim.start()
    yield sim
    await sim.stop()


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client:
        yield client


async def post_json(
    session: aiohttp.ClientSession, url: str, body: object, **kwargs: Any
) -> tuple[int, Any, aiohttp.ClientResponse]:
    async with session.post(url, json=body, **kwargs) as response:
        content = await response.json() if response.status != 204 else None
        return response.status, content, response


def url(fleet: SimFleet, buyer_id: str, step: str) -> str:
    return f"{fleet.base_urls[buyer_id]}/{step}"


async def test_start_returns_a_loopback_url_per_buyer(sim: SimFleet) -> None:
    urls = sim.base_urls
    assert set(urls) == {b.id for b in CONFIG.buyers}
    assert all(u.startswith("http://127.0.0.1:") for u in urls.values())
    assert len(set(urls.values())) == len(urls)


async def test_bid_shape_and_delay_header(sim: SimFleet, session: aiohttp.ClientSession) -> None:
    status, body, response = await post_json(session, url(sim, "full", "ping"), PING)
    assert status == 200
    assert response.headers[DELAY_HEADER] == "25"
    assert body == {
        "bid": {
            "price": 45.0,
            "bid_id": "full-1",
            "tcpa_entity_name": "SunCo Solar LLC",
            "additional_data": {"tier": "gold"},
        }
    }
    _, again, _ = await post_json(session, url(sim, "full", "ping"), PING)
    assert again["bid"]["bid_id"] == "full-2"


async def test_ranged_bid_omits_unset_keys(sim: SimFleet, session: aiohttp.ClientSession) -> None:
    for _ in range(5):
        status, body, response = await post_json(session, url(sim, "plain", "ping"), PING)
        assert status == 200
        assert set(body["bid"]) == {"price", "bid_id"}
        assert 10 <= body["bid"]["price"] <= 50
        assert 0 <= int(response.headers[DELAY_HEADER]) <= 20


async def test_no_bid_styles(sim: SimFleet, session: aiohttp.ClientSession) -> None:
    status, body, response = await post_json(session, url(sim, "nobid204", "ping"), PING)
    assert (status, body) == (204, None)
    assert response.headers[DELAY_HEADER] == "0"
    status, body, _ = await post_json(session, url(sim, "nobidnull", "ping"), PING)
    assert (status, body) == (200, {"bid": None, "reason": "no coverage"})


async def test_post_outcomes(sim: SimFleet, session: aiohttp.ClientSession) -> None:
    post = {"lead_id": "l_42", "ping_id": "p_1", "bid_id": "full-1", "price": 45.0, "lead": {}}
    status, body, response = await post_json(session, url(sim, "full", "post"), post)
    assert status == 200
    assert response.headers[DELAY_HEADER] == "15"
    assert body == {
        "accepted": True,
        "fields": {"redirect_url": "https://sunco.example/thanks?lead=l_42"},
    }
    _, body, _ = await post_json(session, url(sim, "plain", "post"), post)
    assert body == {"accepted": True, "fields": {}}
    _, body, _ = await post_json(session, url(sim, "rejects", "post"), post)
    assert body == {"accepted": False, "reason": "rejected by simulation", "duplicate": False}
    _, body, _ = await post_json(session, url(sim, "dupes", "post"), post)
    assert body == {"accepted": False, "reason": "duplicate", "duplicate": True}


async def test_requests_are_recorded(sim: SimFleet, session: aiohttp.ClientSession) -> None:
    headers = {"X-Pickpost-Tmax-Ms": "750"}
    await post_json(session, url(sim, "plain", "ping"), PING, headers=headers)
    await post_json(session, url(sim, "plain", "post"), {"lead_id": "l_1"})
    ping, post = sim.received["plain"]
    assert (ping.step, post.step) == ("ping", "post")
    assert ping.body == PING
    assert ping.headers["x-pickpost-tmax-ms"] == "750"
    assert ping.headers["content-type"] == "application/json"
    assert post.body == {"lead_id": "l_1"}
    assert ping.received_at <= post.received_at
    assert sim.received["full"] == []
    sim.clear()
    assert sim.received["plain"] == []


async def test_malformed_json_is_refused_and_recorded(
    sim: SimFleet, session: aiohttp.ClientSession
) -> None:
    async with session.post(url(sim, "plain", "ping"), data=b"{not json") as response:
        assert response.status == 400
        assert "error" in await response.json()
        assert response.headers[DELAY_HEADER] == "0"
    async with session.post(url(sim, "plain", "post"), json=[1, 2]) as response:
        assert response.status == 400
    assert [r.body for r in sim.received["plain"]] == ["{not json", [1, 2]]


async def test_connections_are_kept_alive(sim: SimFleet) -> None:
    created = 0

    async def count(*_: object) -> None:
        nonlocal created
        created += 1

    trace = aiohttp.TraceConfig()
    trace.on_connection_create_end.append(count)
    async with aiohttp.ClientSession(trace_configs=[trace]) as client:
        for _ in range(3):
            await post_json(client, url(sim, "plain", "ping"), PING)
            await post_json(client, url(sim, "nobid204", "ping"), PING)
    assert created == 2


async def test_same_seed_same_answers(session: aiohttp.ClientSession) -> None:
    async def prices(seed: int) -> list[float]:
        sim = SimFleet(CONFIG, seed=seed)
        await sim.start()
        try:
            answers = [await post_json(session, url(sim, "plain", "ping"), PING) for _ in range(5)]
        finally:
            await sim.stop()
        return [body["bid"]["price"] for _, body, _ in answers]

    assert await prices(7) == await prices(7)


# --- faults -----------------------------------------------------------------------------------


async def test_hang_never_answers(sim: SimFleet, session: aiohttp.ClientSession) -> None:
    with pytest.raises(asyncio.TimeoutError):
        await post_json(session, url(sim, "hang", "ping"), PING, timeout=HANG_TIMEOUT)
    assert len(sim.received["hang"]) == 1  # recorded before the fault


async def test_hang_is_scripted_for_ping_only(
    sim: SimFleet, session: aiohttp.ClientSession
) -> None:
    status, body, _ = await post_json(session, url(sim, "hang", "post"), {"lead_id": "l_1"})
    assert (status, body["accepted"]) == (200, True)


async def test_server_error(sim: SimFleet, session: aiohttp.ClientSession) -> None:
    async with session.post(url(sim, "error", "ping"), json=PING) as response:
        assert response.status == 500
        assert response.headers[DELAY_HEADER] == "5"
        assert await response.text() == "simulated server error"


async def test_garbage(sim: SimFleet, session: aiohttp.ClientSession) -> None:
    async with session.post(url(sim, "garbage", "ping"), json=PING) as response:
        assert response.status == 200
        assert response.content_type == "text/html"
        assert response.headers[DELAY_HEADER] == "5"
        assert await response.text() == "<html>not json"


@pytest.mark.parametrize("step", ["ping", "post"])
async def test_reset_drops_the_connection_quietly(
    sim: SimFleet,
    session: aiohttp.ClientSession,
    caplog: pytest.LogCaptureFixture,
    step: str,
) -> None:
    caplog.set_level(logging.DEBUG)
    with pytest.raises(aiohttp.ClientError):
        await post_json(session, url(sim, "reset", step), PING)
    # The server side must neither log a problem nor break: the next request is served.
    status, _, _ = await post_json(session, url(sim, "plain", "ping"), PING)
    assert status == 200
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []
    assert len(sim.received["reset"]) == 1


async def test_post_only_fault(sim: SimFleet, session: aiohttp.ClientSession) -> None:
    status, _, _ = await post_json(session, url(sim, "postfault", "ping"), PING)
    assert status == 200
    async with session.post(url(sim, "postfault", "post"), json={"lead_id": "l"}) as response:
        assert response.status == 500


async def test_stop_is_prompt_with_a_hang_outstanding(session: aiohttp.ClientSession) -> None:
    sim = SimFleet(CONFIG)
    await sim.start()
    pending = asyncio.create_task(post_json(session, url(sim, "hang", "ping"), PING))
    async with asyncio.timeout(GENEROUS_S):
        while not sim.received["hang"]:  # noqa: ASYNC110 - the fleet has no event to wait on
            await asyncio.sleep(0.01)
    await asyncio.wait_for(sim.stop(), GENEROUS_S)
    with pytest.raises(aiohttp.ClientError):
        await asyncio.wait_for(pending, GENEROUS_S)
    assert sim.base_urls == {}
    await sim.stop()  # stopping twice is harmless


# --- run_fleet and ThreadedFleet --------------------------------------------------------------


async def wait_for_lines(capsys: pytest.CaptureFixture[str], count: int) -> list[str]:
    seen = ""
    async with asyncio.timeout(GENEROUS_S):
        while seen.count("\n") < count:
            await asyncio.sleep(0.01)
            seen += capsys.readouterr().out
    return seen.splitlines()


SMALL = FleetConfig.model_validate(
    {"buyers": [{"id": "a", "price": 12.5}, {"id": "b", "price": 20}]}
)


async def test_run_fleet_prints_urls_and_stops_on_cancel(
    capsys: pytest.CaptureFixture[str], session: aiohttp.ClientSession
) -> None:
    task = asyncio.create_task(run_fleet(SMALL, "127.0.0.1"))
    lines = await wait_for_lines(capsys, 2)
    assert [line.split()[0] for line in lines] == ["a", "b"]
    ping_url = lines[0].split()[1].removeprefix("ping=")
    assert lines[0].split()[2] == f"post={ping_url.removesuffix('/ping')}/post"
    status, body, _ = await post_json(session, ping_url, PING)
    assert (status, body["bid"]["price"]) == (200, 12.5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(task, GENEROUS_S)
    with pytest.raises(aiohttp.ClientError):
        await post_json(session, ping_url, PING)


async def test_run_fleet_stops_on_sigterm(capsys: pytest.CaptureFixture[str]) -> None:
    task = asyncio.create_task(run_fleet(SMALL, "127.0.0.1"))
    await wait_for_lines(capsys, 2)  # the handlers are installed before the fleet starts
    os.kill(os.getpid(), signal.SIGTERM)
    await asyncio.wait_for(task, GENEROUS_S)
    assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL


async def test_threaded_fleet(session: aiohttp.ClientSession) -> None:
    with ThreadedFleet(SMALL, seed=3) as threaded:
        urls = threaded.base_urls
        status, body, _ = await post_json(session, f"{urls['b']}/ping", PING)
        assert (status, body["bid"]["price"]) == (200, 20.0)
        [received] = threaded.received("b")
        assert received.body == PING
        threaded.clear()
        assert threaded.received("b") == []
    assert threaded.base_urls == {}
