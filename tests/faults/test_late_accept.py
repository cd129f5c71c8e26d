"""A buyer that accepts a POST after its ``post_timeout_ms``: the sale is unknown, never a
rejection, and no exclusive lead is sold past it (docs/supplier-api.md, "When a buyer's answer
is unknown")."""

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from pickpost.simbuyers import FleetConfig
from tests.support.databases import deployment_urls
from tests.support.fleet import ThreadedFleet, native_buyer
from tests.support.server import ADMIN_TOKEN, ServerProcess

KEY = "late-accept-key-not-secret"
TIMEOUT_MS = 200
FAST_MARGIN_MS = 1000

FLEET = {
    "buyers": [
        # Accepts every post, but only after three times its post timeout.
        {"id": "late", "price": 40, "post_latency_ms": {"fixed": 3 * TIMEOUT_MS}},
        {"id": "fast", "price": 30},
    ]
}
LEAD = {"zip_code": "78701", "state": "TX", "phone": "5125550142"}


def _workspace(urls: dict[str, str]) -> dict[str, Any]:
    def buyer(buyer_id: str, **extra: Any) -> dict[str, Any]:
        # Only "late" is late: "fast" answers at once, and a busy machine must not make it
        # look late too.
        timeout = TIMEOUT_MS if buyer_id == "late" else 10 * FAST_MARGIN_MS
        return native_buyer(urls, buyer_id, **{"post_timeout_ms": timeout, **extra})

    def direct(buyer_id: str, price: int, priority: int) -> dict[str, Any]:
        return buyer(buyer_id, ping_url=None, price={"static": price}, priority=priority)

    fields = [
        {"name": "zip_code", "type": "zip", "ping": "required", "post": "required"},
        {"name": "state", "type": "state", "ping": "required", "post": "required"},
        {"name": "phone", "type": "phone", "post": "required"},
    ]
    base = {"fields": fields, "suppliers": [{"id": "7", "name": "Acme", "key": KEY}]}
    return {
        "campaigns": [
            {**base, "id": "1", "name": "One-to-One", "type": "one_to_one",
             "buyers": [buyer("late"), buyer("fast")]},
            {**base, "id": "2", "name": "Exclusive", "type": "exchange",
             "exchange": {"mode": "exclusive", "fallback": True},
             "buyers": [buyer("late"), buyer("fast")]},
            {**base, "id": "3", "name": "Direct", "type": "direct_post",
             "distribution": {"method": "waterfall"},
             "buyers": [direct("late", 40, 0), direct("fast", 30, 1)]},
        ]
    }  # fmt: skip


class Deployment:
    def __init__(self, fleet: ThreadedFleet, http: httpx.Client) -> None:
        self.fleet = fleet
        self.http = http

    def call(self, path: str, campaign: str, **data: Any) -> dict[str, Any]:
        auth = {"lp_campaign_id": campaign, "lp_supplier_id": "7", "lp_key": KEY}
        response = self.http.post(path, json={**auth, **LEAD, **data})
        assert response.status_code == 200
        found: dict[str, Any] = response.json()
        return found

    def posted(self) -> list[str]:
        return [
            buyer
            for buyer in ("late", "fast")
            for r in self.fleet.received(buyer)
            if r.step == "post"
        ]

    def sales(self, lead_id: str) -> dict[str, str]:
        lead = self.http.get(f"/api/v1/leads/{lead_id}", headers=_admin()).json()
        return {s["buyer_id"]: s["status"] for s in lead["sales"]}


def _admin() -> dict[str, str]:
    return {"Authorization": f"Bearer {ADMIN_TOKEN}"}


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def deployment(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Deployment]:
    directory = tmp_path_factory.mktemp(f"late-{request.param}")
    with ThreadedFleet(FleetConfig.model_validate(FLEET), seed=1) as fleet:
        path = directory / "workspace.json"
        path.write_text(json.dumps(_workspace(fleet.base_urls)))
        with deployment_urls(request.param, directory) as (database_url, redis_url):
            server = ServerProcess(path, database_url, Path(directory) / "server.log", redis_url)
            with server, httpx.Client(base_url=server.base_url, timeout=30) as http:
                yield Deployment(fleet, http)


@pytest.fixture
def late(deployment: Deployment) -> Deployment:
    deployment.fleet.clear()
    return deployment


def test_one_to_one_lists_a_late_accept_as_unknown_and_sells_the_next_pick(
    late: Deployment,
) -> None:
    ping = late.call("/ping", "1")
    bids = {b["buyer_id"]: b["bid_id"] for b in ping["bids"]}
    data = late.call(
        "/post", "1", lp_ping_id=ping["ping_id"], lp_consent_bids=[bids["late"], bids["fast"]]
    )
    assert (data["status"], data["code"]) == ("ACCEPTED", 0)
    assert [b["buyer_id"] for b in data["sold_bids"]] == ["fast"]
    assert data["unknown_bids"] == [
        {
            "bid_id": bids["late"],
            "buyer_id": "late",
            "tcpa_entity_name": "Late LLC",
            "reason": f"unknown: buyer timeout: no answer in {TIMEOUT_MS} ms",
        }
    ]
    assert data["rejected_bids"] == []
    assert data["payout"] == 30.0
    assert late.sales(data["lead_id"]) == {"late": "unknown", "fast": "sold"}
    unknown = late.http.get("/api/v1/sales", params={"status": "unknown"}, headers=_admin())
    assert data["lead_id"] in {s["lead_id"] for s in unknown.json()["sales"]}


def test_an_exclusive_lead_is_never_sold_past_a_late_accept(late: Deployment) -> None:
    ping = late.call("/ping", "2")
    data = late.call("/post", "2", lp_ping_id=ping["ping_id"])
    assert (data["status"], data["code"]) == ("ERROR", 2003)
    assert data["meta"]["unknown_count"] == 1
    assert late.posted() == ["late"]  # no fallback to "fast"
    assert late.sales(data["lead_id"]) == {"late": "unknown"}


def test_a_direct_post_waterfall_stops_at_a_late_accept(late: Deployment) -> None:
    data = late.call("/direct_post", "3")
    assert (data["status"], data["code"]) == ("ERROR", 2003)
    assert (data["meta"]["attempts"], data["meta"]["unknown_count"]) == (1, 1)
    assert late.posted() == ["late"]
    assert late.sales(data["lead_id"]) == {"late": "unknown"}
