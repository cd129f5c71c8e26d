"""The whole system over real HTTP: simulated buyers, `pickpost serve`, SQLite or PostgreSQL.

The integration tests' world: the fleet, the workspace of campaigns over it, and ``System``,
the running server with helpers to call it (their fixtures are in ``tests/integration``)."""

import asyncio
import itertools
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa

from pickpost.infra.sql.engine import make_engine
from tests.support.databases import deployment_urls
from tests.support.fleet import ThreadedFleet
from tests.support.mapped import mapping
from tests.support.server import ADMIN_TOKEN, ServerProcess

KEY = "test-supplier-key-not-secret"
OTHER_KEY = "other-supplier-key-not-secret"

FLEET = {
    "buyers": [
        {"id": "alpha", "price": 40, "tcpa_entity_name": "Alpha Energy LLC",
         "redirect_url": "https://alpha.example/welcome?lead={lead_id}"},
        {"id": "beta", "price": 30, "tcpa_entity_name": "Beta Solar Inc."},
        {"id": "gamma", "price": 25, "tcpa_entity_name": "alpha energy llc"},
        {"id": "cheap", "price": 3, "tcpa_entity_name": "Cheap Leads Co."},
        {"id": "nobid", "price": 50, "no_bid_rate": 1},
        {"id": "rejecter", "price": 35, "accept_rate": 0},
        {"id": "dupe", "price": 33, "duplicate_rate": 1},
        {"id": "hang", "price": 90, "fault": {"mode": "hang"}},
        {"id": "err500", "price": 90, "fault": {"mode": "500"}},
        {"id": "garbage", "price": 90, "fault": {"mode": "garbage"}},
        {"id": "reset", "price": 90, "fault": {"mode": "reset"}},
        {"id": "posthang", "price": 60, "fault": {"mode": "hang", "step": "post"}},
        {"id": "postreset", "price": 59, "fault": {"mode": "reset", "step": "post"}},
        {"id": "post500", "price": 58, "fault": {"mode": "500", "step": "post"}},
        # Buyers whose text no database would store as sent.
        {"id": "nulreject", "price": 20, "accept_rate": 0, "reject_reason": "dup\u0000licate",
         "tcpa_entity_name": "Nul\u0000 Reject LLC"},
        {"id": "nulfields", "price": 19, "redirect_url": "https://nul.example/\u0000{lead_id}",
         "additional_data": {"display_name": "Nul\u0000Fields"}},
        # Direct-post buyers (their configured prices count; the script's only if pinged).
        {"id": "d1", "price": 20, "redirect_url": "https://d1.example/{lead_id}"},
        {"id": "d2", "price": 25},
        {"id": "d3", "price": 30},
        {"id": "drej", "price": 50, "accept_rate": 0, "reject_reason": "not in our area"},
        # A buyer with its own API: form-encoded ping, XML answers (docs/buyers.md).
        {"id": "xml", "dialect": "mapped_xml", "price": 41, "tcpa_entity_name": "Xml Leads LLC",
         "redirect_url": "https://xml.example/thanks?lead={lead_id}"},
    ]
}  # fmt: skip

ENTITY = {
    "nobid": "No Bid Corp.",
    "rejecter": "Rejecter LLC",
    "dupe": "Dupe Inc.",
    "nulreject": "Nul Reject LLC",
    "nulfields": "Nul Fields LLC",
}


SECRET_HEADER_VALUE = "sk-console-secret-4242"  # never shown: buyer calls record it withheld


def _buyer(urls: dict[str, str], buyer_id: str, **extra: Any) -> dict[str, Any]:
    script = next(b for b in FLEET["buyers"] if b["id"] == buyer_id)
    entity = ENTITY.get(buyer_id) or script.get("tcpa_entity_name") or f"{buyer_id.title()} LLC"
    return {
        "id": buyer_id,
        "tcpa_entity_name": entity,
        "additional_data": {"display_name": buyer_id.title()},
        "ping_url": f"{urls[buyer_id]}/ping",
        "post_url": f"{urls[buyer_id]}/post",
        "timeout_ms": 2000,
        "post_timeout_ms": 2000,
        **extra,
    }


def _dates_around_today() -> list[str]:
    today = datetime.now(UTC).date()
    return [str(today + timedelta(days=d)) for d in (-1, 0, 1)]


FIELDS = [
    {"name": "zip_code", "type": "zip", "ping": "required", "post": "required"},
    {"name": "state", "type": "state", "ping": "required", "post": "required"},
    {"name": "home_owner", "type": "enum", "values": ["yes", "no"], "ping": "optional",
     "post": "optional"},
    {"name": "first_name", "type": "text", "post": "required"},
    {"name": "phone", "type": "phone", "post": "required"},
    {"name": "email", "type": "email", "post": "optional"},
    {"name": "ip_address", "type": "ip", "post": "optional"},
    {"name": "tcpa_text", "type": "text", "post": "optional"},
    {"name": "landing_page_url", "type": "url", "post": "optional"},
    {"name": "roof_age", "type": "number", "ping": "optional"},
]  # fmt: skip


def workspace(urls: dict[str, str]) -> dict[str, Any]:
    suppliers = [
        {"id": "7", "name": "Acme", "key": KEY},
        {"id": "8", "name": "Other", "key": OTHER_KEY},
    ]

    def campaign(campaign_id: str, buyers: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
        return {
            "id": campaign_id,
            "type": "one_to_one",
            "ping_timeout_ms": 1500,
            "margin": {"percent": 10},
            "one_to_one": {"min_bid": 5},
            "response_fields": {
                "redirect_url": {"from_sold_bid": "redirect_url"},
                "thank_you_page": {"value": "https://supplier.example/thanks"},
            },
            "fields": FIELDS,
            "suppliers": suppliers,
            "buyers": buyers,
            **extra,
        }

    def b(buyer_id: str, **extra: Any) -> dict[str, Any]:
        return _buyer(urls, buyer_id, **extra)

    def static(buyer_id: str, price: float, **extra: Any) -> dict[str, Any]:
        """A direct-post-only buyer: no ping, its configured price."""
        return b(buyer_id, ping_url=None, price={"static": price}, **extra)

    def mapped(buyer_id: str) -> dict[str, Any]:
        return {
            "id": buyer_id,
            "tcpa_entity_name": "Xml Leads LLC",
            "timeout_ms": 2000,
            "mapping": mapping(urls[buyer_id]),
        }

    def secret_mapped(buyer_id: str) -> dict[str, Any]:
        """A mapped buyer whose ping carries an API key in a header: recorded withheld."""
        buyer = mapped(buyer_id)
        buyer["mapping"]["ping"]["headers"] = {"X-Api-Key": SECRET_HEADER_VALUE}
        return buyer

    def exchange(campaign_id: str, buyers: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
        return campaign(campaign_id, buyers, type="exchange", **extra)

    def direct(
        campaign_id: str, buyers: list[dict[str, Any]], method: str, **extra: Any
    ) -> dict[str, Any]:
        return campaign(
            campaign_id,
            buyers,
            type="direct_post",
            distribution={"method": method, **extra.pop("distribution", {})},
            **extra,
        )

    return {
        "campaigns": [
            campaign("100", [b(i) for i in ("alpha", "beta", "gamma", "cheap", "nobid",
                                             "rejecter", "dupe")]),
            campaign("200", [b(i) for i in ("alpha", "hang", "err500", "garbage", "reset")],
                     ping_timeout_ms=500),
            campaign("300", [b(i) for i in ("alpha", "beta", "gamma", "rejecter", "dupe")],
                     one_to_one={"min_bid": 5, "max_bids": 3, "dedupe_by_entity": True,
                                 "max_sales": 1, "show_rejected_bids": True}),
            campaign("400", [b("alpha"), b("beta")], ping_ttl_s=1),
            campaign("500", [b(i, post_timeout_ms=400) for i in ("posthang", "postreset",
                                                                  "post500", "alpha")]),
            campaign("600", [b("alpha"), b("beta", paused=True)],
                     suppliers=[suppliers[0], {"id": "9", "key": "paused-key-not-secret",
                                               "paused": True}]),
            campaign("700", [b("alpha")], suppliers=[suppliers[1]], paused=True),
            campaign("800", [b("nobid"), b("cheap")]),
            campaign("900", [b("nulreject"), b("nulfields")]),
            campaign("1000", [b("alpha"), b("hang", timeout_ms=200)], ping_timeout_ms=1500),
            # Ping/Post Exchange.
            exchange("1100", [b("alpha"), b("beta")]),
            exchange("1101", [b("rejecter"), b("beta")],
                     exchange={"mode": "exclusive", "fallback": True}),
            exchange("1102", [b("alpha"), b("beta"), b("rejecter"), static("d1", 12)],
                     exchange={"mode": "shared"}),
            exchange("1104", [b("rejecter"), b("beta")]),
            exchange("1103", [b("alpha", bid_penalty=50, margin={"amount": 1}), b("beta")],
                     suppliers=[{**suppliers[0], "margin": {"percent": 20}},
                                {**suppliers[1], "min_buyer_bid": 45}]),
            # Direct Post, one campaign per distribution method.
            direct("1200", [static("d3", 30, priority=1), static("drej", 50, priority=0),
                            static("d1", 20, priority=2)], "waterfall"),
            direct("1201", [static("d1", 20),
                            b("d2", ping_url=None, price={
                                "conditional": [{"when": [{"field": "state", "allow": ["TX"]}],
                                                 "price": 45}],
                                "default": 10}),
                            b("alpha")], "highest_bidder"),
            direct("1202", [static("drej", 50, priority=0), static("d1", 20, priority=1),
                            static("d2", 25, priority=2), static("d3", 30, priority=3)],
                   "send_to_all", distribution={"sell_limit": 2}),
            direct("1203", [static(i, 10) for i in ("d1", "d2", "d3")], "round_robin"),
            direct("1204", [static("d1", 10, weight=2), static("d2", 10)], "weighted"),
            direct("1205", [static("drej", 50)], "waterfall"),
            direct("1206", [static("d1", 20, filters=[{"field": "state", "allow": ["CA"]}])],
                   "waterfall"),
            # Caps.
            direct("1300", [static("d1", 20, caps={"leads": {"day": 3}})], "waterfall"),
            direct("1301", [static("d1", 20)], "waterfall",
                   suppliers=[{**suppliers[0], "caps": {"leads": {"day": 2}}}, suppliers[1]]),
            campaign("1302", [b("alpha")],
                     suppliers=[{**suppliers[0], "caps": {"pings": {"minute": 2}}}]),
            direct("1303", [static("d1", 20, caps={"budget": {"day": 50}}), static("d2", 10)],
                   "highest_bidder"),
            # Filters and schedules.
            campaign("1400", [b("alpha", filters=[{"field": "roof_age", "max": 20}]),
                              b("beta", filters=[{"field": "zip_code", "allow_prefix": ["787"]}])],
                     filters=[{"field": "state", "allow": ["TX", "CA"]}],
                     suppliers=[{**suppliers[0],
                                 "filters": [{"field": "home_owner", "block": ["no"]}]},
                                suppliers[1]]),
            campaign("1401", [b("alpha", schedule={"closed_dates": _dates_around_today()}),
                              b("beta", schedule={"windows": [
                                  {"days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
                                   "start": "00:00", "end": "24:00"}]})]),
            campaign("1402", [b("alpha"), b("beta")]),
            # Duplicates.
            direct("1500", [static("d1", 20)], "waterfall",
                   dupe_check={"fields": ["phone"], "days": 30}),
            direct("1501", [static("d1", 20, priority=0), static("d2", 25, priority=1)],
                   "waterfall", dupe_check={"fields": ["phone", "email"], "match": "any",
                                            "scope": "buyer"}),
            # A mapped buyer in each flow.
            campaign("1700", [mapped("xml"), b("beta")]),
            direct("1701", [mapped("xml"), static("d1", 20)], "highest_bidder"),
            # Archived and restored by the command line (test_archive.py).
            campaign("1800", [b("alpha"), b("beta")]),
            direct("1801", [static("d1", 20)], "waterfall"),
            # Returns (test_returns_api.py).
            direct("1900", [static("d1", 20)], "waterfall",
                   returns={"window_days": 3, "charge_back_supplier": True}),
            direct("1901", [static("d1", 20, priority=0), static("d2", 25, priority=1)],
                   "send_to_all", returns={"reasons": ["Wrong number", "Bad data"]}),
            direct("1902", [static("d1", 20)], "waterfall", returns={"window_days": 0}),
            campaign("1903", [b("alpha"), b("beta")]),
            # The console's lead and returns pages (test_console_leads*.py): a buyer called
            # with a secret header, pinged then posted.
            direct("2000", [secret_mapped("xml")], "highest_bidder",
                   returns={"reasons": ["Wrong number", "Bad data"]}),
            # Test mode.
            direct("1600", [static("d1", 20, caps={"leads": {"total": 1}},
                                   test_post_url=f"{urls['d2']}/post")], "waterfall",
                   suppliers=[suppliers[0], {**suppliers[1], "mode": "test"}]),
        ]
    }  # fmt: skip


@dataclass
class System:
    """A running Pickpost and the simulated buyers behind it."""

    server: ServerProcess
    fleet: ThreadedFleet
    database_url: str
    http: httpx.Client

    def ping(self, campaign: str = "100", supplier: str = "7", **lead: Any) -> httpx.Response:
        body = {"lp_campaign_id": campaign, "lp_supplier_id": supplier, "lp_key": _key(supplier)}
        return self.http.post("/ping", json={**body, "zip_code": "78701", "state": "TX", **lead})

    def post(
        self, ping: httpx.Response | str, bids: object, campaign: str = "100", **lead: Any
    ) -> httpx.Response:
        ping_id = ping if isinstance(ping, str) else ping.json()["ping_id"]
        return self.http.post("/post", json=post_body(ping_id, bids, campaign, **lead))

    def call(self, path: str, campaign: str, supplier: str = "7", **data: Any) -> httpx.Response:
        """Any supplier call with credentials filled in."""
        body = {"lp_campaign_id": campaign, "lp_supplier_id": supplier, "lp_key": _key(supplier)}
        return self.http.post(path, json={**body, **data})

    def direct_post(self, campaign: str, supplier: str = "7", **lead: Any) -> httpx.Response:
        """A full lead to ``/direct_post``; each call a new consumer unless ``phone`` is given."""
        defaults = {
            "zip_code": "78701",
            "state": "TX",
            "first_name": "Dana",
            "phone": f"512555{next(_PHONES):04d}",
        }
        return self.call("/direct_post", campaign, supplier, **{**defaults, **lead})

    def lead(self, lead_id: str) -> dict[str, Any]:
        response = self.http.get(
            f"/api/v1/leads/{lead_id}", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}
        )
        assert response.status_code == 200, response.text
        data: dict[str, Any] = response.json()
        return data

    def posts_received(self, buyer_id: str) -> list[dict[str, Any]]:
        return self.received(buyer_id, "post")

    def received(self, buyer_id: str, step: str) -> list[dict[str, Any]]:
        """The bodies ``buyer_id`` received at ``step`` (ping or post)."""
        return [r.body for r in self.fleet.received(buyer_id) if r.step == step]  # type: ignore[misc]

    def query(self, statement: str, **params: Any) -> list[tuple[Any, ...]]:
        """Rows straight from the database, bypassing Pickpost."""

        async def run() -> list[tuple[Any, ...]]:
            engine = make_engine(self.database_url)
            try:
                async with engine.connect() as conn:
                    result = await conn.execute(sa.text(statement), params)
                    return [tuple(row) for row in result.all()]
            finally:
                await engine.dispose()

        return asyncio.run(run())


def post_body(ping_id: str, bids: object, campaign: str = "100", **lead: Any) -> dict[str, Any]:
    """A One-to-One POST of a ping with a full lead; ``supplier`` picks another supplier."""
    supplier = lead.pop("supplier", "7")
    return {
        "lp_campaign_id": campaign,
        "lp_supplier_id": supplier,
        "lp_key": _key(supplier),
        "lp_ping_id": ping_id,
        "lp_consent_bids": bids,
        "zip_code": "78701",
        "state": "TX",
        "first_name": "Dana",
        "phone": "(512) 555-0142",
        **lead,
    }


_PHONES = itertools.count(1000)


def _key(supplier: str) -> str:
    return {"7": KEY, "8": OTHER_KEY, "9": "paused-key-not-secret"}.get(supplier, "wrong")


def bid_of(ping: httpx.Response, buyer_id: str) -> str:
    return str(next(b["bid_id"] for b in ping.json()["bids"] if b["buyer_id"] == buyer_id))


@contextmanager
def running_system(backend: str, fleet: ThreadedFleet, directory: Path) -> Iterator[System]:
    """A server over ``backend``: SQLite with in-process pings, or PostgreSQL with Redis pings."""
    path = directory / "workspace.json"
    path.write_text(json.dumps(workspace(fleet.base_urls)))
    with deployment_urls(backend, directory) as (database_url, redis_url):
        server = ServerProcess(path, database_url, directory / "server.log", redis_url)
        with server, httpx.Client(base_url=server.base_url, timeout=30) as http:
            yield System(server, fleet, database_url, http)
