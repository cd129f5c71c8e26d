"""A live ``pickpost serve`` (SQLite) with simulated buyers, for the supplier clients."""

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from pickpost.simbuyers import FleetConfig
from tests.support.databases import deployment_urls
from tests.support.fleet import ThreadedFleet, native_buyer
from tests.support.server import ServerProcess
from tests.support.supplier_clients import KEY

FLEET = {
    "buyers": [
        {"id": "alpha", "price": 40, "tcpa_entity_name": "Alpha Energy LLC"},
        {"id": "beta", "price": 30, "tcpa_entity_name": "Beta Solar Inc."},
        {"id": "nobid", "price": 50, "no_bid_rate": 1},
        {"id": "direct", "price": 20, "redirect_url": "https://direct.example/thanks/{lead_id}"},
    ]
}

FIELDS = [
    {"name": "zip_code", "type": "zip", "ping": "required", "post": "required"},
    {"name": "state", "type": "state", "ping": "required", "post": "required"},
    {"name": "first_name", "type": "text", "post": "required"},
    {"name": "phone", "type": "phone", "post": "required"},
    {"name": "email", "type": "email", "post": "optional"},
]


def workspace(urls: dict[str, str]) -> dict[str, Any]:
    def buyer(buyer_id: str, **extra: Any) -> dict[str, Any]:
        return native_buyer(urls, buyer_id, timeout_ms=2000, **extra)

    def campaign(campaign_id: str, kind: str, buyers: list[Any], **extra: Any) -> dict[str, Any]:
        return {
            "id": campaign_id,
            "type": kind,
            "fields": FIELDS,
            "suppliers": [{"id": "7", "name": "Acme", "key": KEY}],
            "buyers": buyers,
            **extra,
        }

    direct = buyer("direct", ping_url=None, price={"static": 20})
    redirect = {"redirect_url": {"from_sold_bid": "redirect_url"}}
    return {
        "campaigns": [
            campaign("101", "one_to_one", [buyer("alpha"), buyer("beta")]),
            campaign("102", "exchange", [buyer("alpha"), buyer("beta")]),
            campaign("103", "direct_post", [direct], distribution={"method": "waterfall"},
                     response_fields=redirect, dupe_check={"fields": ["phone"], "days": 30}),
            campaign("104", "direct_post", [direct], distribution={"method": "waterfall"},
                     filters=[{"field": "state", "allow": ["CA"]}]),
            campaign("105", "one_to_one", [buyer("nobid")]),
        ]
    }  # fmt: skip


@pytest.fixture(scope="session")
def house(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    """A client of the running server; its base URL is the one suppliers would be given."""
    directory = tmp_path_factory.mktemp("clients")
    with ThreadedFleet(FleetConfig.model_validate(FLEET), seed=3) as fleet:
        path = directory / "workspace.json"
        path.write_text(json.dumps(workspace(fleet.base_urls)))
        with deployment_urls("sqlite", directory) as (database_url, redis_url):
            server = ServerProcess(path, database_url, directory / "server.log", redis_url)
            with server, httpx.Client(base_url=server.base_url, timeout=30) as http:
                yield http
