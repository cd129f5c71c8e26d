"""Cluster mode: two `pickpost serve` nodes over one PostgreSQL and one Redis, and a node of
several worker processes. Any node may take the POST of a ping another answered, and a lead is
sold once however many nodes its retries reach."""

import asyncio
import json
import os
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import httpx
import psutil
import pytest

from tests.support.databases import POSTGRES_ENV, REDIS_ENV, postgres_database, required_env
from tests.support.fleet import ThreadedFleet
from tests.support.server import ADMIN_TOKEN, ServerProcess
from tests.support.system import KEY, System, bid_of, post_body, workspace
from tests.support.waiting import eventually

ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


@dataclass
class Cluster:
    a: System
    b: System
    database_url: str
    redis_url: str
    directory: Path


@pytest.fixture(scope="module")
def cluster(fleet: ThreadedFleet, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    admin_url = required_env(POSTGRES_ENV)
    redis_url = required_env(REDIS_ENV)
    directory = tmp_path_factory.mktemp("cluster")
    path = directory / "workspace.json"
    path.write_text(json.dumps(workspace(fleet.base_urls)))
    with postgres_database(admin_url, redis_url) as database_url:
        # Started one after the other: the first migrates and loads, the second finds it done.
        a = ServerProcess(path, database_url, directory / "a.log", redis_url)
        b = ServerProcess(path, database_url, directory / "b.log", redis_url)
        with (
            a,
            b,
            httpx.Client(base_url=a.base_url, timeout=30) as http_a,
            httpx.Client(base_url=b.base_url, timeout=30) as http_b,
        ):
            yield Cluster(
                System(a, fleet, database_url, http_a),
                System(b, fleet, database_url, http_b),
                database_url,
                redis_url,
                directory,
            )


def test_a_ping_answered_by_one_node_is_sold_by_the_other(cluster: Cluster) -> None:
    ping = cluster.a.ping()
    assert ping.json()["status"] == "ACCEPTED"
    post = cluster.b.post(ping, [bid_of(ping, "alpha")])
    assert post.json()["code"] == 0, post.text
    lead = cluster.a.lead(post.json()["lead_id"])
    assert [(s["buyer_id"], s["status"]) for s in lead["sales"]] == [("alpha", "sold")]


def test_concurrent_posts_of_one_ping_across_nodes_sell_once(cluster: Cluster) -> None:
    ping = cluster.a.ping()
    ping_id = ping.json()["ping_id"]
    body = post_body(ping_id, [bid_of(ping, "alpha"), bid_of(ping, "beta")])
    nodes = [cluster.a.server.base_url, cluster.b.server.base_url] * 6

    async def post_everywhere() -> list[httpx.Response]:
        async with httpx.AsyncClient(timeout=60) as client:
            return await asyncio.gather(*(client.post(f"{n}/post", json=body) for n in nodes))

    responses = asyncio.run(post_everywhere())
    assert {r.json()["code"] for r in responses} == {0}
    lead_ids = {r.json()["lead_id"] for r in responses}
    assert len(lead_ids) == 1
    replays = Counter(r.headers.get("Idempotent-Replay") for r in responses)
    assert replays == {"true": len(nodes) - 1, None: 1}

    # The ledger, as the admin API of either node shows it: one lead, one sale per buyer.
    (lead_id,) = lead_ids
    recorded = cluster.b.http.get(f"/api/v1/pings/{ping_id}", headers=ADMIN).json()
    assert recorded["lead_id"] == lead_id
    sales = cluster.a.lead(lead_id)["sales"]
    assert sorted((s["buyer_id"], s["status"]) for s in sales) == [
        ("alpha", "sold"),
        ("beta", "sold"),
    ]
    for buyer in ("alpha", "beta"):
        posted = [p for p in cluster.a.posts_received(buyer) if p.get("lead_id") == lead_id]
        assert len(posted) == 1, f"{buyer} received the lead {len(posted)} times"


def test_a_loaded_workspace_is_served_by_running_nodes_without_restart(
    cluster: Cluster, fleet: ThreadedFleet
) -> None:
    doc = workspace(fleet.base_urls)
    added = {**doc["campaigns"][0], "id": "9100"}
    assert cluster.a.ping(campaign="9100").json()["status"] == "ERROR"  # no such campaign yet
    path = cluster.directory / "changed.json"
    path.write_text(json.dumps({"campaigns": [*doc["campaigns"], added]}))
    loaded = subprocess.run(
        [sys.executable, "-m", "pickpost", "load", str(path), "--database", cluster.database_url],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert loaded.returncode == 0, loaded.stderr
    assert "created: 1" in loaded.stdout
    for node in (cluster.a, cluster.b):
        assert eventually(partial(serves, node, "9100")), f"{node.server.base_url} did not reload"


def serves(node: System, campaign: str) -> bool:
    return bool(node.ping(campaign=campaign).json()["status"] == "ACCEPTED")


def test_a_buyer_cap_holds_across_nodes(cluster: Cluster) -> None:
    # Campaign 1300: d1 takes three leads a day; ten direct posts race over both nodes.
    nodes = [cluster.a, cluster.b] * 5
    with ThreadPoolExecutor(max_workers=len(nodes)) as pool:
        replies = list(pool.map(lambda node: node.direct_post("1300"), nodes))
    codes = Counter(r.json()["code"] for r in replies)
    assert codes[0] == 3, codes
    sold = cluster.a.query(
        "SELECT count(*) FROM sales s JOIN leads l ON l.id = s.lead_id "
        "WHERE l.campaign_id = '1300' AND s.status = 'sold'"
    )
    assert sold == [(3,)]


def test_round_robin_rotates_across_nodes(cluster: Cluster) -> None:
    # Campaign 1203 rotates three buyers; leads alternate between the nodes.
    firsts = []
    for node in [cluster.a, cluster.b] * 3:
        lead_id = node.direct_post("1203").json()["lead_id"]
        firsts += [s["buyer_id"] for s in node.lead(lead_id)["sales"] if s["status"] == "sold"]
    assert Counter(firsts) == {"d1": 2, "d2": 2, "d3": 2}


def worker_processes(server: ServerProcess) -> list[psutil.Process]:
    """The supervisor's live workers (not multiprocessing's helpers, nor reaped-to-be ones)."""
    workers = []
    for child in psutil.Process(server.pid).children():
        try:
            if "spawn_main" in " ".join(child.cmdline()):
                workers.append(child)
        except psutil.Error:  # gone, or a zombie until the supervisor notices
            continue
    return workers


def metric(http: httpx.Client, line_start: str) -> float:
    """The value of the sample whose exposition line starts with ``line_start``."""
    lines = http.get("/metrics").text.splitlines()
    values = [float(line.rsplit(" ", 1)[1]) for line in lines if line.startswith(line_start)]
    return sum(values)


def test_a_node_of_two_workers_shares_pings_metrics_and_survives_a_crashed_worker(
    cluster: Cluster,
) -> None:
    path = cluster.directory / "workspace.json"
    node = ServerProcess(
        path, cluster.database_url, cluster.directory / "workers.log", cluster.redis_url, workers=2
    )
    with node, httpx.Client(base_url=node.base_url, timeout=30) as http:
        system = System(node, cluster.a.fleet, cluster.database_url, http)
        assert len(worker_processes(node)) == 2
        # Fresh connections, so the kernel spreads them over both workers' accept queues.
        pings = 20
        for _ in range(pings):
            with httpx.Client(base_url=node.base_url, timeout=30) as fresh:
                ping = fresh.post(
                    "/ping",
                    json={"lp_campaign_id": "100", "lp_supplier_id": "7", "lp_key": KEY,
                          "zip_code": "78701", "state": "TX"},
                )  # fmt: skip
            assert ping.json()["status"] == "ACCEPTED"
        post = system.post(ping, [bid_of(ping, "alpha")])
        assert post.json()["code"] == 0
        # Every worker's samples, whichever worker answers the scrape.
        count = 'pickpost_supplier_request_duration_seconds_count{code="0",endpoint="/ping"}'
        assert metric(http, count) == pings

        crashed = worker_processes(node)[0]
        os.kill(crashed.pid, signal.SIGKILL)
        assert eventually(lambda: crashed.pid not in {w.pid for w in worker_processes(node)})
        assert eventually(lambda: len(worker_processes(node)) == 2)
        assert system.ping().json()["status"] == "ACCEPTED"


def test_a_node_of_workers_stops_cleanly_on_sigterm(cluster: Cluster) -> None:
    path = cluster.directory / "workspace.json"
    node = ServerProcess(
        path, cluster.database_url, cluster.directory / "stop.log", cluster.redis_url, workers=2
    )
    node.start()
    workers = worker_processes(node)
    metrics_dir = Path(workers[0].environ()["PROMETHEUS_MULTIPROC_DIR"])
    assert metrics_dir.is_dir()
    assert node.stop() == 0
    assert not any(w.is_running() for w in workers)
    assert not metrics_dir.exists()
