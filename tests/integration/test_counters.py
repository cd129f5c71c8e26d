"""The counter stores' guarantees, against SQLite, PostgreSQL and Redis: caps hold under
concurrency, charges apply all or none, refunds, duplicate marks and rotations."""

import asyncio
import secrets
from collections.abc import AsyncIterator, Iterator

import pytest
import redis.asyncio as aioredis

from pickpost.domain.caps import Charge
from pickpost.infra.redis_counters import RedisCounters
from pickpost.infra.sql.counters import SqlCounters
from pickpost.infra.sql.engine import make_engine
from pickpost.infra.sql.migrate import upgrade
from pickpost.services.ports import CounterStore
from tests.support.databases import (
    POSTGRES_ENV,
    REDIS_ENV,
    postgres_database,
    required_env,
    sqlite_url,
)


@pytest.fixture(scope="module")
def sqlite_database(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = sqlite_url(tmp_path_factory.mktemp("counters"))
    upgrade(url)
    return url


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    with postgres_database(required_env(POSTGRES_ENV)) as url:
        upgrade(url)
        yield url


@pytest.fixture(params=["sqlite", "postgres", "redis"])
def backend(request: pytest.FixtureRequest) -> tuple[str, str]:
    """(kind, URL) of the store under test; the databases are made once per module."""
    if request.param == "redis":
        return "redis", required_env(REDIS_ENV)
    fixture = "sqlite_database" if request.param == "sqlite" else "postgres_url"
    return "sql", str(request.getfixturevalue(fixture))


@pytest.fixture
async def store(backend: tuple[str, str]) -> AsyncIterator[CounterStore]:
    kind, url = backend
    if kind == "redis":
        client = aioredis.Redis.from_url(url)
        prefix = f"pickpost-test:{secrets.token_hex(6)}:"
        yield RedisCounters(client, prefix=prefix)
        keys = [key async for key in client.scan_iter(match=f"{prefix}*")]
        if keys:
            await client.delete(*keys)
        await client.aclose()
        return
    engine = make_engine(url)
    yield SqlCounters(engine)
    await engine.dispose()


def key() -> str:
    return f"cap:c:buyer:b:leads:day:{secrets.token_hex(4)}"


async def test_a_limit_holds_when_many_charge_at_once(store: CounterStore) -> None:
    cap = Charge(key(), limit=10, amount=1, ttl_s=3600)
    results = await asyncio.gather(*(store.charge([cap]) for _ in range(40)))
    assert results.count(None) == 10
    assert all(r == cap for r in results if r is not None)
    assert await store.exceeded([cap]) == cap


async def test_a_charge_applies_to_all_its_counters_or_none(store: CounterStore) -> None:
    leads = Charge(key(), limit=5, amount=1, ttl_s=None)
    budget = Charge(key(), limit=100, amount=60, ttl_s=None)
    assert await store.charge([leads, budget]) is None
    assert await store.charge([leads, budget]) == budget  # 120 > 100
    # The refused charge left the lead counter alone: four more fit.
    small = Charge(leads.key, limit=5, amount=4, ttl_s=None)
    assert await store.charge([small]) is None
    assert await store.charge([leads]) == leads


async def test_refunds_give_room_back(store: CounterStore) -> None:
    budget = Charge(key(), limit=50, amount=30, ttl_s=60)
    assert await store.charge([budget]) is None
    assert await store.charge([budget]) == budget
    await store.refund([budget])
    assert await store.charge([budget]) is None


async def test_marks_are_seen_once_until_forgotten(store: CounterStore) -> None:
    mark = f"dupe:c:all:{secrets.token_hex(8)}"
    assert await store.first_seen(mark, 86_400) is True
    assert await store.first_seen(mark, 86_400) is False
    await store.forget(mark)
    assert await store.first_seen(mark, 86_400) is True


async def test_only_one_of_racing_marks_wins(store: CounterStore) -> None:
    mark = f"dupe:c:all:{secrets.token_hex(8)}"
    results = await asyncio.gather(*(store.first_seen(mark, 86_400) for _ in range(20)))
    assert results.count(True) == 1


async def test_rotation_numbers_are_unique_and_consecutive(store: CounterStore) -> None:
    sequence = f"rotation:{secrets.token_hex(4)}"
    numbers = await asyncio.gather(*(store.next_in_sequence(sequence) for _ in range(25)))
    assert sorted(numbers) == list(range(25))


async def test_an_expired_counter_starts_again(store: CounterStore) -> None:
    cap = Charge(key(), limit=1, amount=1, ttl_s=1)
    assert await store.charge([cap]) is None
    assert await store.charge([cap]) == cap
    await asyncio.sleep(2.1)
    assert await store.charge([cap]) is None
