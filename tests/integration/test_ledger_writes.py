"""The lead ledger's writes of a POST through the real store, on SQLite (a transaction per
step) and PostgreSQL (one statement per step, docs/benchmarks.md): each step writes all of
its rows or none, and a consent chain another writer appended to meanwhile (a withdrawal)
stays one chain."""

import asyncio
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa

from pickpost.domain.consent_ledger import Entry, append, verify_chain
from pickpost.domain.ids import new_id
from pickpost.domain.lead import (
    ConsentRecord,
    LeadStatus,
    NewLead,
    SaleAttempt,
    SaleBlocked,
    SaleFinish,
    SaleStatus,
    StoredOutcome,
)
from pickpost.domain.outcomes import BuyerCall, CallStep, Outcome
from pickpost.domain.pick import RecordedPick
from pickpost.domain.revocation import requested_draft
from pickpost.infra.sql import schema
from pickpost.infra.sql.consent_ledger import SqlConsentLedger, insert_entries
from pickpost.infra.sql.engine import make_engine
from pickpost.infra.sql.leads import SqlLeadStore
from pickpost.infra.sql.migrate import upgrade
from pickpost.infra.sql.picks import SqlPickStore
from pickpost.infra.sql.rows import utc
from tests.support.databases import deployment_urls
from tests.support.personal import in_clear

BIDS: list[dict[str, object]] = [
    {"bid_id": "b_1", "buyer_id": "alpha", "tcpa_entity_name": "Alpha LLC", "bid_price": 36},
    {"bid_id": "b_2", "buyer_id": "beta", "tcpa_entity_name": "Beta Inc.", "bid_price": 27},
]


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def database(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    with deployment_urls(request.param, tmp_path_factory.mktemp(request.param)) as (url, _):
        upgrade(url)
        yield url


Scenario = Callable[[SqlLeadStore, Any], Awaitable[None]]


def _with_store(database: str, scenario: Scenario) -> None:
    async def run() -> None:
        engine = make_engine(database)
        try:
            await scenario(SqlLeadStore(engine, in_clear(engine)), engine)
        finally:
            await engine.dispose()

    asyncio.run(run())


def _new(ping_id: str | None = None) -> tuple[NewLead, ConsentRecord]:
    lead_id, ping_id, now = new_id("l"), ping_id or new_id("p"), time.time()
    lead = NewLead(lead_id, "100", "7", ping_id, new_id("r"), now, False, {"zip_code": "78701"})
    consent = ConsentRecord(lead_id, ping_id, now, BIDS, BIDS, {"ip_address": "203.0.113.9"})
    return lead, consent


async def _claimed(
    store: SqlLeadStore, ping_id: str | None = None
) -> tuple[NewLead, ConsentRecord]:
    lead, consent = _new(ping_id)
    assert await store.claim(lead, consent)
    return lead, consent


def _attempt(lead_id: str, index: int) -> SaleAttempt:
    bid = BIDS[index]
    return SaleAttempt(lead_id, str(bid["buyer_id"]), str(bid["bid_id"]), 4000, 3600, time.time())


def _call(buyer: str) -> BuyerCall:
    return BuyerCall(buyer, CallStep.POST, "http://b.test/post", Outcome.ACCEPTED, "", 0.0, 1.0)


async def _rows(engine: Any, query: Any) -> list[Any]:
    async with engine.connect() as conn:
        return list((await conn.execute(query)).all())


def test_a_chain_appended_to_meanwhile_stays_one_chain(database: str) -> None:
    async def scenario(store: SqlLeadStore, engine: Any) -> None:
        lead, _ = await _claimed(store)
        first = await store.start_sale(_attempt(lead.lead_id, 0))
        assert isinstance(first, int)
        await store.finish_sale(first, SaleStatus.SOLD, _call("alpha"))
        second = await store.start_sale(_attempt(lead.lead_id, 1))
        assert isinstance(second, int)
        # Behind the store's back, the way a withdrawal appends: the head it knows is stale.
        ledger = schema.consent_ledger.c
        async with engine.begin() as conn:
            head = (
                await conn.execute(
                    sa.select(ledger.seq, ledger.entry_hash)
                    .where(ledger.lead_id == lead.lead_id)
                    .order_by(ledger.seq.desc())
                    .limit(1)
                )
            ).one()
            draft = requested_draft([(first, "alpha", "b_1")], datetime.now(UTC))
            await insert_entries(conn, append(lead.lead_id, (head.seq, head.entry_hash), [draft]))
        await store.finish_sale(second, SaleStatus.SOLD, _call("beta"))
        rows = await _rows(
            engine,
            sa.select(schema.consent_ledger)
            .where(ledger.lead_id == lead.lead_id)
            .order_by(ledger.seq),
        )
        entries = [
            Entry(r.lead_id, r.seq, r.kind, utc(r.appended_at), r.facts, r.commitment,
                  r.prev_hash, r.entry_hash)
            for r in rows
        ]  # fmt: skip
        assert [e.kind for e in entries] == [
            "bids_shown", "pick_recorded", "consent_delivered", "revocation_requested",
            "consent_delivered",
        ]  # fmt: skip
        assert [e.facts.get("sale_id") for e in entries][-1] == second
        assert verify_chain(lead.lead_id, entries) == []
        calls = await _rows(
            engine,
            sa.select(schema.buyer_calls).where(schema.buyer_calls.c.lead_id == lead.lead_id),
        )
        assert sorted(c.buyer_id for c in calls) == ["alpha", "beta"]  # once each: no retry twice

    _with_store(database, scenario)


def test_each_step_refuses_what_the_ledger_forbids(database: str) -> None:
    async def scenario(store: SqlLeadStore, engine: Any) -> None:
        lead, consent = await _claimed(store)
        assert not await store.claim(lead, consent)  # the ping's lead exists: nothing written
        sale = await store.start_sale(_attempt(lead.lead_id, 0))
        assert isinstance(sale, int)
        assert await store.start_sale(_attempt(lead.lead_id, 0)) is SaleBlocked.TAKEN
        pending = await store.start_sale(_attempt(lead.lead_id, 1))
        assert isinstance(pending, int)
        await store.finish_sale(sale, SaleStatus.SOLD, _call("alpha"))
        outcome = StoredOutcome(lead.lead_id, "100", "7", LeadStatus.SOLD, 0, "ok", {"n": 1})
        # Settling refuses a lead changed since the cut-off; finishing it does not.
        assert not await store.finish_lead(outcome, payout=3600, stale_before=time.time() - 60)
        assert await store.finish_lead(outcome, payout=3600)
        assert not await store.finish_lead(outcome, payout=0)  # the stored answer stays
        assert await store.start_sale(_attempt(lead.lead_id, 1)) is SaleBlocked.SETTLED
        sales = schema.sales.c
        statuses = await _rows(
            engine,
            sa.select(sales.buyer_id, sales.status)
            .where(sales.lead_id == lead.lead_id)
            .order_by(sales.id),
        )
        # The sale still pending when its lead was finished was cut off mid-call.
        assert [tuple(r) for r in statuses] == [("alpha", "sold"), ("beta", "unknown")]
        leads = schema.leads.c
        [row] = await _rows(
            engine,
            sa.select(leads.status, leads.payout_cents).where(leads.id == lead.lead_id),
        )
        assert tuple(row) == ("sold", 3600)
        counts = await _rows(
            engine,
            sa.select(sa.func.count())
            .select_from(schema.consents)
            .where(schema.consents.c.lead_id == lead.lead_id),
        )
        assert counts[0][0] == 1
        report = await SqlConsentLedger(engine, in_clear(engine)).verify(lead_id=lead.lead_id)
        assert report.problems == []

    _with_store(database, scenario)


def _sold(sale_id: int, buyer: str) -> SaleFinish:
    return SaleFinish(sale_id, SaleStatus.SOLD, _call(buyer))


async def _written(
    engine: Any, lead_id: str
) -> tuple[list[tuple[str, str]], list[str], list[Entry]]:
    """A lead's sales (buyer, status), the buyers of its calls, and its consent chain."""
    sales, ledger = schema.sales.c, schema.consent_ledger.c
    rows = await _rows(
        engine,
        sa.select(sales.buyer_id, sales.status).where(sales.lead_id == lead_id).order_by(sales.id),
    )
    calls = await _rows(
        engine,
        sa.select(schema.buyer_calls.c.buyer_id).where(schema.buyer_calls.c.lead_id == lead_id),
    )
    chain = await _rows(
        engine,
        sa.select(schema.consent_ledger).where(ledger.lead_id == lead_id).order_by(ledger.seq),
    )
    entries = [
        Entry(r.lead_id, r.seq, r.kind, utc(r.appended_at), r.facts, r.commitment,
              r.prev_hash, r.entry_hash)
        for r in chain
    ]  # fmt: skip
    return [tuple(r) for r in rows], sorted(c.buyer_id for c in calls), entries


async def _sell_beta_after(store: SqlLeadStore, lead_id: str, alpha: int) -> int:
    """Beta's sale started with alpha's answer, then the lead stored as sold with beta's:
    beta's sale id."""
    beta = await store.start_sale(_attempt(lead_id, 1), _sold(alpha, "alpha"))
    assert isinstance(beta, int)
    outcome = StoredOutcome(lead_id, "100", "7", LeadStatus.SOLD, 0, "ok", {"n": 2})
    assert await store.finish_lead(outcome, payout=7200, finished=_sold(beta, "beta"))
    return beta


def test_a_held_answer_goes_once_with_the_next_start_or_the_stored_answer(database: str) -> None:
    async def scenario(store: SqlLeadStore, engine: Any) -> None:
        lead, _ = await _claimed(store)
        alpha = await store.start_sale(_attempt(lead.lead_id, 0))
        assert isinstance(alpha, int)
        beta = await _sell_beta_after(store, lead.lead_id, alpha)
        sales, calls, chain = await _written(engine, lead.lead_id)
        # Beta's sale was written with the answer: not cut off as a pending one.
        assert sales == [("alpha", "sold"), ("beta", "sold")]
        assert calls == ["alpha", "beta"]
        delivered = [e.facts.get("sale_id") for e in chain if e.kind == "consent_delivered"]
        assert delivered == [alpha, beta]
        assert verify_chain(lead.lead_id, chain) == []
        stored = await store.find_outcome(str(lead.ping_id))
        assert stored is not None
        assert (stored.status, stored.body) == (LeadStatus.SOLD, {"n": 2})

    _with_store(database, scenario)


def test_a_held_answer_is_written_once_when_the_next_start_is_blocked(database: str) -> None:
    async def scenario(store: SqlLeadStore, engine: Any) -> None:
        lead, _ = await _claimed(store)
        alpha = await store.start_sale(_attempt(lead.lead_id, 0))
        assert isinstance(alpha, int)
        # Taken: the start undone, the answer written all the same (and once).
        taken = await store.start_sale(_attempt(lead.lead_id, 0), _sold(alpha, "alpha"))
        assert taken is SaleBlocked.TAKEN
        beta = await store.start_sale(_attempt(lead.lead_id, 1))
        assert isinstance(beta, int)
        settled = StoredOutcome(lead.lead_id, "100", "7", LeadStatus.INTERRUPTED, 2003)
        assert await store.finish_lead(settled, payout=0)  # a retry settled it: beta cut off
        rejected = SaleFinish(beta, SaleStatus.REJECTED, _call("beta"))
        gamma = SaleAttempt(lead.lead_id, "gamma", "b_3", 100, 90, time.time())
        assert await store.start_sale(gamma, rejected) is SaleBlocked.SETTLED
        sales, calls, chain = await _written(engine, lead.lead_id)
        # Beta's late answer is written over the cut-off, as a late answer always was.
        assert sales == [("alpha", "sold"), ("beta", "rejected")]
        assert calls == ["alpha", "beta"]
        assert [e.kind for e in chain].count("consent_delivered") == 1
        assert verify_chain(lead.lead_id, chain) == []

    _with_store(database, scenario)


def test_a_held_answer_meets_a_chain_appended_to_meanwhile(database: str) -> None:
    """A withdrawal appended behind the store's back: on PostgreSQL the answer's statement
    fails on the taken place, and the answer and the outcome are written apart, once each."""

    async def scenario(store: SqlLeadStore, engine: Any) -> None:
        lead, _ = await _claimed(store)
        alpha = await store.start_sale(_attempt(lead.lead_id, 0))
        assert isinstance(alpha, int)
        beta = await store.start_sale(_attempt(lead.lead_id, 1), _sold(alpha, "alpha"))
        assert isinstance(beta, int)
        _, _, chain = await _written(engine, lead.lead_id)
        async with engine.begin() as conn:
            draft = requested_draft([(alpha, "alpha", "b_1")], datetime.now(UTC))
            head = (chain[-1].seq, chain[-1].entry_hash)
            await insert_entries(conn, append(lead.lead_id, head, [draft]))
        outcome = StoredOutcome(lead.lead_id, "100", "7", LeadStatus.SOLD, 0, "ok", {"n": 2})
        assert await store.finish_lead(outcome, payout=7200, finished=_sold(beta, "beta"))
        sales, calls, chain = await _written(engine, lead.lead_id)
        assert sales == [("alpha", "sold"), ("beta", "sold")]
        assert calls == ["alpha", "beta"]
        assert [e.kind for e in chain][-3:] == [
            "consent_delivered", "revocation_requested", "consent_delivered",
        ]  # fmt: skip
        assert verify_chain(lead.lead_id, chain) == []

    _with_store(database, scenario)


def test_the_replay_check_reads_the_pick_with_the_outcome(database: str) -> None:
    async def scenario(store: SqlLeadStore, engine: Any) -> None:
        ping_id = new_id("p")
        assert await store.find_outcome_and_pick(ping_id) == (None, None)
        pick = RecordedPick(
            ping_id, "100", time.time(), "I agree.", ("b_1", "b_2"), ("b_2",), "ab" * 32,
            {"ip_address": "203.0.113.9"},
        )  # fmt: skip
        assert await SqlPickStore(engine, in_clear(engine)).record(pick)
        outcome, found = await store.find_outcome_and_pick(ping_id)
        assert outcome is None
        assert found == replace(pick, recorded_at=found.recorded_at if found else 0.0)
        lead, _ = await _claimed(store, ping_id)
        outcome, found = await store.find_outcome_and_pick(ping_id)
        assert outcome is not None
        assert outcome.lead_id == lead.lead_id
        assert outcome.status is LeadStatus.SELLING
        assert found is not None
        assert found.picked == ("b_2",)
        # Another ping's pick and lead are not this one's.
        assert await store.find_outcome_and_pick(new_id("p")) == (None, None)

    _with_store(database, scenario)


def test_racing_claims_with_the_first_start_write_one_lead_and_one_sale(database: str) -> None:
    async def scenario(store: SqlLeadStore, engine: Any) -> None:
        ping_id = new_id("p")
        racers = [_new(ping_id) for _ in range(6)]
        started = await asyncio.gather(
            *(
                store.claim_and_start(lead, consent, _attempt(lead.lead_id, 0))
                for lead, consent in racers
            )
        )
        [alpha] = [s for s in started if s is not None]
        [(lead, _)] = [r for r, s in zip(racers, started, strict=True) if s is not None]
        losers = [r[0].lead_id for r, s in zip(racers, started, strict=True) if s is None]
        for table in (schema.leads, schema.consents, schema.sales, schema.consent_ledger):
            key = table.c.id if table is schema.leads else table.c.lead_id
            written = await _rows(engine, sa.select(key).where(key.in_(losers)))
            assert written == []  # a lost claim wrote nothing, its sale neither
        stored = await store.find_outcome(ping_id)
        assert stored is not None
        assert (stored.lead_id, stored.status) == (lead.lead_id, LeadStatus.SELLING)
        # The sale goes on as any: the next start and the stored answer carry the answers.
        await _sell_beta_after(store, lead.lead_id, alpha)
        sales, calls, chain = await _written(engine, lead.lead_id)
        assert sales == [("alpha", "sold"), ("beta", "sold")]
        assert calls == ["alpha", "beta"]
        assert [e.kind for e in chain] == [
            "bids_shown", "pick_recorded", "consent_delivered", "consent_delivered",
        ]  # fmt: skip
        assert verify_chain(lead.lead_id, chain) == []

    _with_store(database, scenario)


def test_a_two_sale_post_writes_the_ledger_in_three_trips(database: str) -> None:
    """Claim with the first start, the second start with the first answer, the stored answer
    with the second: on PostgreSQL three statements and no transaction, on SQLite three."""

    async def scenario(store: SqlLeadStore, engine: Any) -> None:
        counts: Counter[str] = Counter()

        def statement(*_: Any) -> None:
            counts["statements"] += 1

        def commit(conn: Any) -> None:
            if conn.get_execution_options().get("isolation_level") != "AUTOCOMMIT":
                counts["commits"] += 1

        lead, consent = _new()
        sa.event.listen(sa.Engine, "before_cursor_execute", statement)
        sa.event.listen(sa.Engine, "commit", commit)
        try:
            alpha = await store.claim_and_start(lead, consent, _attempt(lead.lead_id, 0))
            assert isinstance(alpha, int)
            beta = await store.start_sale(_attempt(lead.lead_id, 1), _sold(alpha, "alpha"))
            assert isinstance(beta, int)
            outcome = StoredOutcome(lead.lead_id, "100", "7", LeadStatus.SOLD, 0, "ok", {})
            assert await store.finish_lead(outcome, payout=7200, finished=_sold(beta, "beta"))
        finally:
            sa.event.remove(sa.Engine, "before_cursor_execute", statement)
            sa.event.remove(sa.Engine, "commit", commit)
        if engine.dialect.name == "postgresql":
            assert counts == {"statements": 3}
        else:
            assert counts["commits"] == 3
        sales, _, chain = await _written(engine, lead.lead_id)
        assert sales == [("alpha", "sold"), ("beta", "sold")]
        assert verify_chain(lead.lead_id, chain) == []

    _with_store(database, scenario)
