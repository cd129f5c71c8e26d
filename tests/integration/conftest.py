"""The integration fixtures: one simulated fleet for the session, and one running system per
database over it (the world they serve is ``tests/support/system.py``)."""

from collections.abc import AsyncIterator, Iterator

import pytest

from pickpost.infra.transport import HttpTransport
from pickpost.simbuyers import FleetConfig
from tests.support.fleet import ThreadedFleet
from tests.support.system import FLEET, System, running_system


@pytest.fixture(scope="session")
def fleet() -> Iterator[ThreadedFleet]:
    with ThreadedFleet(FleetConfig.model_validate(FLEET), seed=7) as running:
        yield running


@pytest.fixture(scope="session", params=["sqlite", "postgres"])
def system(
    request: pytest.FixtureRequest, fleet: ThreadedFleet, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[System]:
    """One server per database: SQLite with in-process pings; PostgreSQL with Redis pings."""
    with running_system(request.param, fleet, tmp_path_factory.mktemp(request.param)) as running:
        yield running


@pytest.fixture
def sut(system: System) -> System:
    """The running system with the buyers' request logs cleared."""
    system.fleet.clear()
    return system


@pytest.fixture
async def transport() -> AsyncIterator[HttpTransport]:
    """The buyer transport as the server builds it, closed after the test."""
    transport = HttpTransport.create()
    yield transport
    await transport.close()
