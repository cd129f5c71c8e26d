"""The fault suite's fixtures: the faulty buyers, and the exchange over each database
(``tests/support/fault_exchange.py``)."""

from collections.abc import Iterator

import pytest

from tests.support.fault_exchange import Exchange, fault_exchange
from tests.support.faultbuyer import FaultBuyers


@pytest.fixture(scope="session")
def fault_buyers() -> Iterator[FaultBuyers]:
    with FaultBuyers() as buyers:
        yield buyers


@pytest.fixture(scope="session")
def exchange(
    fault_buyers: FaultBuyers, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Exchange]:
    """The exchange over SQLite, buyers pinged in process."""
    directory = tmp_path_factory.mktemp("faults-sqlite")
    with fault_exchange("sqlite", fault_buyers, directory) as running:
        yield running


@pytest.fixture(scope="session")
def cluster(
    fault_buyers: FaultBuyers, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Exchange]:
    """The exchange over PostgreSQL and Redis."""
    directory = tmp_path_factory.mktemp("faults-postgres")
    with fault_exchange("postgres", fault_buyers, directory) as running:
        yield running
