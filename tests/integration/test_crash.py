"""A server killed (SIGKILL) while a buyer holds a POST or a Direct Post: after a restart, the
same request again sells nothing twice, and the answer says what the ledger knows."""

import contextlib
import json
import os
import signal
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from pickpost.simbuyers import FleetConfig
from tests.support.databases import deployment_urls
from tests.support.fleet import ThreadedFleet, native_buyer
from tests.support.server import ServerProcess
from tests.support.system import KEY
from tests.support.waiting import eventually

HOLD_MS = 3000  # how long the slow buyers hold a post before accepting it

FLEET = {
    "buyers": [
        {"id": "slow", "price": 40, "tcpa_entity_name": "Slow LLC",
         "post_latency_ms": {"fixed": HOLD_MS}},
        {"id": "fast", "price": 30, "tcpa_entity_name": "Fast LLC"},
    ]
}  # fmt: skip

LEAD = {"zip_code": "78701", "state": "TX", "first_name": "Dana", "phone": "5125550142"}


def _workspace(urls: dict[str, str]) -> dict[str, Any]:
    def buyer(buyer_id: str, **extra: Any) -> dict[str, Any]:
        return native_buyer(urls, buyer_id, **{"post_timeout_ms": HOLD_MS + 1000, **extra})

    fields = [
        {"name": "zip_code", "type": "zip", "ping": "required", "post": "required"},
        {"name": "state", "type": "state", "ping": "required", "post": "required"},
        {"name": "first_name", "type": "text", "post": "optional"},
        {"name": "phone", "type": "phone", "post": "required"},
    ]
    supplier = {"id": "7", "name": "Acme", "key": KEY}
    return {
        "campaigns": [
            {"id": "1", "name": "One-to-One", "type": "one_to_one", "fields": fields,
             "suppliers": [supplier], "buyers": [buyer("slow"), buyer("fast")]},
            {"id": "2", "name": "Exclusive", "type": "exchange", "fields": fields,
             "exchange": {"mode": "exclusive", "fallback": True},
             "suppliers": [supplier], "buyers": [buyer("slow"), buyer("fast")]},
            {"id": "3", "name": "Direct", "type": "direct_post", "fields": fields,
             "distribution": {"method": "waterfall"}, "suppliers": [supplier],
             "buyers": [buyer("slow", ping_url=None, price={"static": 40}, priority=0),
                        buyer("fast", ping_url=None, price={"static": 30}, priority=1)]},
        ]
    }  # fmt: skip


class Crashable:
    """A workspace and database that survive the servers started over them."""

    def __init__(self, fleet: ThreadedFleet, directory: Path, database: str, redis: str | None):
        self.fleet = fleet
        self.directory = directory
        self.database = database
        self.redis = redis
        self.workspace = directory / "workspace.json"
        self.workspace.write_text(json.dumps(_workspace(fleet.base_urls)))
        self._starts = 0

    def server(self) -> ServerProcess:
        self._starts += 1
        log = self.directory / f"server-{self._starts}.log"
        return ServerProcess(self.workspace, self.database, log, self.redis)

    def posts(self, buyer_id: str) -> int:
        return sum(1 for r in self.fleet.received(buyer_id) if r.step == "post")

    def kill_while_held(self, server: ServerProcess, path: str, body: dict[str, Any]) -> None:
        """Send ``body`` and kill the server once the slow buyer holds its post."""
        held = self.posts("slow") + 1

        def send() -> None:
            with contextlib.suppress(httpx.TransportError):  # the server dies under it
                httpx.post(f"{server.base_url}{path}", json=body, timeout=30)

        sender = threading.Thread(target=send)
        sender.start()
        assert eventually(lambda: self.posts("slow") == held)
        os.kill(server.pid, signal.SIGKILL)
        sender.join(timeout=30)


@pytest.fixture(scope="module")
def fleet() -> Iterator[ThreadedFleet]:
    with ThreadedFleet(FleetConfig.model_validate(FLEET), seed=3) as running:
        yield running


@pytest.fixture(params=["sqlite", "postgres"])
def crashable(
    request: pytest.FixtureRequest, fleet: ThreadedFleet, tmp_path: Path
) -> Iterator[Crashable]:
    fleet.clear()
    with deployment_urls(request.param, tmp_path) as (database_url, redis_url):
        yield Crashable(fleet, tmp_path, database_url, redis_url)


def _auth(campaign: str) -> dict[str, str]:
    return {"lp_campaign_id": campaign, "lp_supplier_id": "7", "lp_key": KEY}


def test_a_post_retried_after_a_crash_sells_nothing_again(crashable: Crashable) -> None:
    first = crashable.server()
    with first:
        ping = httpx.post(f"{first.base_url}/ping", json={**_auth("1"), **LEAD}).json()
        bids = {b["buyer_id"]: b["bid_id"] for b in ping["bids"]}
        body = {**_auth("1"), **LEAD, "lp_ping_id": ping["ping_id"],
                "lp_consent_bids": [bids["slow"], bids["fast"]]}  # fmt: skip
        crashable.kill_while_held(first, "/post", body)
    with crashable.server() as second:
        retry = httpx.post(f"{second.base_url}/post", json=body, timeout=60)
        data = retry.json()
        # The slow buyer held the lead when the server died: it may have bought it.
        assert retry.status_code == 200
        assert retry.headers["Idempotent-Replay"] == "true"
        assert (data["status"], data["code"]) == ("ERROR", 2003)
        assert [b["buyer_id"] for b in data["unknown_bids"]] == ["slow"]
        assert data["sold_bids"] == []
        assert [b["buyer_id"] for b in data["rejected_bids"]] == ["fast"]
        assert data["meta"]["unknown_count"] == 1
        # Nobody was posted again, and the answer stays the same.
        assert (crashable.posts("slow"), crashable.posts("fast")) == (1, 0)
        again = httpx.post(f"{second.base_url}/post", json=body, timeout=60).json()
        assert again.pop("request_id") != data.pop("request_id")
        assert again == data
        unknown = httpx.get(
            f"{second.base_url}/api/v1/sales",
            params={"status": "unknown"},
            headers={"Authorization": "Bearer test-admin-token-not-a-secret"},
        ).json()
        assert [s["lead_id"] for s in unknown["sales"]] == [data["lead_id"]]


def test_an_exclusive_replay_after_a_crash_keeps_the_exclusive_shape(
    crashable: Crashable,
) -> None:
    first = crashable.server()
    with first:
        ping = httpx.post(f"{first.base_url}/ping", json={**_auth("2"), **LEAD}).json()
        body = {**_auth("2"), **LEAD, "lp_ping_id": ping["ping_id"]}
        crashable.kill_while_held(first, "/post", body)
    with crashable.server() as second:
        data = httpx.post(f"{second.base_url}/post", json=body, timeout=60).json()
    assert data["code"] == 2003
    assert "rejected_bids" not in data
    assert (data["meta"]["attempts"], data["meta"]["unknown_count"]) == (1, 1)
    # No fallback past the buyer that may have the lead.
    assert (crashable.posts("slow"), crashable.posts("fast")) == (1, 0)


def test_a_direct_post_retried_after_a_crash_is_not_sold_again(crashable: Crashable) -> None:
    body = {**_auth("3"), **LEAD}
    first = crashable.server()
    with first:
        crashable.kill_while_held(first, "/direct_post", body)
    with crashable.server() as second:
        retry = httpx.post(f"{second.base_url}/direct_post", json=body, timeout=60)
    assert retry.status_code == 200
    assert retry.json()["status"] == "DUPLICATED"
    assert (crashable.posts("slow"), crashable.posts("fast")) == (1, 0)
