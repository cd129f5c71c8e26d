"""PING overhead over the slowest buyer, against a running server (``make run``'s demo).

Sends PINGs one at a time, measures each on the client, then reads the buyer-call timeline
from the server's database: overhead = client latency − the slowest buyer call of that ping.
A quick look, not the load bench: ``python -m bench.demo_overhead --count 200``.
"""

import argparse
import asyncio
import statistics
import time

import httpx
import sqlalchemy as sa

from pickpost.infra.sql import schema
from pickpost.infra.sql.engine import make_engine

PING = {
    "lp_campaign_id": "101",
    "lp_supplier_id": "7",
    "lp_key": "demo-supplier-key-not-secret",
    "zip_code": "78701",
    "state": "TX",
    "home_owner": "yes",
}


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def slowest_calls(database: str, ping_ids: list[str]) -> dict[str, float]:
    engine = make_engine(database)
    try:
        async with engine.connect() as conn:
            calls = schema.buyer_calls.c
            rows = await conn.execute(
                sa.select(calls.ping_id, sa.func.max(calls.latency_ms))
                .where(calls.ping_id.in_(ping_ids))
                .group_by(calls.ping_id)
            )
            return {row[0]: float(row[1]) for row in rows}
    finally:
        await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--database", default="sqlite:///var/demo.db")
    parser.add_argument("--count", type=int, default=200)
    args = parser.parse_args()

    latencies: dict[str, float] = {}
    with httpx.Client(base_url=args.url, timeout=10) as client:
        client.post("/ping", json=PING)  # warm the connection pools
        for _ in range(args.count):
            started = time.perf_counter()
            response = client.post("/ping", json=PING)
            elapsed = (time.perf_counter() - started) * 1000
            latencies[response.json()["ping_id"]] = elapsed
    time.sleep(1)  # the server writes call logs behind its responses
    slowest = asyncio.run(slowest_calls(args.database, list(latencies)))
    overhead = [latencies[p] - slowest[p] for p in latencies if p in slowest]
    print(f"pings: {len(overhead)}  latency p50 {statistics.median(latencies.values()):.1f} ms")
    print(
        "overhead over the slowest buyer call (ms): "
        f"p50 {percentile(overhead, 0.5):.2f}  p90 {percentile(overhead, 0.9):.2f}  "
        f"p99 {percentile(overhead, 0.99):.2f}  max {max(overhead):.2f}"
    )


if __name__ == "__main__":
    main()
