"""The ledger writes of a POST that sells to two buyers, timed and counted:
``python -m pickpost.bench.post_ledger --database URL``.

Each round claims a lead (its consent with two bids shown, both picked) with its first sale's
start, starts the second sale and stores the answer, each buyer's answer written with the
next write (the second start, the stored answer) as the seller sends it – every write the lead
ledger makes for such a POST –
through the real ``SqlLeadStore``, alternately on the generic path (a transaction per step)
and as the store runs (one statement per step on PostgreSQL). Prints, for each, the median
and 90th percentile milliseconds of a round and what one round sends the database:
statements, BEGINs and COMMITs, and connection checkouts (on SQLite each step is one hop to
the ledger's thread, ``one_hop.py``). The database must be migrated (``pickpost migrate``).
"""

import argparse
import asyncio
import os
import statistics
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from pickpost.domain.catalog import Catalog
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
from pickpost.domain.workspace import Workspace
from pickpost.infra.personal_data import PersonalData
from pickpost.infra.sql import leads
from pickpost.infra.sql.engine import make_engine
from pickpost.infra.sql.keys import Masters, SqlKeyring

BIDS: list[dict[str, object]] = [
    {"bid_id": "b_1", "buyer_id": "alpha", "tcpa_entity_name": "Alpha LLC", "bid_price": 36.0},
    {"bid_id": "b_2", "buyer_id": "beta", "tcpa_entity_name": "Beta Inc.", "bid_price": 27.0},
]
EVIDENCE = {"ip_address": "203.0.113.7", "user_agent": "Mozilla/5.0", "tcpa_text": "I agree."}


async def _post(store: leads.SqlLeadStore) -> float:
    """One lead claimed and sold to two buyers, its answer stored; its seconds."""
    started = time.perf_counter()
    lead_id, ping_id = new_id("l"), new_id("p")
    now = time.time()
    lead = NewLead(lead_id, "100", "7", ping_id, new_id("r"), now, False, {"zip_code": "78701"})
    consent = ConsentRecord(lead_id, ping_id, now, BIDS, BIDS, dict(EVIDENCE))
    held = None
    for bid in BIDS:
        buyer, bid_id = str(bid["buyer_id"]), str(bid["bid_id"])
        attempt = SaleAttempt(lead_id, buyer, bid_id, 4000, 3600, now)
        if held is None:  # the claim goes with the first sale's start
            sale_id: int | SaleBlocked | None = await store.claim_and_start(lead, consent, attempt)
        else:
            sale_id = await store.start_sale(attempt, held)
        assert isinstance(sale_id, int)
        call = BuyerCall(buyer, CallStep.POST, "http://a.test/post", Outcome.ACCEPTED, "", now, 1)
        held = SaleFinish(sale_id, SaleStatus.SOLD, call)
    outcome = StoredOutcome(lead_id, "100", "7", LeadStatus.SOLD, 0, "accepted", {"sold": 2})
    assert await store.finish_lead(outcome, payout=6300, finished=held)
    return time.perf_counter() - started


def _count(counts: Counter[str]) -> None:
    """Count what reaches the database: statements, BEGINs and COMMITs (none on a connection
    in autocommit) and checkouts, on every engine (on SQLite the store's steps run on a
    synchronous engine of their own: ``one_hop.py``)."""
    sync, pool = sa.Engine, sa.pool.Pool

    def statement(*_: Any) -> None:
        counts["statements"] += 1

    def transaction(name: str) -> Callable[[Connection], None]:
        def count(conn: Connection) -> None:
            if conn.get_execution_options().get("isolation_level") != "AUTOCOMMIT":
                counts[name] += 1

        return count

    def checkout(*_: Any) -> None:
        counts["checkouts"] += 1

    sa.event.listen(sync, "before_cursor_execute", statement)
    sa.event.listen(sync, "begin", transaction("begins"))
    sa.event.listen(sync, "commit", transaction("commits"))
    sa.event.listen(pool, "checkout", checkout)


async def measure(url: str, rounds: int) -> dict[str, tuple[list[float], Counter[str]]]:
    """Rounds of the generic path (a transaction per step) and of the store as it runs
    (one statement per step on PostgreSQL), alternating so drift of the machine hits both."""
    engine = make_engine(url)
    catalog = Catalog.from_workspace(Workspace())
    personal = PersonalData(lambda: catalog, SqlKeyring(engine, Masters(None)))
    stores = {
        "generic": leads.SqlLeadStore(engine, personal, one_trip=False),
        "as run": leads.SqlLeadStore(engine, personal),
    }
    counts: Counter[str] = Counter()
    found: dict[str, tuple[list[float], Counter[str]]] = {}
    try:
        for store in stores.values():
            for _ in range(20):  # warm the pool and the caches
                await _post(store)
        _count(counts)
        for name, store in stores.items():
            counts.clear()
            await _post(store)
            found[name] = ([], Counter(counts))
        cpu = dict.fromkeys(stores, 0.0)
        for _ in range(rounds):
            for name, store in stores.items():
                started = time.process_time()
                found[name][0].append(await _post(store))
                cpu[name] += time.process_time() - started
        for name in stores:
            # The process's CPU, all threads (the drivers' too), in microseconds per POST.
            found[name][1]["CPU µs per POST"] = round(cpu[name] / rounds * 1e6)
    finally:
        await engine.dispose()
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", required=True)
    parser.add_argument("--rounds", type=int, default=300)
    args = parser.parse_args()
    before = os.getloadavg()
    found = asyncio.run(measure(args.database, args.rounds))
    after = os.getloadavg()
    print(f"load average before {before[0]:.2f}, after {after[0]:.2f}; {args.rounds} rounds")
    for name, (times, counts) in found.items():
        ms = sorted(t * 1000 for t in times)
        p90 = ms[int(len(ms) * 0.9)]
        print(f"{name:>8}: median {statistics.median(ms):.2f} ms, p90 {p90:.2f} ms per POST; "
              + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))  # fmt: skip


if __name__ == "__main__":
    main()
