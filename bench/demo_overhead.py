"""PING overhead over the slowest buyer, against a running server (``make run``'s demo).

Sends PINGs one at a time, measures each on the client, then reads the buyer-call timeline
and the request log from the server's database: overhead = latency − the slowest buyer call of
that ping, once as the client saw it and once as the server timed it (no client, no loopback).
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


async def recorded(database: str, ping_ids: list[str]) -> tuple[dict[str, float], dict[str, float]]:
    """Per ping: the slowest buyer call, and the server's own duration of the request."""
    engine = make_engine(database)
    calls, requests = schema.buyer_calls.c, schema.requests.c
    try:
        async with engine.connect() as conn:
            slowest = await conn.execute(
                sa.select(calls.ping_id, sa.func.max(calls.latency_ms))
                .where(calls.ping_id.in_(ping_ids))
                .group_by(calls.ping_id)
            )
            durations = await conn.execute(
                sa.select(requests.ping_id, requests.duration_ms).where(
                    requests.ping_id.in_(ping_ids), requests.endpoint == "/ping"
                )
            )
            return (
                {row[0]: float(row[1]) for row in slowest},
                {row[0]: float(row[1]) for row in durations},
            )
    finally:
        await engine.dispose()


def summary(label: str, values: list[float]) -> str:
    return (
        f"{label}: p50 {percentile(values, 0.5):.2f}  p90 {percentile(values, 0.9):.2f}  "
        f"p99 {percentile(values, 0.99):.2f}  max {max(values):.2f} ms"
    )


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
    slowest, durations = asyncio.run(recorded(args.database, list(latencies)))
    timed = [p for p in latencies if p in slowest and p in durations]
    print(f"pings: {len(timed)}  latency p50 {statistics.median(latencies.values()):.1f} ms")
    print(summary("overhead, client side", [latencies[p] - slowest[p] for p in timed]))
    print(summary("overhead, server side", [durations[p] - slowest[p] for p in timed]))


if __name__ == "__main__":
    main()
