"""A small exchange to fuzz: one campaign of each type, every field type, a few simulated
buyers (native and mapped), served by ``pickpost serve`` over SQLite or PostgreSQL + Redis."""

import json
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from pickpost.simbuyers import FleetConfig
from tests.support.databases import deployment_urls
from tests.support.fleet import ThreadedFleet, native_buyer
from tests.support.mapped import mapping
from tests.support.server import ServerProcess

KEY = "fuzz-supplier-key-not-secret"
SUPPLIER = "7"

FLEET = {
    "buyers": [
        {"id": "bidder", "price": 40, "tcpa_entity_name": "Bidder LLC",
         "redirect_url": "https://bidder.example/{lead_id}"},
        {"id": "picky", "price": 30, "accept_rate": 0.5, "no_bid_rate": 0.3},
        {"id": "xml", "dialect": "mapped_xml", "price": 41, "tcpa_entity_name": "Xml Leads LLC"},
    ]
}  # fmt: skip

FIELDS: list[dict[str, Any]] = [
    {"name": "zip_code", "type": "zip", "ping": "required", "post": "required"},
    {"name": "state", "type": "state", "ping": "required", "post": "required"},
    {"name": "home_owner", "type": "enum", "values": ["yes", "no"], "ping": "optional",
     "post": "optional"},
    {"name": "roof_age", "type": "number", "ping": "optional", "post": "optional"},
    {"name": "solar", "type": "bool", "ping": "optional", "post": "optional"},
    {"name": "first_name", "type": "text", "post": "required"},
    {"name": "phone", "type": "phone", "post": "required"},
    {"name": "email", "type": "email", "post": "optional"},
    {"name": "ip_address", "type": "ip", "post": "optional"},
    {"name": "landing_page_url", "type": "url", "post": "optional"},
    {"name": "birth_date", "type": "date", "post": "optional"},
    {"name": "seen_at", "type": "datetime", "post": "optional"},
    {"name": "tcpa_text", "type": "text", "post": "optional"},
]  # fmt: skip

# A lead every campaign takes; fuzzed requests change a few of its keys.
LEAD: dict[str, Any] = {
    "zip_code": "78701",
    "state": "TX",
    "first_name": "Dana",
    "phone": "5125550142",
}
PING_POST = ("one_to_one", "exclusive", "shared")
CAMPAIGNS = {"one_to_one": "f1", "exclusive": "f2", "shared": "f3", "direct_post": "f4"}


def workspace(urls: dict[str, str]) -> dict[str, Any]:
    def native(buyer_id: str, **extra: Any) -> dict[str, Any]:
        return native_buyer(urls, buyer_id, timeout_ms=2000, post_timeout_ms=2000, **extra)

    mapped = {"id": "xml", "tcpa_entity_name": "Xml Leads LLC", "timeout_ms": 2000,
              "mapping": mapping(urls["xml"])}  # fmt: skip
    buyers = [native("bidder"), native("picky"), mapped]

    def campaign(campaign_id: str, kind: str, **extra: Any) -> dict[str, Any]:
        return {
            "id": campaign_id,
            "type": kind,
            "ping_ttl_s": 3600,
            "ping_timeout_ms": 2000,
            "margin": {"percent": 10},
            "fields": FIELDS,
            "suppliers": [{"id": SUPPLIER, "key": KEY}],
            "buyers": buyers,
            **extra,
        }

    return {
        "campaigns": [
            campaign(CAMPAIGNS["one_to_one"], "one_to_one"),
            campaign(CAMPAIGNS["exclusive"], "exchange", exchange={"fallback": True}),
            campaign(CAMPAIGNS["shared"], "exchange", exchange={"mode": "shared"}),
            campaign(
                CAMPAIGNS["direct_post"],
                "direct_post",
                buyers=[native("bidder", ping_url=None, price={"static": 20}),
                        native("picky", priority=1), mapped],
                distribution={"method": "highest_bidder"},
            ),
        ]
    }  # fmt: skip


def auth(kind: str) -> dict[str, str]:
    return {"lp_campaign_id": CAMPAIGNS[kind], "lp_supplier_id": SUPPLIER, "lp_key": KEY}


@dataclass
class Ping:
    kind: str
    ping_id: str
    bid_ids: list[str]


@dataclass
class FuzzTarget:
    """A running exchange and the requests sent to it."""

    server: ServerProcess
    http: httpx.Client
    pings: list[Ping] = field(default_factory=list)
    codes: Counter[object] = field(default_factory=Counter)  # envelope codes answered

    @property
    def sent(self) -> int:
        return self.codes.total()

    def send(
        self, path: str, content: bytes, content_type: str | None, query: str = ""
    ) -> httpx.Response:
        headers = {"Content-Type": content_type} if content_type is not None else {}
        response = self.http.post(f"{path}{query}", content=content, headers=headers)
        self._count(response)
        return response

    def _count(self, response: httpx.Response) -> None:
        try:
            self.codes[response.json().get("code")] += 1
        except (ValueError, AttributeError):
            self.codes[f"HTTP {response.status_code}"] += 1

    def ping(self, kind: str, **extra: Any) -> Ping | None:
        """A valid ping of a ping/post campaign; None if it found no bids to post."""
        response = self.http.post("/ping", json={**auth(kind), **LEAD, **extra})
        self._count(response)
        answer = response.json()
        if answer["code"] not in (0, 2001):
            return None
        return Ping(kind, answer["ping_id"], [bid["bid_id"] for bid in answer.get("bids", [])])


@contextmanager
def fuzz_target(backend: str, directory: Path) -> Iterator[FuzzTarget]:
    """The exchange over ``backend`` (``sqlite``, or ``postgres`` with Redis pings)."""
    with ThreadedFleet(FleetConfig.model_validate(FLEET), seed=11) as fleet:
        path = directory / "workspace.json"
        path.write_text(json.dumps(workspace(fleet.base_urls)))
        with deployment_urls(backend, directory) as (database_url, redis_url):
            server = ServerProcess(path, database_url, directory / "server.log", redis_url)
            with server, httpx.Client(base_url=server.base_url, timeout=30) as http:
                target = FuzzTarget(server, http)
                # Real pings to post to, made before fuzzing starts.
                for kind in PING_POST:
                    for _ in range(5):
                        made = target.ping(kind)
                        if made is not None:
                            target.pings.append(made)
                yield target
