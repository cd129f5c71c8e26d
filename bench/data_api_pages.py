"""How many pages of ``/public/leads`` one Pickpost process serves a minute (docs/data-api.md).

Runs a server (``--backend sqlite``, or ``postgres`` with the test suite's
``PICKPOST_TEST_POSTGRES_URL`` and ``PICKPOST_TEST_REDIS_URL``) with personal values encrypted,
drives real traffic through simulated buyers, copies those leads and their sales in the ledger
up to ``--leads`` (straight SQL: new ids, times spread over 30 days) and walks
``/public/leads`` with ``search_after`` for ``--seconds`` with 1 and 4 clients.

    .venv/bin/python -m bench.data_api_pages --leads 50000
"""

import argparse
import asyncio
import base64
import json
import os
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa
from tests.support.databases import deployment_urls
from tests.support.fleet import ThreadedFleet
from tests.support.server import ADMIN_TOKEN, ServerProcess
from tests.support.system import FLEET, KEY, workspace

from pickpost.infra.sql import schema
from pickpost.infra.sql.engine import make_engine
from pickpost.simbuyers import FleetConfig

AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


def _traffic(http: httpx.Client, count: int) -> None:
    for n in range(count):
        body = {
            "lp_campaign_id": "1901",
            "lp_supplier_id": "7",
            "lp_key": KEY,
            "zip_code": "78701",
            "state": "TX",
            "first_name": "Dana",
            "phone": f"512555{n:04d}",
            "email": f"dana{n}@example.com",
        }
        answer = http.post("/direct_post", json=body).json()
        assert answer["code"] == 0, answer


async def _copy(url: str, total: int) -> None:
    """Copies of the leads there are, with their sales, until there are ``total``."""
    engine = make_engine(url)
    leads, sales = schema.leads, schema.sales
    async with engine.begin() as conn:
        templates = [dict(r._mapping) for r in await conn.execute(sa.select(leads))]
        sold = [dict(r._mapping) for r in await conn.execute(sa.select(sales))]
    by_lead: dict[str, list[dict[str, Any]]] = {}
    for sale in sold:
        by_lead.setdefault(sale["lead_id"], []).append(sale)
    now = datetime.now(UTC)
    made = len(templates)
    while made < total:
        batch, batch_sales = [], []
        for n in range(min(2000, total - made)):
            template = templates[(made + n) % len(templates)]
            lead_id = f"l_bench{made + n:09d}"
            at = now - timedelta(seconds=(made + n) * 30 * 86400 / total)
            batch.append({**template, "id": lead_id, "ping_id": None, "created_at": at,
                          "updated_at": at, "request_id": f"r_bench{made + n:09d}"})  # fmt: skip
            for sale in by_lead.get(template["id"], []):
                copy = {k: v for k, v in sale.items() if k != "id"}
                batch_sales.append({**copy, "lead_id": lead_id, "created_at": at,
                                    "updated_at": at})  # fmt: skip
        async with engine.begin() as conn:
            await conn.execute(leads.insert(), batch)
            if batch_sales:
                await conn.execute(sales.insert(), batch_sales)
        made += len(batch)
    await engine.dispose()


def _walk(base_url: str, until: float, pages: list[int]) -> None:
    with httpx.Client(base_url=base_url, headers=AUTH, timeout=60) as http:
        after = ""
        while time.monotonic() < until:
            params = {"search_after": after} if after else {}
            answer = http.get("/public/leads", params=params)
            answer.raise_for_status()
            body = answer.json()
            pages.append(len(body["leads"]))
            after = body["search_after"]


def _measure(base_url: str, clients: int, seconds: float) -> tuple[float, float]:
    """(pages a minute, leads a minute)."""
    counts: list[int] = []
    until = time.monotonic() + seconds
    threads = [
        threading.Thread(target=_walk, args=(base_url, until, counts)) for _ in range(clients)
    ]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    return len(counts) * 60 / elapsed, sum(counts) * 60 / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=50_000)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite")
    args = parser.parse_args()
    key = base64.b64encode(os.urandom(32)).decode()
    with (
        tempfile.TemporaryDirectory() as tmp,
        ThreadedFleet(FleetConfig.model_validate(FLEET), seed=7) as fleet,
    ):
        directory = Path(tmp)
        path = directory / "workspace.json"
        path.write_text(json.dumps(workspace(fleet.base_urls)))
        with deployment_urls(args.backend, directory) as (url, redis_url):
            server = ServerProcess(
                path, url, directory / "server.log", redis_url, env={"PICKPOST_DATA_KEY": key}
            )
            _bench(server, url, args.leads, args.seconds)


def _bench(server: ServerProcess, url: str, total: int, seconds: float) -> None:
    with server, httpx.Client(base_url=server.base_url, timeout=30) as http:
        _traffic(http, 50)
        asyncio.run(_copy(url, total))
        for clients in (1, 4):
            pages, leads = _measure(server.base_url, clients, seconds)
            print(f"{total} leads, {clients} client(s): "
                  f"{pages:.0f} pages/min ({leads:.0f} leads/min)")  # fmt: skip


if __name__ == "__main__":
    main()
