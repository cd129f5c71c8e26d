"""Workspace document validation (docs/configuration.md): strict models, refused at load time."""

import hashlib
from decimal import Decimal
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from pickpost.domain.fields import FieldType, Requirement
from pickpost.domain.workspace import (
    CampaignConfig,
    CampaignType,
    FieldConfig,
    MarginConfig,
    SupplierConfig,
    Workspace,
)
from tests.unit.factories import (
    SUPPLIER_KEY,
    campaign_dict,
    make_buyer,
    make_campaign,
    make_supplier,
)

API_EXAMPLE = """
campaigns:
  - id: "101"
    name: Solar One-to-One
    type: one_to_one
    timezone: America/Chicago
    ping_timeout_ms: 1500
    ping_ttl_s: 900
    margin: {percent: 10}
    one_to_one: {min_bid: 5, max_bids: 8, dedupe_by_entity: true, max_sales: 3}
    response_fields:
      redirect_url: {from_sold_bid: redirect_url}
      thank_you_page: {value: "https://supplier.example/thanks"}
    fields:
      - {name: zip_code, type: zip, ping: required, post: required}
      - {name: state, type: state, ping: required, post: required}
      - {name: phone, type: phone, post: required}
      - {name: email, type: email, post: optional}
      - {name: home_owner, type: enum, values: ["yes", "no"], ping: optional, post: optional}
    suppliers:
      - {id: "7", name: Acme Media, key: "k7secret", mode: live}
    buyers:
      - id: sunco
        name: SunCo
        tcpa_entity_name: SunCo Solar LLC
        additional_data: {display_name: SunCo, logo_url: "https://sunco.example/logo.png"}
        ping_url: "http://127.0.0.1:9001/ping"
        post_url: "http://127.0.0.1:9001/post"
        timeout_ms: 800
"""


def test_the_api_example_is_a_valid_workspace() -> None:
    workspace = Workspace.model_validate(yaml.safe_load(API_EXAMPLE))
    [campaign] = workspace.campaigns
    assert campaign.type is CampaignType.ONE_TO_ONE
    assert campaign.margin == MarginConfig(percent=Decimal(10))
    assert campaign.one_to_one.max_sales == 3
    assert campaign.response_fields["redirect_url"].from_sold_bid == "redirect_url"
    assert campaign.fields[4].values == ("yes", "no")
    assert campaign.fields[2].ping is None
    assert campaign.fields[3].post is Requirement.OPTIONAL
    assert campaign.buyers[0].timeout_ms == 800
    assert campaign.suppliers[0].mode == "live"


def test_defaults() -> None:
    campaign = CampaignConfig.model_validate({"id": "1", "type": "one_to_one"})
    assert campaign.timezone == "UTC"
    assert campaign.ping_timeout_ms == 1500
    assert campaign.ping_ttl_s == 900
    assert campaign.margin is None
    assert campaign.one_to_one.max_bids is None
    assert campaign.one_to_one.dedupe_by_entity is False
    assert campaign.one_to_one.max_sales is None
    assert campaign.one_to_one.show_rejected_bids is True
    assert campaign.paused is False
    assert make_buyer().post_timeout_ms == 10_000
    assert make_supplier(mode="test").mode == "test"


def test_models_are_frozen() -> None:
    campaign = make_campaign()
    with pytest.raises(ValidationError):
        campaign.paused = True  # type: ignore[misc]


# --- margin ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "margin",
    [{"percent": 10}, {"percent": 0}, {"percent": "99.5"}, {"amount": 2.5}, {"amount": 0}],
)
def test_margin_accepted(margin: dict[str, object]) -> None:
    assert make_campaign(margin=margin).margin is not None


@pytest.mark.parametrize(
    ("margin", "words"),
    [
        ({}, "exactly one of percent or amount"),
        ({"percent": 10, "amount": 1}, "exactly one of percent or amount"),
        ({"percent": None, "amount": None}, "exactly one of percent or amount"),
        ({"percent": 100}, "less than 100"),
        ({"percent": -1}, "greater than or equal to 0"),
        ({"amount": -0.01}, "greater than or equal to 0"),
        ({"amount": "0.001"}, "decimal places"),
        ({"percent": "ten"}, "decimal"),
        ({"fixed": 10}, "Extra inputs are not permitted"),
    ],
)
def test_margin_refused(margin: dict[str, object], words: str) -> None:
    with pytest.raises(ValidationError, match=words):
        make_campaign(margin=margin)


# --- fields ---------------------------------------------------------------------------------------


def field(**overrides: Any) -> dict[str, Any]:
    return {"name": "home_owner", "type": "text", "ping": "optional", **overrides}


def test_enum_field_with_values() -> None:
    config = FieldConfig.model_validate(field(type="enum", values=["yes", "no"]))
    assert config.to_spec().values == ("yes", "no")
    assert config.to_spec().type is FieldType.ENUM


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (field(type="enum"), "values must be given for enum fields"),
        (field(type="enum", values=[]), "values must be given for enum fields"),
        (field(type="text", values=["a"]), "only for them"),
        (field(name="lp_home_owner"), "reserved"),
        (field(name="lp_subid1"), "reserved"),
        (field(name="lp_"), "reserved"),
        (field(name=""), "at least 1 character"),
        (field(name="home owner"), "may hold only letters, digits and '_'"),
        (field(name="x" * 65), "at most 64 characters"),
        (field(type="color"), "Input should be"),
        (field(ping="sometimes"), "Input should be"),
        (field(required=True), "Extra inputs are not permitted"),
    ],
)
def test_field_refused(data: dict[str, Any], words: str) -> None:
    with pytest.raises(ValidationError, match=words):
        FieldConfig.model_validate(data)


def test_field_names_are_case_sensitive_so_upper_lp_is_not_reserved() -> None:
    assert FieldConfig.model_validate(field(name="LP_code")).name == "LP_code"


def test_reserved_field_refused_inside_a_campaign() -> None:
    fields = [{"name": "lp_campaign_id", "type": "text", "ping": "required"}]
    with pytest.raises(ValidationError, match="reserved for the supplier API"):
        make_campaign(fields=fields)


# --- suppliers ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "words"),
    [
        ({"id": "7"}, "exactly one of key or key_sha256"),
        ({"id": "7", "key": SUPPLIER_KEY, "key_sha256": "a" * 64}, "exactly one of key"),
        ({"id": "7", "key": "short"}, "at least 8 characters"),
        ({"id": "7", "key_sha256": "not-a-hash"}, "must be 64 lowercase hex digits"),
        ({"id": "7", "key_sha256": "A" * 64}, "must be 64 lowercase hex digits"),
        ({"id": "7", "key": SUPPLIER_KEY, "mode": "sandbox"}, "'live' or 'test'"),
        ({"id": "7", "key": SUPPLIER_KEY, "secret": "x"}, "Extra inputs are not permitted"),
        ({"id": "a b", "key": SUPPLIER_KEY}, "may hold only letters, digits"),
        ({"id": "", "key": SUPPLIER_KEY}, "at least 1 character"),
    ],
)
def test_supplier_refused(data: dict[str, object], words: str) -> None:
    with pytest.raises(ValidationError, match=words):
        SupplierConfig.model_validate(data)


def test_hashed_replaces_the_key_and_is_idempotent() -> None:
    hashed = make_supplier().hashed()
    assert hashed.key is None
    assert hashed.key_sha256 == hashlib.sha256(SUPPLIER_KEY.encode()).hexdigest()
    assert hashed.hashed() == hashed


def test_supplier_with_different_keys_in_two_campaigns_refused() -> None:
    first = campaign_dict(id="101", suppliers=[{"id": "7", "key": SUPPLIER_KEY}])
    second = campaign_dict(id="102", suppliers=[{"id": "7", "key": "another-secret"}])
    with pytest.raises(ValidationError, match="supplier '7' has different keys"):
        Workspace.model_validate({"campaigns": [first, second]})


def test_supplier_with_the_same_key_plain_and_hashed_is_consistent() -> None:
    digest = hashlib.sha256(SUPPLIER_KEY.encode()).hexdigest()
    first = campaign_dict(id="101", suppliers=[{"id": "7", "key": SUPPLIER_KEY}])
    second = campaign_dict(id="102", suppliers=[{"id": "7", "key_sha256": digest}])
    assert len(Workspace.model_validate({"campaigns": [first, second]}).campaigns) == 2


# --- buyers ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "words"),
    [
        ({"ping_url": None}, "needs a price"),
        ({"tcpa_entity_name": ""}, "at least 1 character"),
        ({"post_url": "ftp://x.example/post"}, "must be an http:// or https:// URL"),
        ({"ping_url": "http://"}, "must be an http:// or https:// URL"),
        ({"timeout_ms": 5}, "greater than or equal to 10"),
        ({"timeout_ms": 60_001}, "less than or equal to 60000"),
        ({"timeout_ms": "soon"}, "valid integer"),
        ({"price": {"static": -1}}, "greater than or equal to 0"),
        ({"bid_penalty": 101}, "less than or equal to 100"),
        ({"bid_penalty": "2.555"}, "decimal places"),
        ({"weight": 0}, "greater than or equal to 1"),
        ({"priority": -1}, "greater than or equal to 0"),
        ({"caps": {"leads": {"hour": 3}}}, "Extra inputs are not permitted"),
        ({"price": {"static": 1, "default": 2}}, "default goes with conditional"),
        ({"additional_data": {"logo": {"url": "x"}}}, "additional_data"),
    ],
)
def test_buyer_refused(overrides: dict[str, object], words: str) -> None:
    with pytest.raises(ValidationError, match=words):
        make_buyer(**overrides)


def test_direct_post_buyer_with_a_static_price() -> None:
    buyer = make_buyer(ping_url=None, price={"static": "20.00"})
    assert buyer.price is not None
    assert buyer.price.static == Decimal(20)


# --- campaigns ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "words"),
    [
        ({"exchange": {"mode": "split"}}, "Input should be 'exclusive' or 'shared'"),
        ({"distribution": {"method": "waterfall", "sell_limit": 2}}, "send_to_all only"),
        ({"dupe_check": {"fields": []}}, "at least 1 item"),
        ({"payload_dupe_s": -1}, "greater than or equal to 0"),
        ({"type": "auction"}, "Input should be"),
        ({"timezone": "Mars/Olympus"}, "unknown time zone"),
        ({"ping_timeout_ms": 10}, "greater than or equal to 50"),
        ({"ping_ttl_s": 0}, "greater than or equal to 1"),
        ({"one_to_one": {"max_bids": 0}}, "greater than or equal to 1"),
        ({"one_to_one": {"max_sales": 0}}, "greater than or equal to 1"),
        ({"one_to_one": {"min_bid": -5}}, "greater than or equal to 0"),
        ({"one_to_one": {"dedupe": True}}, "Extra inputs are not permitted"),
        ({"response_fields": {"x": {}}}, "exactly one of value or from_sold_bid"),
        ({"response_fields": {"x": {"value": "a", "from_sold_bid": "b"}}}, "exactly one"),
        ({"priority": 1}, "Extra inputs are not permitted"),
        ({"id": "1 0 1"}, "may hold only letters, digits"),
    ],
)
def test_campaign_refused(overrides: dict[str, object], words: str) -> None:
    with pytest.raises(ValidationError, match=words):
        make_campaign(**overrides)


def buyer_dict(buyer_id: str) -> dict[str, str]:
    return {
        "id": buyer_id,
        "tcpa_entity_name": f"{buyer_id} LLC",
        "ping_url": "http://127.0.0.1:9001/ping",
        "post_url": "http://127.0.0.1:9001/post",
    }


@pytest.mark.parametrize(
    ("overrides", "words"),
    [
        ({"buyers": [buyer_dict("sunco"), buyer_dict("sunco")]}, "duplicate buyer id"),
        (
            {"buyers": [buyer_dict("a"), buyer_dict("b"), buyer_dict("a"), buyer_dict("b")]},
            "duplicate buyer id\\(s\\): a, b",
        ),
        (
            {"suppliers": [{"id": "7", "key": SUPPLIER_KEY}, {"id": "7", "key": SUPPLIER_KEY}]},
            "duplicate supplier id",
        ),
        (
            {
                "fields": [
                    {"name": "zip_code", "type": "zip", "ping": "required"},
                    {"name": "zip_code", "type": "text", "post": "optional"},
                ]
            },
            "duplicate field id",
        ),
    ],
)
def test_duplicates_refused(overrides: dict[str, object], words: str) -> None:
    with pytest.raises(ValidationError, match=words):
        make_campaign(**overrides)


def test_duplicate_campaign_ids_refused() -> None:
    with pytest.raises(ValidationError, match="duplicate campaign id"):
        Workspace.model_validate({"campaigns": [campaign_dict(), campaign_dict()]})


def test_unknown_top_level_key_refused() -> None:
    with pytest.raises(ValidationError, match="Extra inputs are not permitted"):
        Workspace.model_validate({"campaigns": [], "buyers": []})


def test_one_to_one_shaping_rules_in_cents() -> None:
    rules = make_campaign(one_to_one={"min_bid": "5.25", "max_bids": 3}).one_to_one
    shaping = rules.shaping_rules()
    assert (shaping.min_bid, shaping.max_bids, shaping.dedupe_by_entity) == (525, 3, False)


def test_nul_characters_are_refused_with_their_place() -> None:
    data = {"campaigns": [campaign_dict(name="Solar\x00")]}
    with pytest.raises(ValidationError, match=r"NUL characters \(at campaigns\.0\.name\)"):
        Workspace.model_validate(data)
