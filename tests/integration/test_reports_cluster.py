"""Reports add up across two nodes over one PostgreSQL and one Redis: each node counts its own
traffic and both refresh the same lead rollups, and every total, grouping and zone still equals
a count of the ledger."""

import json
from collections.abc import Iterator

import httpx
import pytest

from tests.support.databases import POSTGRES_ENV, REDIS_ENV, postgres_database, required_env
from tests.support.fleet import ThreadedFleet
from tests.support.ledger import (
    assert_reports_equal_the_ledger,
    drive,
    move_across_midnight,
    report,
    return_two_sales,
)
from tests.support.server import ADMIN_TOKEN, ServerProcess
from tests.support.system import System, workspace


@pytest.fixture(scope="module")
def nodes(
    fleet: ThreadedFleet, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[System, System]]:
    admin_url = required_env(POSTGRES_ENV)
    redis_url = required_env(REDIS_ENV)
    directory = tmp_path_factory.mktemp("reports-cluster")
    path = directory / "workspace.json"
    path.write_text(json.dumps(workspace(fleet.base_urls)))
    with postgres_database(admin_url, redis_url) as database_url:
        a = ServerProcess(path, database_url, directory / "a.log", redis_url)
        b = ServerProcess(path, database_url, directory / "b.log", redis_url)
        with (
            a,
            b,
            httpx.Client(base_url=a.base_url, timeout=30) as http_a,
            httpx.Client(base_url=b.base_url, timeout=30) as http_b,
        ):
            yield System(a, fleet, database_url, http_a), System(b, fleet, database_url, http_b)


def test_reports_equal_the_ledger_across_two_nodes(nodes: tuple[System, System]) -> None:
    a, b = nodes
    drive(a, b)  # pings answered by one node, posts and Direct Posts by the other
    drive(b, a)
    return_two_sales(a)
    move_across_midnight(a)
    # Each node writes its own counts when asked for a report; then either node's answer is
    # the whole deployment's.
    report(a.http, ADMIN_TOKEN)
    assert_reports_equal_the_ledger(b)
    report(b.http, ADMIN_TOKEN)
    assert_reports_equal_the_ledger(a)
