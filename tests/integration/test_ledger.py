"""The ledger's own guarantees, straight against SQLite and PostgreSQL."""

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from pickpost.domain.ids import new_id
from pickpost.domain.lead import (
    ConsentRecord,
    LeadStatus,
    NewLead,
    SaleAttempt,
    SaleBlocked,
    SaleStatus,
    StoredOutcome,
)
from pickpost.domain.outcomes import BuyerCall, CallStep, Outcome
from pickpost.infra.sql.engine import make_engine
from pickpost.infra.sql.leads import SqlLeadStore
from pickpost.services.settle import NOT_ATTEMPTED, UNKNOWN_REASON, Settler
from tests.support.personal import in_clear
from tests.support.server import ADMIN_TOKEN
from tests.support.system import System


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
    store = SqlLeadStore(engine, in_clear(engine))
    ping_id = new_id("p")
    claims = await asyncio.gather(*(store.claim(*_lead(ping_id)) for _ in range(8)))
    assert claims.count(True) == 1


async def test_a_lead_is_never_sold_twice_to_one_buyer(engine: AsyncEngine) -> None:
    store = SqlLeadStore(engine, in_clear(engine))
    lead, consent = _lead(new_id("p"))
    assert await store.claim(lead, consent)

    def attempt(bid_id: str) -> SaleAttempt:
        return SaleAttempt(lead.lead_id, "alpha", bid_id, 4000, 3600, time.time())

    results = await asyncio.gather(*(store.start_sale(attempt(f"b_{i}")) for i in range(6)))
    assert len([r for r in results if isinstance(r, int)]) == 1
    assert [r for r in results if not isinstance(r, int)] == [SaleBlocked.TAKEN] * 5
    other = SaleAttempt(lead.lead_id, "beta", "b_x", 3000, 2700, time.time())
    assert isinstance(await store.start_sale(other), int)


async def test_interrupted_leads_are_settled_from_the_ledger(engine: AsyncEngine) -> None:
    store = SqlLeadStore(engine, in_clear(engine))
    picked: list[dict[str, object]] = [
        {"bid_id": f"b_{b}", "buyer_id": b, "tcpa_entity_name": f"{b} LLC", "bid_price": price}
        for b, price in (("alpha", 36.0), ("beta", 27.0), ("gamma", 22.5))
    ]
    lead, _ = _lead(new_id("p"))
    consent = ConsentRecord(lead.lead_id, lead.ping_id or "", time.time(), picked, picked, {})
    assert await store.claim(lead, consent)
    sold = await store.start_sale(SaleAttempt(lead.lead_id, "alpha", "b_alpha", 4000, 3600, 0))
    assert isinstance(sold, int)
    call = BuyerCall("alpha", CallStep.POST, "http://a.test/post", Outcome.ACCEPTED, "", 0, 1.0)
    await store.finish_sale(sold, SaleStatus.SOLD, call)
    # The process died while beta was being called: its sale is pending, the lead selling.
    beta = await store.start_sale(SaleAttempt(lead.lead_id, "beta", "b_beta", 3000, 2700, 0))
    assert isinstance(beta, int)
    fresh, fresh_consent = _lead(new_id("p"))
    assert await store.claim(fresh, fresh_consent)  # a live POST, not to be touched

    settler = Settler(store, lambda _: None)  # a campaign no longer in the catalog
    assert await settler.settle(time.time()) == 0  # nothing is stale yet
    async with engine.begin() as conn:
        await conn.execute(
            sa.text("UPDATE leads SET updated_at = :old WHERE id = :id"),
            {"old": datetime.now(UTC) - timedelta(hours=1), "id": lead.lead_id},
        )
    assert await settler.settle(time.time()) == 1
    assert await settler.settle(time.time()) == 0

    outcome = await store.find_outcome(lead.ping_id or "")
    assert outcome is not None
    assert outcome.status is LeadStatus.INTERRUPTED
    assert (outcome.code, outcome.body["payout"]) == (0, 36.0)
    assert outcome.body["sold_bids"] == [picked[0] | {"fields": {}}]
    rejected, unknown = outcome.body["rejected_bids"], outcome.body["unknown_bids"]
    assert isinstance(rejected, list)
    assert isinstance(unknown, list)
    assert [(b["buyer_id"], b["reason"]) for b in unknown] == [("beta", UNKNOWN_REASON)]
    assert [(b["buyer_id"], b["reason"]) for b in rejected] == [("gamma", NOT_ATTEMPTED)]
    async with engine.connect() as conn:
        rows = await conn.execute(
            sa.text("SELECT buyer_id, status FROM sales WHERE lead_id = :id"), {"id": lead.lead_id}
        )
        sales = {str(row[0]): str(row[1]) for row in rows}
        live = (
            await conn.execute(
                sa.text("SELECT status FROM leads WHERE id = :id"), {"id": fresh.lead_id}
            )
        ).scalar()
    assert sales == {"alpha": "sold", "beta": "unknown"}
    assert live == "selling"


def test_unknown_sales_are_listed_for_operators(system: System) -> None:
    async def leave_one_unknown() -> str:
        engine = make_engine(system.database_url)
        try:
            store = SqlLeadStore(engine, in_clear(engine))
            lead, consent = _lead(new_id("p"))
            assert await store.claim(lead, consent)
            zeta = await store.start_sale(SaleAttempt(lead.lead_id, "zeta", "b_z", 100, 90, 0))
            assert isinstance(zeta, int)
            outcome = StoredOutcome(lead.lead_id, "100", "7", LeadStatus.NOT_SOLD, 2002)
            assert await store.finish_lead(outcome, 0)
            return lead.lead_id
        finally:
            await engine.dispose()

    lead_id = asyncio.run(leave_one_unknown())
    headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    unknown = {"status": "unknown"}
    listed = system.http.get("/api/v1/sales", params=unknown, headers=headers).json()["sales"]
    mine = [s for s in listed if s["lead_id"] == lead_id]
    assert [(s["buyer_id"], s["status"], s["payout"]) for s in mine] == [("zeta", "unknown", 0.9)]
    sold = system.http.get("/api/v1/sales?status=sold&limit=5", headers=headers).json()["sales"]
    assert all(s["status"] == "sold" for s in sold)
    assert len(sold) <= 5


async def test_a_settler_never_overwrites_a_sale_that_moved_on(engine: AsyncEngine) -> None:
    store = SqlLeadStore(engine, in_clear(engine))
    settler = Settler(store, lambda _: None)
    lead, consent = _lead(new_id("p"))
    assert await store.claim(lead, consent)

    async def age(lead_id: str) -> None:
        async with engine.begin() as conn:
            await conn.execute(
                sa.text("UPDATE leads SET updated_at = :old WHERE id = :id"),
                {"old": datetime.now(UTC) - timedelta(hours=1), "id": lead_id},
            )

    await age(lead.lead_id)
    cutoff = time.time() - 60  # read as dead: no change for a minute
    # The live sale starts a sale in between: its heartbeat moves the lead, so it lives on.
    alpha = await store.start_sale(SaleAttempt(lead.lead_id, "alpha", "b_a", 4000, 3600, 0))
    assert isinstance(alpha, int)
    assert not await settler.settle_lead(lead.lead_id, cutoff)
    await age(lead.lead_id)
    assert await settler.settle_lead(lead.lead_id, time.time() - 60)
    # Settled: the sale that thought it was live may call no other buyer.
    beta = SaleAttempt(lead.lead_id, "beta", "b_b", 3000, 2700, 0)
    assert await store.start_sale(beta) is SaleBlocked.SETTLED
