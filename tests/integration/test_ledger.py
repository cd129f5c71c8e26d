"""The ledger's own guarantees, straight against SQLite and PostgreSQL."""

import asyncio
import time
from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from pickpost.domain.ids import new_id
from pickpost.domain.lead import ConsentRecord, NewLead, SaleAttempt
from pickpost.infra.sql.engine import make_engine
from pickpost.infra.sql.leads import SqlLeadStore
from tests.integration.conftest import System


@pytest.fixture
async def engine(system: System) -> AsyncIterator[AsyncEngine]:
    engine = make_engine(system.database_url)
    yield engine
    await engine.dispose()


def _lead(ping_id: str) -> tuple[NewLead, ConsentRecord]:
    lead_id = new_id("l")
    lead = NewLead(lead_id, "100", "7", ping_id, new_id("r"), time.time(), False, {"a": 1})
    return lead, ConsentRecord(lead_id, ping_id, time.time(), [], [], {})


async def test_one_lead_per_ping_even_when_claims_race(engine: AsyncEngine) -> None:
    store = SqlLeadStore(engine)
    ping_id = new_id("p")
    claims = await asyncio.gather(*(store.claim(*_lead(ping_id)) for _ in range(8)))
    assert claims.count(True) == 1


async def test_a_lead_is_never_sold_twice_to_one_buyer(engine: AsyncEngine) -> None:
    store = SqlLeadStore(engine)
    lead, consent = _lead(new_id("p"))
    assert await store.claim(lead, consent)

    def attempt(bid_id: str) -> SaleAttempt:
        return SaleAttempt(lead.lead_id, "alpha", bid_id, 4000, 3600, time.time())

    results = await asyncio.gather(*(store.start_sale(attempt(f"b_{i}")) for i in range(6)))
    assert len([r for r in results if r is not None]) == 1
    other = SaleAttempt(lead.lead_id, "beta", "b_x", 3000, 2700, time.time())
    assert await store.start_sale(other) is not None
