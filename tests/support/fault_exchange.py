"""A real ``pickpost serve`` whose campaigns each pair one good buyer with one faulty buyer.

The fault suite's world (its fixtures are in ``tests/faults``)."""

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from tests.support.databases import deployment_urls
from tests.support.faultbuyer import FAULTS, FaultBuyers
from tests.support.server import ADMIN_TOKEN, ServerProcess

KEY = "fault-supplier-key-not-secret"
DEADLINE_MS = 1000  # each campaign's ping deadline, and each buyer's ping timeout
GOOD_POST_TIMEOUT_MS = 10_000  # the faulty buyer's post timeout is DEADLINE_MS
GOOD_CENTS = 1000
FAULTY_CENTS = 5000  # a faulty buyer bids above the good one, so a post fault is reached
MAPPED = {"mapped-overflow": "json", "mapped-deep": "json", "xml-bomb": "xml"}

FIELDS = [
    {"name": "zip_code", "type": "zip", "ping": "required", "post": "required"},
    {"name": "state", "type": "state", "ping": "required", "post": "required"},
    {"name": "first_name", "type": "text", "post": "required"},
    {"name": "phone", "type": "phone", "post": "required"},
]


def _native(buyers: FaultBuyers, buyer_id: str, ping: str, post: str) -> dict[str, Any]:
    return {
        "id": buyer_id,
        "tcpa_entity_name": f"{buyer_id.title()} LLC",
        "ping_url": buyers.url(ping),
        "post_url": buyers.url(post),
        "timeout_ms": DEADLINE_MS,
        # The good buyer answers at once; a busy machine must not turn its answer unknown.
        "post_timeout_ms": DEADLINE_MS if buyer_id == "faulty" else GOOD_POST_TIMEOUT_MS,
    }


def _mapped(buyers: FaultBuyers, fault: str, step: str) -> dict[str, Any]:
    """A buyer with its own API, read by a mapping, that answers ``fault`` at ``step``."""
    rules = {"format": MAPPED[fault], "reason": "reason"}
    return {
        "id": "faulty",
        "tcpa_entity_name": "Faulty LLC",
        "timeout_ms": DEADLINE_MS,
        "post_timeout_ms": DEADLINE_MS,
        "mapping": {
            "ping": {
                "url": buyers.url(fault if step == "ping" else "mapped-bid"),
                "body": {"zip": "{{zip_code}}"},
                "response": {**rules, "price": "price"},
            },
            "post": {
                "url": buyers.url(fault if step == "post" else "accept"),
                "body": {"phone": "{{phone}}"},
                "response": {**rules, "accepted": {"path": "accepted", "equals": "true"}},
            },
        },
    }


def _faulty(buyers: FaultBuyers, fault: str, step: str) -> dict[str, Any]:
    if fault in MAPPED:
        return _mapped(buyers, fault, step)
    if step == "ping":
        return _native(buyers, "faulty", fault, "accept")
    return _native(buyers, "faulty", f"bid/{FAULTY_CENTS}", fault)


def workspace(buyers: FaultBuyers) -> dict[str, Any]:
    """Per fault and step, a One-to-One campaign ``<step>-<fault>`` and a Direct Post one
    ``direct-<step>-<fault>``: the good buyer and the faulty one, both pinged."""
    good = _native(buyers, "good", f"bid/{GOOD_CENTS}", "accept")

    def campaign(campaign_id: str, faulty: dict[str, Any], **extra: Any) -> dict[str, Any]:
        return {
            "id": campaign_id,
            "type": "one_to_one",
            "ping_timeout_ms": DEADLINE_MS,
            "margin": {"percent": 0},
            "fields": FIELDS,
            "suppliers": [{"id": "7", "name": "Acme", "key": KEY}],
            "buyers": [good, faulty],
            **extra,
        }

    campaigns = []
    for fault in FAULTS:
        for step in ("ping", "post"):
            faulty = _faulty(buyers, fault, step)
            campaigns.append(campaign(f"{step}-{fault}", faulty))
            campaigns.append(
                campaign(
                    f"direct-{step}-{fault}",
                    faulty,
                    type="direct_post",
                    distribution={"method": "highest_bidder"},
                )
            )
    return {"campaigns": campaigns}


@dataclass
class Exchange:
    """The running server and the faulty buyers behind it."""

    server: ServerProcess
    buyers: FaultBuyers
    http: httpx.Client

    def ping(self, campaign: str) -> httpx.Response:
        return self.http.post("/ping", json={**self._auth(campaign), **_PING_FIELDS})

    def post(self, campaign: str, ping_id: str, bids: list[str]) -> httpx.Response:
        body = {**self._auth(campaign), **_LEAD, "lp_ping_id": ping_id, "lp_consent_bids": bids}
        return self.http.post("/post", json=body)

    def direct_post(self, campaign: str) -> httpx.Response:
        return self.http.post("/direct_post", json={**self._auth(campaign), **_LEAD})

    def admin(self, path: str) -> dict[str, Any]:
        response = self.http.get(path, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
        assert response.status_code == 200, response.text
        data: dict[str, Any] = response.json()
        return data

    def calls(self, view: str, step: str) -> dict[str, dict[str, Any]]:
        """The buyer calls of a ping (``/api/v1/pings/…``) or lead view at ``step``, by buyer."""
        return {c["buyer_id"]: c for c in self.admin(view)["timeline"] if c["step"] == step}

    def memory(self, field: str = "VmRSS") -> int:
        """The server's resident memory in bytes: now (``VmRSS``) or at its peak (``VmHWM``)."""
        status = Path(f"/proc/{self.server.pid}/status").read_text()
        line = next(line for line in status.splitlines() if line.startswith(f"{field}:"))
        return int(line.split()[1]) * 1024

    def forget_peak_memory(self) -> None:
        """Start ``VmHWM`` again from the memory in use now (proc(5), ``clear_refs``)."""
        Path(f"/proc/{self.server.pid}/clear_refs").write_text("5")

    def healthy_within(self, seconds: float) -> float:
        """How long ``/healthz`` took to answer 200, on a connection of its own (the test's
        client may be busy on another thread); the test fails past ``seconds``."""
        started = time.monotonic()
        response = httpx.get(f"{self.server.base_url}/healthz", timeout=seconds)
        assert response.status_code == 200
        return time.monotonic() - started

    @staticmethod
    def _auth(campaign: str) -> dict[str, str]:
        return {"lp_campaign_id": campaign, "lp_supplier_id": "7", "lp_key": KEY}


_PING_FIELDS = {"zip_code": "78701", "state": "TX"}
_LEAD = {**_PING_FIELDS, "first_name": "Dana", "phone": "5125550142"}


@contextmanager
def fault_exchange(backend: str, buyers: FaultBuyers, directory: Path) -> Iterator[Exchange]:
    """The exchange over ``backend`` (``sqlite``, or ``postgres`` with Redis)."""
    path = directory / "workspace.json"
    path.write_text(json.dumps(workspace(buyers)))
    with deployment_urls(backend, directory) as (database_url, redis_url):
        server = ServerProcess(path, database_url, directory / "server.log", redis_url)
        with server, httpx.Client(base_url=server.base_url, timeout=30) as http:
            yield Exchange(server, buyers, http)
