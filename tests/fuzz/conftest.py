"""One fuzzed exchange per database backend, for the whole fuzz run."""

from collections.abc import Iterator

import pytest

from tests.support.fuzz_exchange import FuzzTarget, fuzz_target


@pytest.fixture(scope="session", params=["sqlite", "postgres"])
def target(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[FuzzTarget]:
    with fuzz_target(request.param, tmp_path_factory.mktemp(f"fuzz-{request.param}")) as running:
        yield running
    log = running.server.log()
    # Every answer was checked; the process log must not show an error escaping a handler,
    # nor a request or ping whose log row the database refused.
    assert "Exception in ASGI application" not in log, log
    assert "dropped" not in log, log
    print(f"\nfuzz {request.param}: {running.sent} requests, codes {dict(running.codes)}")
