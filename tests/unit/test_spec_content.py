"""The spec builder: what a supplier is told about each campaign, and what it is never told."""

import json
from dataclasses import asdict
from typing import Any

import pytest

from pickpost.api.spec_content import CampaignSpec, StepDoc, campaign_spec, describe_filter
from pickpost.domain.catalog import Campaign
from pickpost.domain.fields import Step, validate_lead
from pickpost.domain.filters import FilterRule, failed_fields
from pickpost.domain.workspace import hash_key
from tests.unit.factories import SUPPLIER_KEY, make_buyer, make_campaign, make_catalog

BASE = "https://leads.example.com/"

# One field of every type, sent at different steps.
FIELDS: list[dict[str, Any]] = [
    {"name": "zip_code", "type": "zip", "ping": "required", "post": "required"},
    {"name": "state", "type": "state", "ping": "required", "post": "required"},
    {"name": "home_owner", "type": "enum", "values": ["yes", "no"], "ping": "optional",
     "post": "optional"},
    {"name": "roof_age", "type": "number", "ping": "optional", "post": "optional"},
    {"name": "roof_shade", "type": "text", "ping": "optional"},
    {"name": "first_name", "type": "text", "post": "required"},
    {"name": "phone", "type": "phone", "post": "required"},
    {"name": "email", "type": "email", "post": "optional"},
    {"name": "birth_date", "type": "date", "post": "optional"},
    {"name": "consented_at", "type": "datetime", "post": "optional"},
    {"name": "ip_address", "type": "ip", "post": "optional"},
    {"name": "landing_page_url", "type": "url", "post": "optional"},
    {"name": "military", "type": "bool", "ping": "optional", "post": "optional"},
]  # fmt: skip

FILTERS = [
    {"field": "state", "allow": ["CA", "TX"]},
    {"field": "zip_code", "allow_prefix": ["9"]},
    {"field": "roof_age", "min": 30, "max": 40},
]
SUPPLIER_FILTERS = [
    {"field": "home_owner", "block": ["yes"]},
    {"field": "birth_date", "after": "1990-01-01"},
]

BUYERS = [
    make_buyer(id="sunco", name="SunCo Internal", margin={"amount": 3.77}, bid_penalty=11),
    make_buyer(
        id="brightside",
        name="Brightside Energy",
        tcpa_entity_name="Brightside Energy Inc.",
        additional_data={"display_name": "Brightside"},
        ping_url=None,
        price={"static": 37.25},
    ),
]

TYPES: dict[str, dict[str, Any]] = {
    "one_to_one": {"type": "one_to_one"},
    "exclusive": {"type": "exchange", "exchange": {"mode": "exclusive", "fallback": True}},
    "shared": {"type": "exchange", "exchange": {"mode": "shared", "max_sales": 2}},
    "direct_post": {"type": "direct_post", "distribution": {"method": "highest_bidder"}},
}


def build(
    kind: str = "one_to_one", supplier: dict[str, Any] | None = None, **extra: Any
) -> tuple[CampaignSpec, Campaign]:
    """The spec of a campaign of ``kind`` for supplier 7, and the catalog's campaign."""
    supplier_data = {"id": "7", "name": "Acme Media", "key": SUPPLIER_KEY, **(supplier or {})}
    config = make_campaign(
        **{
            "fields": FIELDS,
            "filters": FILTERS,
            "margin": {"percent": 13.5},
            "suppliers": [supplier_data | {"filters": SUPPLIER_FILTERS}],
            "buyers": [b.model_dump(exclude_none=True) for b in BUYERS],
        }
        | TYPES[kind]
        | extra
    )
    campaign = make_catalog(config).campaigns[config.id]
    return campaign_spec(campaign, campaign.suppliers["7"], BASE), campaign


def step(spec: CampaignSpec, name: str) -> StepDoc:
    return next(s for s in spec.steps if s.name == name)


def codes(doc: StepDoc) -> list[int]:
    return [int(str(r.body["code"])) for r in doc.responses]


def test_fields_are_described_with_their_format_and_requirement_per_step() -> None:
    spec, _ = build()
    by_name = {f.name: f for f in spec.fields}
    assert [f.name for f in spec.fields] == [f["name"] for f in FIELDS]
    assert (by_name["zip_code"].ping, by_name["zip_code"].post) == ("required", "required")
    assert (by_name["roof_shade"].ping, by_name["roof_shade"].post) == ("optional", "not sent")
    assert (by_name["phone"].ping, by_name["phone"].post) == ("not sent", "required")
    assert "10 digits" in by_name["phone"].format
    assert "5 digits" in by_name["zip_code"].format
    assert "USPS" in by_name["state"].format
    assert "YYYY-MM-DD" in by_name["birth_date"].format
    assert by_name["home_owner"].format == "one of: yes, no"


@pytest.mark.parametrize("kind", TYPES)
def test_example_requests_pass_the_campaigns_own_validation_and_filters(kind: str) -> None:
    spec, campaign = build(kind)
    rules = [*campaign.config.filters, *campaign.suppliers["7"].filters]
    for doc in spec.steps:
        lead_step = Step.PING if doc.name == "ping" else Step.POST
        body = doc.example_request
        validated = validate_lead(campaign.fields, body, lead_step)
        assert validated.errors == ()
        declared = {f.name for f in campaign.fields if f.requirement(lead_step) is not None}
        assert {k for k in body if not k.startswith("lp_")} == declared
        # As the gate does: at the PING, rules on fields not sent yet wait for the POST.
        checked = [r for r in rules if lead_step is Step.POST or r.field in body]
        assert failed_fields(checked, body) == []
        assert json.loads(doc.curl.split("-d ", 1)[1].strip("'")) == body


@pytest.mark.parametrize(
    ("kind", "calls"),
    [
        ("one_to_one", ["ping", "post"]),
        ("exclusive", ["ping", "post"]),
        ("shared", ["ping", "post"]),
        ("direct_post", ["direct_post"]),
    ],
)
def test_each_type_names_its_calls_under_the_base_url(kind: str, calls: list[str]) -> None:
    spec, _ = build(kind)
    assert [s.name for s in spec.steps] == calls
    assert [s.url for s in spec.steps] == [f"https://leads.example.com/{c}" for c in calls]
    assert all(s.curl.startswith(f"curl -s {s.url} ") for s in spec.steps)
    assert spec.ping_ttl_s == (None if kind == "direct_post" else 900)


@pytest.mark.parametrize(
    ("kind", "pick"),
    [("one_to_one", "lp_consent_bids"), ("shared", "lp_bid_ids"), ("exclusive", None)],
)
def test_the_post_names_the_reserved_fields_of_its_type(kind: str, pick: str | None) -> None:
    spec, _ = build(kind)
    post = step(spec, "post")
    reserved = [r.name for r in post.reserved]
    assert reserved[:4] == ["lp_campaign_id", "lp_supplier_id", "lp_key", "lp_ping_id"]
    assert "lp_action" in reserved
    picks = {"lp_consent_bids", "lp_bid_ids"}
    assert picks & set(reserved) == ({pick} if pick else set())
    assert picks & set(post.example_request) == ({pick} if pick else set())
    assert post.example_request["lp_ping_id"] == step(spec, "ping").responses[0].body["ping_id"]
    assert "lp_ping_id" not in [r.name for r in step(spec, "ping").reserved]


def test_example_answers_have_the_shape_of_the_campaign_type() -> None:
    one_to_one, _ = build("one_to_one")
    offer = step(one_to_one, "ping").responses[0].body
    assert (offer["status"], offer["code"]) == ("ACCEPTED", 0)
    assert {"ping_id", "expires_at", "bids", "meta"} <= offer.keys()
    sale = step(one_to_one, "post").responses[0].body
    assert {"lead_id", "payout", "sold_bids", "rejected_bids"} <= sale.keys()
    assert "consented_bids" in sale["meta"]  # type: ignore[operator]

    exclusive, _ = build("exclusive")
    quote = step(exclusive, "ping").responses[0].body
    assert "payout" in quote
    assert "bids" not in quote
    assert "sold_bids" not in step(exclusive, "post").responses[0].body

    shared, _ = build("shared", exchange={"mode": "shared", "max_bids": 1})
    assert len(step(shared, "ping").responses[0].body["bids"]) == 1  # type: ignore[arg-type]
    assert "chosen_bids" in step(shared, "post").responses[0].body["meta"]  # type: ignore[operator]

    direct, _ = build("direct_post")
    assert {"lead_id", "payout", "meta"} <= step(direct, "direct_post").responses[0].body.keys()


def test_error_answers_cover_the_main_codes_with_their_http_status() -> None:
    caps = {"caps": {"leads": {"day": 100}, "pings": {"minute": 60}}}
    spec, _ = build(supplier=caps, dupe_check={"fields": ["phone"], "days": 30})
    assert codes(step(spec, "ping")) == [0, 1004, 1005, 1006, 2001]
    assert codes(step(spec, "post")) == [0, 1004, 1005, 1006, 1011, 1013, 1008, 2002]
    statuses = {int(str(r.body["code"])): r.http_status for r in step(spec, "post").responses}
    assert statuses == {0: 200, 1004: 400, 1005: 200, 1006: 429, 1011: 410, 1013: 400,
                        1008: 200, 2002: 200}  # fmt: skip
    capped = next(r for r in step(spec, "ping").responses if r.body["code"] == 1006)
    assert capped.body["message"] == "supplier cap reached: pings per minute"
    assert "Retry-After" in capped.headers
    duplicate = next(r for r in step(spec, "post").responses if r.body["code"] == 1008)
    assert duplicate.body["status"] == "DUPLICATED"


def test_codes_that_cannot_happen_are_left_out() -> None:
    spec, _ = build("direct_post", filters=[], payload_dupe_s=0)
    spec_codes = codes(step(spec, "direct_post"))
    # The supplier filters remain; no caps, no duplicate check.
    assert spec_codes == [0, 1004, 1005, 2001, 2002]
    with_dupes, _ = build("direct_post")
    assert codes(step(with_dupes, "direct_post")).count(1008) == 1


def test_filters_and_caps_in_words() -> None:
    caps = {"leads": {"day": 100}, "budget": {"month": 2500.5}, "pings": {"minute": 60}}
    spec, _ = build(supplier={"caps": caps}, timezone="America/Chicago")
    assert spec.timezone == "America/Chicago"
    assert spec.filters[0] == "state must be one of CA, TX; leads without state are not accepted"
    assert spec.filters[3] == "home_owner must not be any of yes"
    assert spec.caps == (
        "at most 100 leads per day",
        "at most $2,500.50 of payouts per month",
        "at most 60 pings per minute",
    )


@pytest.mark.parametrize(
    ("rule", "words"),
    [
        ({"block_prefix": ["100", "101"]}, "x must not start with any of 100, 101"),
        ({"regex": "^a"}, "x must match the regular expression ^a; leads without x are not "
                          "accepted"),
        ({"block_regex": "@spam"}, "x must not match the regular expression @spam"),
        ({"min": 600}, "x must be a number at least 600; leads without x are not accepted"),
        ({"min": 1, "max": 2}, "x must be a number at least 1 and at most 2; leads without x "
                               "are not accepted"),
        ({"before": "2000-01-01"}, "x must be a date before 2000-01-01; leads without x are "
                                   "not accepted"),
    ],
)  # fmt: skip
def test_every_filter_kind_reads_as_a_sentence(rule: dict[str, Any], words: str) -> None:
    assert describe_filter(FilterRule.model_validate({"field": "x", **rule})) == words


def test_status_and_test_mode() -> None:
    assert build()[0].status == "active"
    assert build(paused=True)[0].status == "paused"
    assert build(supplier={"paused": True})[0].status == "paused"
    assert build(supplier={"mode": "test"})[0].test_mode


@pytest.mark.parametrize("kind", TYPES)
def test_no_buyer_economics_and_no_key_leak(kind: str) -> None:
    spec, campaign = build(kind, response_fields={"redirect_url": {"from_sold_bid": "url"}})
    text = json.dumps(asdict(spec)).casefold()
    secrets = [SUPPLIER_KEY, hash_key(SUPPLIER_KEY), campaign.suppliers["7"].key_sha256]
    for buyer in BUYERS:
        secrets += [buyer.id, buyer.name, buyer.tcpa_entity_name, "brightside"]
    secrets += ["37.25", "3.77", "13.5", "9001"]  # a price, margins, a buyer's URL
    for secret in secrets:
        assert str(secret).casefold() not in text, secret
    assert all('"lp_key": "YOUR_KEY"' in s.curl for s in spec.steps)
