"""Catalog.authenticate (docs/supplier-api.md: codes 1002 and 1003) and what a Campaign derives
once."""

import hashlib
import hmac
from decimal import Decimal

import pytest

from pickpost.domain.catalog import Campaign, Catalog
from pickpost.domain.errors import Code, Refusal
from pickpost.domain.margin import NO_MARGIN, Margin
from pickpost.domain.shaping import ShapingRules
from pickpost.domain.workspace import CampaignConfig, Workspace
from pickpost.infra.sql.workspace import stored_doc
from tests.unit.factories import (
    OTHER_KEY,
    SUPPLIER_KEY,
    campaign_dict,
    make_campaign,
    make_catalog,
)

PAUSED_SUPPLIER_KEY = "k5paused-secret"


def supplier(id: str, key: str, **extra: object) -> dict[str, object]:
    return {"id": id, "key": key, **extra}


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    """101: supplier 7 · 102: supplier 8 only · 103: paused, with 7 · 104: 7 plus paused 5."""
    return make_catalog(
        make_campaign(id="101", suppliers=[supplier("7", SUPPLIER_KEY)]),
        make_campaign(id="102", suppliers=[supplier("8", OTHER_KEY)]),
        make_campaign(id="103", paused=True, suppliers=[supplier("7", SUPPLIER_KEY)]),
        make_campaign(
            id="104",
            suppliers=[
                supplier("7", SUPPLIER_KEY),
                supplier("5", PAUSED_SUPPLIER_KEY, paused=True),
            ],
        ),
    )


def test_authenticates(catalog: Catalog) -> None:
    found = catalog.authenticate("101", "7", SUPPLIER_KEY)
    assert not isinstance(found, Refusal)
    campaign, supplier_config = found
    assert campaign.id == "101"
    assert supplier_config.id == "7"
    assert supplier_config.mode == "live"


# (campaign, supplier, key, expected code)
REFUSALS = [
    ("101", "7", "wrong-key", Code.UNAUTHORIZED),
    ("101", "7", SUPPLIER_KEY.upper(), Code.UNAUTHORIZED),
    ("101", "7", SUPPLIER_KEY + " ", Code.UNAUTHORIZED),
    ("101", "7", "", Code.UNAUTHORIZED),
    ("101", "7", OTHER_KEY, Code.UNAUTHORIZED),  # another supplier's key
    ("999", "7", SUPPLIER_KEY, Code.UNAUTHORIZED),  # unknown campaign
    ("", "7", SUPPLIER_KEY, Code.UNAUTHORIZED),
    ("101", "42", SUPPLIER_KEY, Code.UNAUTHORIZED),  # unknown supplier
    ("101", "42", "", Code.UNAUTHORIZED),
    ("999", "42", "whatever", Code.UNAUTHORIZED),
    # Supplier 8 exists (in 102) but is not attached to 101: as if unknown, even with its key.
    ("101", "8", OTHER_KEY, Code.UNAUTHORIZED),
    ("101", "8", "wrong-key", Code.UNAUTHORIZED),
    ("101", "8", SUPPLIER_KEY, Code.UNAUTHORIZED),
    ("102", "7", SUPPLIER_KEY, Code.UNAUTHORIZED),
    # Paused campaign 103 and paused supplier 5 (in 104).
    ("103", "7", SUPPLIER_KEY, Code.FORBIDDEN),
    ("103", "7", "wrong-key", Code.UNAUTHORIZED),
    ("104", "5", PAUSED_SUPPLIER_KEY, Code.FORBIDDEN),
    ("104", "5", "wrong-key", Code.UNAUTHORIZED),
    ("101", "5", PAUSED_SUPPLIER_KEY, Code.UNAUTHORIZED),  # paused, but not attached to 101
]


@pytest.mark.parametrize(("campaign_id", "supplier_id", "key", "code"), REFUSALS)
def test_refusals(
    catalog: Catalog, campaign_id: str, supplier_id: str, key: str, code: Code
) -> None:
    found = catalog.authenticate(campaign_id, supplier_id, key)
    assert isinstance(found, Refusal)
    assert found.code is code
    if key:
        assert key not in found.message  # the secret is never echoed


def test_one_answer_for_every_unauthorized_case(catalog: Catalog) -> None:
    """Unknown campaign, unknown supplier, a supplier not on the campaign (even with its own
    key) and a wrong key cannot be told apart."""
    answers = [
        catalog.authenticate("999", "7", SUPPLIER_KEY),
        catalog.authenticate("101", "42", SUPPLIER_KEY),
        catalog.authenticate("101", "7", "wrong-key"),
        catalog.authenticate("101", "8", "wrong-key"),
        catalog.authenticate("101", "8", OTHER_KEY),
        catalog.authenticate("101", "7", SUPPLIER_KEY + " "),
    ]
    assert len({repr(found) for found in answers}) == 1
    assert isinstance(answers[0], Refusal)
    assert answers[0].code is Code.UNAUTHORIZED


def test_a_key_is_hashed_and_compared_for_unknown_campaigns_too(
    catalog: Catalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same work for every refusal: an unknown campaign is not answered before the key is
    hashed and compared, so the time taken does not tell which campaign ids exist."""
    compared: list[tuple[str, str]] = []
    real = hmac.compare_digest

    def compare(a: str, b: str) -> bool:
        compared.append((a, b))
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", compare)
    for campaign_id, supplier_id in (("999", "7"), ("101", "42"), ("101", "8"), ("101", "7")):
        catalog.authenticate(campaign_id, supplier_id, "wrong-key")
    assert len(compared) == 4
    assert {a for a, _ in compared} == {hashlib.sha256(b"wrong-key").hexdigest()}


@pytest.mark.parametrize(
    ("campaign_id", "supplier_id", "key", "words"),
    [
        ("103", "7", SUPPLIER_KEY, "campaign is paused"),
        ("104", "5", PAUSED_SUPPLIER_KEY, "supplier is paused"),
    ],
)
def test_forbidden_messages_say_why(
    catalog: Catalog, campaign_id: str, supplier_id: str, key: str, words: str
) -> None:
    found = catalog.authenticate(campaign_id, supplier_id, key)
    assert isinstance(found, Refusal)
    assert words in found.message


def test_codes_map_to_http_status() -> None:
    assert Code.UNAUTHORIZED.http_status == 401
    assert Code.FORBIDDEN.http_status == 403


def test_campaign_keeps_supplier_keys_hashed_only(catalog: Catalog) -> None:
    digest = hashlib.sha256(SUPPLIER_KEY.encode()).hexdigest()
    stored = catalog.campaigns["101"].suppliers["7"]
    assert stored.key is None
    assert stored.key_sha256 == digest
    assert catalog.supplier_keys["7"] == digest
    assert SUPPLIER_KEY not in repr(dict(catalog.supplier_keys))
    assert SUPPLIER_KEY not in repr(dict(catalog.campaigns["101"].suppliers))


def test_catalog_from_stored_documents_authenticates_alike() -> None:
    """What the database holds (hashed keys) serves exactly as the file it came from."""
    config = make_campaign()
    stored = Workspace.model_validate({"campaigns": [stored_doc(config)]})
    assert stored.campaigns[0].suppliers[0].key is None
    catalog = Catalog.from_workspace(stored)
    assert not isinstance(catalog.authenticate("101", "7", SUPPLIER_KEY), Refusal)
    found = catalog.authenticate("101", "7", "wrong-key")
    assert isinstance(found, Refusal)
    assert found.code is Code.UNAUTHORIZED


def test_key_given_as_hash_authenticates() -> None:
    digest = hashlib.sha256(b"s3cret-key-9").hexdigest()
    catalog = make_catalog(make_campaign(suppliers=[{"id": "9", "key_sha256": digest}]))
    assert not isinstance(catalog.authenticate("101", "9", "s3cret-key-9"), Refusal)
    found = catalog.authenticate("101", "9", digest)  # the hash itself is not the key
    assert isinstance(found, Refusal)
    assert found.code is Code.UNAUTHORIZED


def test_campaign_derives_margin_shaping_and_fields() -> None:
    campaign = Campaign.from_config(make_campaign())
    assert campaign.margin == Margin(percent=Decimal(10))
    assert campaign.shaping == ShapingRules(min_bid=500, max_bids=8, dedupe_by_entity=True)
    assert [f.name for f in campaign.fields] == ["zip_code", "state", "phone"]
    assert set(campaign.buyers) == {"sunco"}


def test_campaign_without_margin_keeps_the_full_price() -> None:
    data = campaign_dict()
    del data["margin"]
    campaign = Campaign.from_config(CampaignConfig.model_validate(data))
    assert campaign.margin == NO_MARGIN
    assert campaign.margin.apply(4500) == 4500


def test_amount_margin_is_in_cents() -> None:
    campaign = Campaign.from_config(make_campaign(margin={"amount": "2.50"}))
    assert campaign.margin == Margin(amount=250)


def test_an_archived_campaign_refuses_a_proven_supplier_only() -> None:
    """Archived (even while paused): code 1021 to a supplier that proved its key; anyone
    else gets the answer every unknown campaign gets."""
    paused = make_campaign(id="103", paused=True, suppliers=[supplier("7", SUPPLIER_KEY)])
    live = make_campaign(id="101", suppliers=[supplier("7", SUPPLIER_KEY)])
    catalog = Catalog.from_workspace(
        Workspace(campaigns=(paused, live)), archived=frozenset({"103", "999"})
    )
    assert catalog.campaigns["103"].archived
    assert not catalog.campaigns["101"].archived
    assert catalog.authenticate("103", "7", SUPPLIER_KEY) == Refusal(
        Code.ARCHIVED, "campaign is archived"
    )
    wrong = catalog.authenticate("103", "7", "wrong-key")
    assert isinstance(wrong, Refusal)
    assert wrong.code is Code.UNAUTHORIZED
    assert not isinstance(catalog.authenticate("101", "7", SUPPLIER_KEY), Refusal)
    assert (Code.ARCHIVED.value, Code.ARCHIVED.http_status) == (1021, 403)
