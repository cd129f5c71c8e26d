"""Small builders for unit tests: workspace configs, catalogs, bids and supplier requests.

Every builder takes keyword overrides so a test states only what it is about.
"""

from collections.abc import Mapping
from typing import Any

from hypothesis import settings

from pickpost.domain.bids import OfferedBid, RawBid
from pickpost.domain.catalog import Catalog
from pickpost.domain.lead import SaleStatus
from pickpost.domain.returns import SaleOfLead
from pickpost.domain.workspace import BuyerConfig, CampaignConfig, SupplierConfig, Workspace
from pickpost.services.intake import SupplierRequest

NO_DB = settings(database=None)
"""Hypothesis settings for properties: no example database written into the work tree."""

SUPPLIER_KEY = "k7secret"
OTHER_KEY = "k9other-secret"


def make_supplier(**overrides: Any) -> SupplierConfig:
    data: dict[str, Any] = {"id": "7", "name": "Acme Media", "key": SUPPLIER_KEY, "mode": "live"}
    data.update(overrides)
    return SupplierConfig.model_validate(data)


def make_buyer(**overrides: Any) -> BuyerConfig:
    data: dict[str, Any] = {
        "id": "sunco",
        "name": "SunCo",
        "tcpa_entity_name": "SunCo Solar LLC",
        "additional_data": {"display_name": "SunCo", "logo_url": "https://sunco.example/l.png"},
        "ping_url": "http://127.0.0.1:9001/ping",
        "post_url": "http://127.0.0.1:9001/post",
        "timeout_ms": 800,
    }
    data.update(overrides)
    return BuyerConfig.model_validate(data)


def campaign_dict(**overrides: Any) -> dict[str, Any]:
    """A valid one-to-one campaign as workspace data (what a YAML file holds)."""
    data: dict[str, Any] = {
        "id": "101",
        "name": "Solar One-to-One",
        "type": "one_to_one",
        "ping_timeout_ms": 1500,
        "ping_ttl_s": 900,
        "margin": {"percent": 10},
        "one_to_one": {"min_bid": 5, "max_bids": 8, "dedupe_by_entity": True, "max_sales": 3},
        "fields": [
            {"name": "zip_code", "type": "zip", "ping": "required", "post": "required"},
            {"name": "state", "type": "state", "ping": "required", "post": "required"},
            {"name": "phone", "type": "phone", "post": "required"},
        ],
        "suppliers": [{"id": "7", "name": "Acme Media", "key": SUPPLIER_KEY, "mode": "live"}],
        "buyers": [
            {
                "id": "sunco",
                "tcpa_entity_name": "SunCo Solar LLC",
                "ping_url": "http://127.0.0.1:9001/ping",
                "post_url": "http://127.0.0.1:9001/post",
            }
        ],
    }
    data.update(overrides)
    return data


def make_campaign(**overrides: Any) -> CampaignConfig:
    return CampaignConfig.model_validate(campaign_dict(**overrides))


def make_workspace(*campaigns: CampaignConfig) -> Workspace:
    return Workspace(campaigns=campaigns)


def make_catalog(*campaigns: CampaignConfig) -> Catalog:
    return Catalog.from_workspace(make_workspace(*(campaigns or (make_campaign(),))))


def raw_bid(
    buyer_id: str = "sunco",
    price: int = 4500,
    entity: str = "SunCo Solar LLC",
    latency_ms: float = 100.0,
    token: str | None = None,
    additional_data: Mapping[str, object] | None = None,
) -> RawBid:
    return RawBid(
        buyer_id=buyer_id,
        price=price,
        tcpa_entity_name=entity,
        token=token,
        additional_data=dict(additional_data or {}),
        latency_ms=latency_ms,
    )


def offered_bid(bid_id: str, buyer_id: str = "sunco", price: int = 4050) -> OfferedBid:
    return OfferedBid(
        bid_id=bid_id,
        buyer_id=buyer_id,
        price=price,
        buyer_price=price,
        tcpa_entity_name=f"{buyer_id} LLC",
    )


class IdSequence:
    """An injectable id generator (``b_test_0``, ``b_test_1``, …) that remembers what it issued."""

    def __init__(self, prefix: str = "b_test_") -> None:
        self.prefix = prefix
        self.issued: list[str] = []

    def __call__(self) -> str:
        new = f"{self.prefix}{len(self.issued)}"
        self.issued.append(new)
        return new


def supplier_request(data: Mapping[str, object], endpoint: str = "/ping") -> SupplierRequest:
    return SupplierRequest(
        request_id="r_test",
        endpoint=endpoint,
        arrived=1000.0,
        received_at=1_700_000_000.0,
        data=dict(data),
    )


def auth(
    campaign_id: object = "101", supplier_id: object = "7", key: object = SUPPLIER_KEY
) -> dict[str, object]:
    """The three auth fields of a supplier request."""
    return {"lp_campaign_id": campaign_id, "lp_supplier_id": supplier_id, "lp_key": key}


def sold_sale(buyer_id: str, sold_at: float, **overrides: Any) -> SaleOfLead:
    """A buyer's sold sale of a lead, as the returns store reads it: $40.50, payout $36.45."""
    values: dict[str, Any] = {
        "buyer_id": buyer_id,
        "bid_id": f"b_{buyer_id}",
        "status": SaleStatus.SOLD,
        "sold_at": sold_at,
        "buyer_price_cents": 4050,
        "payout_cents": 3645,
        "returned": False,
    }
    return SaleOfLead(**{**values, **overrides})
