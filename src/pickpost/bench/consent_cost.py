"""What the consent ledger costs a sale: ``python -m pickpost.bench.consent_cost --database URL``.

Each round claims a lead (its consent with two bids shown and one picked), starts a sale and
finishes it sold – the ledger writes of one POST that sells once – through the real
``SqlLeadStore`` on its generic path (a transaction per step; on PostgreSQL the store otherwise
writes the appends as clauses of statements it sends anyway), alternately with the ledger's
appends and with them replaced by nothing, so drift of the machine hits both alike. Prints the
median and mean milliseconds of each, and the difference: the ledger's cost per sale. The
database must be migrated (``pickpost migrate``).
"""

import argparse
import asyncio
import os
import statistics
import time
from collections.abc import Callable
from typing import Any

from pickpost.domain.catalog import Catalog
from pickpost.domain.ids import new_id
from pickpost.domain.lead import ConsentRecord, NewLead, SaleAttempt, SaleStatus
from pickpost.domain.outcomes import BuyerCall, CallStep, Outcome
from pickpost.domain.workspace import Workspace
from pickpost.infra.personal_data import PersonalData
from pickpost.infra.sql import consent_ledger, leads
from pickpost.infra.sql.engine import make_engine
from pickpost.infra.sql.keys import Masters, SqlKeyring

BIDS: list[dict[str, object]] = [
    {"bid_id": "b_1", "buyer_id": "alpha", "tcpa_entity_name": "Alpha LLC", "bid_price": 36.0},
    {"bid_id": "b_2", "buyer_id": "beta", "tcpa_entity_name": "Beta Inc.", "bid_price": 27.0},
]
EVIDENCE = {"ip_address": "203.0.113.7", "user_agent": "Mozilla/5.0", "tcpa_text": "I agree."}


def _nothing(*_: Any) -> None:
    """Stands in for an append: the baseline without the ledger."""


async def _sale(store: leads.SqlLeadStore) -> float:
    """One lead claimed and sold once; its seconds."""
    started = time.perf_counter()
    lead_id, ping_id = new_id("l"), new_id("p")
    now = time.time()
    lead = NewLead(lead_id, "100", "7", ping_id, new_id("r"), now, False, {"zip_code": "78701"})
    consent = ConsentRecord(lead_id, ping_id, now, BIDS, BIDS[:1], dict(EVIDENCE))
    assert await store.claim(lead, consent)
    sale_id = await store.start_sale(SaleAttempt(lead_id, "alpha", "b_1", 4000, 3600, now))
    assert isinstance(sale_id, int)
    call = BuyerCall("alpha", CallStep.POST, "http://a.test/post", Outcome.ACCEPTED, "", now, 1.0)
    await store.finish_sale(sale_id, SaleStatus.SOLD, call)
    return time.perf_counter() - started


async def measure(url: str, rounds: int) -> dict[str, list[float]]:
    engine = make_engine(url)
    catalog = Catalog.from_workspace(Workspace())
    # The generic path: the only one whose appends can be left out (on PostgreSQL the store
    # otherwise writes them in the statements it sends anyway).
    personal = PersonalData(lambda: catalog, SqlKeyring(engine, Masters(None)))
    store = leads.SqlLeadStore(engine, personal, one_trip=False)
    appends: dict[str, Callable[..., object]] = {
        "append_claim": consent_ledger.append_claim,
        "append_delivered": consent_ledger.append_delivered,
    }
    times: dict[str, list[float]] = {"with": [], "without": []}
    try:
        for _ in range(20):  # warm the pool and the caches
            await _sale(store)
        for _ in range(rounds):
            for kind in ("with", "without"):
                for name, real in appends.items():
                    setattr(leads, name, real if kind == "with" else _nothing)
                times[kind].append(await _sale(store))
    finally:
        for name, real in appends.items():
            setattr(leads, name, real)
        await engine.dispose()
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", required=True)
    parser.add_argument("--rounds", type=int, default=500)
    args = parser.parse_args()
    before = os.getloadavg()
    times = asyncio.run(measure(args.database, args.rounds))
    after = os.getloadavg()
    print(f"load average before {before[0]:.2f}, after {after[0]:.2f}; {args.rounds} rounds")
    for kind, values in times.items():
        ms = [v * 1000 for v in values]
        print(f"{kind:>8} the ledger: median {statistics.median(ms):.3f} ms, "
              f"mean {statistics.fmean(ms):.3f} ms per sale")  # fmt: skip
    median = statistics.median(times["with"]) - statistics.median(times["without"])
    mean = statistics.fmean(times["with"]) - statistics.fmean(times["without"])
    print(f"the ledger's cost: {median * 1000:.3f} ms per sale (median), {mean * 1000:.3f} (mean)")


if __name__ == "__main__":
    main()
