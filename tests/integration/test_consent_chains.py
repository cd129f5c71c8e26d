"""The consent ledger is exactly as true as the sales ledger, on SQLite and PostgreSQL: over
random leads whose sales end sold, rejected, failed, unknown or cut off mid-call (the process
died), every lead has its bids shown and pick, every sold sale – and only a sold sale – its
consent_delivered entry, in the order the sales were sold, and the whole ledger verifies."""

import asyncio
import time
from collections.abc import Iterator
from typing import Any, cast

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pickpost.domain.ids import new_id
from pickpost.domain.lead import ConsentRecord, NewLead, SaleAttempt, SaleStatus
from pickpost.domain.outcomes import BuyerCall, CallStep, Outcome
from pickpost.infra.sql.consent_ledger import SqlConsentLedger
from pickpost.infra.sql.engine import make_engine
from pickpost.infra.sql.leads import SqlLeadStore
from pickpost.infra.sql.migrate import upgrade
from tests.support.databases import deployment_urls
from tests.support.personal import in_clear

ENDINGS = ["sold", "rejected", "error", "unknown", "cut_off"]
STATUS = {
    "sold": SaleStatus.SOLD,
    "rejected": SaleStatus.REJECTED,
    "error": SaleStatus.ERROR,
    "unknown": SaleStatus.UNKNOWN,
}


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def database(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    with deployment_urls(request.param, tmp_path_factory.mktemp(request.param)) as (url, _):
        upgrade(url)
        yield url


async def _lead(store: SqlLeadStore, endings: list[str]) -> tuple[str, list[str]]:
    """A lead picked for one buyer per ending, its sales ending so in order (a cut-off sale
    ends the POST: nothing after it runs); the lead id and the buyers it was sold to."""
    lead_id, ping_id, now = new_id("l"), new_id("p"), time.time()
    bids: list[dict[str, object]] = [
        {"bid_id": f"b_{i}", "buyer_id": f"buyer{i}", "tcpa_entity_name": f"E{i}", "bid_price": 5}
        for i in range(len(endings))
    ]
    lead = NewLead(lead_id, "100", "7", ping_id, new_id("r"), now, False, {})
    consent = ConsentRecord(lead_id, ping_id, now, bids, bids, {"ip_address": "203.0.113.9"})
    assert await store.claim(lead, consent)
    sold = []
    for bid, ending in zip(bids, endings, strict=True):
        buyer = str(bid["buyer_id"])
        sale_id = await store.start_sale(
            SaleAttempt(lead_id, buyer, str(bid["bid_id"]), 500, 450, now)
        )
        assert isinstance(sale_id, int)
        if ending == "cut_off":
            break
        call = BuyerCall(buyer, CallStep.POST, "http://b.test/post", Outcome.ACCEPTED, "", now, 1.0)
        await store.finish_sale(sale_id, STATUS[ending], call)
        if ending == "sold":
            sold.append(buyer)
    return lead_id, sold


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(leads=st.lists(st.lists(st.sampled_from(ENDINGS), max_size=4), min_size=1, max_size=4))
def test_every_sold_sale_and_only_those_have_a_consent_chain(
    database: str, leads: list[list[str]]
) -> None:
    async def run() -> None:
        engine = make_engine(database)
        try:
            store = SqlLeadStore(engine, in_clear(engine))
            ledger = SqlConsentLedger(engine, in_clear(engine))
            for endings in leads:
                lead_id, sold = await _lead(store, endings)
                bundle = await ledger.bundle(lead_id)
                assert bundle is not None
                entries = cast(list[dict[str, Any]], bundle["entries"])
                kinds = [e["kind"] for e in entries]
                assert kinds == ["bids_shown", "pick_recorded"] + ["consent_delivered"] * len(sold)
                assert [e["facts"]["buyer_id"] for e in entries[2:]] == sold
                assert bundle["verified"] is True, bundle["problems"]
            report = await ledger.verify()
            assert report.problems == []
        finally:
            await engine.dispose()

    asyncio.run(run())
