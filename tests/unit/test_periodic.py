"""Background rounds: a failed round is logged and the work goes on; closing stops it."""

import asyncio

import pytest

from pickpost.services.periodic import Periodic


async def test_a_failed_round_is_logged_and_the_next_one_runs(
    caplog: pytest.LogCaptureFixture,
) -> None:
    rounds: list[int] = []
    recovered = asyncio.Event()

    async def work() -> None:
        rounds.append(len(rounds))
        if len(rounds) == 1:
            raise ConnectionError("database went away")
        recovered.set()

    periodic = Periodic("sweep", 0.001, work, at_start=True)
    periodic.start()
    await asyncio.wait_for(recovered.wait(), timeout=10)
    await periodic.close()
    assert len(rounds) >= 2
    assert "sweep failed" in caplog.text


async def test_closing_stops_the_rounds() -> None:
    rounds: list[int] = []
    ran = asyncio.Event()

    async def work() -> None:
        rounds.append(1)
        ran.set()

    periodic = Periodic("sweep", 0.001, work, at_start=True)
    periodic.start()
    await asyncio.wait_for(ran.wait(), timeout=10)
    await periodic.close()
    done = len(rounds)
    await asyncio.sleep(0.01)
    assert len(rounds) == done
