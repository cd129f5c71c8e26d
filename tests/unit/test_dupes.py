"""Duplicate checks: payload fingerprints and lead keys (normalised, absent fields, scopes)."""

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from pickpost.domain.dupes import DupeCheck, dupe_keys, payload_fingerprint
from pickpost.domain.fields import FieldType
from tests.unit.factories import NO_DB


def check(**data: Any) -> DupeCheck:
    return DupeCheck.model_validate({"fields": ["email", "phone"], **data})


TYPES = {"phone": FieldType.PHONE, "zip_code": FieldType.ZIP, "email": FieldType.EMAIL}
LEAD = {"email": "Joe@Example.com", "phone": "5125550100", "zip_code": "78701"}


# --- payload fingerprint ---

BODY = {"lp_campaign_id": "101", "lp_supplier_id": "7", "lp_key": "k", "email": "a@x.io", "n": 5}


def test_fingerprint_is_a_sha256_hex() -> None:
    fingerprint = payload_fingerprint("101", "7", BODY)
    assert len(fingerprint) == 64
    assert int(fingerprint, 16) >= 0


def test_fingerprint_ignores_key_order_and_lp_key() -> None:
    reordered = dict(reversed(list(BODY.items())))
    assert payload_fingerprint("101", "7", reordered) == payload_fingerprint("101", "7", BODY)
    other_key = {**BODY, "lp_key": "another"}
    assert payload_fingerprint("101", "7", other_key) == payload_fingerprint("101", "7", BODY)
    without = {k: v for k, v in BODY.items() if k != "lp_key"}
    assert payload_fingerprint("101", "7", without) == payload_fingerprint("101", "7", BODY)


@pytest.mark.parametrize(
    ("campaign", "supplier", "body"),
    [
        ("102", "7", BODY),
        ("101", "8", BODY),
        ("101", "7", {**BODY, "email": "b@x.io"}),
        ("101", "7", {**BODY, "n": "5"}),  # the value exactly as sent
        ("101", "7", {**BODY, "lp_subid1": "a"}),
    ],
)
def test_fingerprint_changes_with_campaign_supplier_and_values(
    campaign: str, supplier: str, body: dict[str, object]
) -> None:
    assert payload_fingerprint(campaign, supplier, body) != payload_fingerprint("101", "7", BODY)


def test_nested_key_order_does_not_matter() -> None:
    a = {"x": {"b": 1, "a": [1, {"d": 2, "c": 3}]}}
    b = {"x": {"a": [1, {"c": 3, "d": 2}], "b": 1}}
    assert payload_fingerprint("1", "2", a) == payload_fingerprint("1", "2", b)


# --- lead keys ---


def test_match_all_gives_one_key_from_every_field() -> None:
    [key] = dupe_keys(check(), "101", LEAD, field_types=TYPES)
    assert key.startswith("dupe:101:all:")
    assert "joe" not in key.casefold()  # values are hashed, never stored
    changed = dupe_keys(check(), "101", {**LEAD, "phone": "5125550101"}, field_types=TYPES)
    assert changed != [key]


def test_match_any_gives_one_key_per_field() -> None:
    keys = dupe_keys(check(match="any"), "101", LEAD, field_types=TYPES)
    assert [k.rsplit(":", 1)[0] for k in keys] == ["dupe:101:any:email", "dupe:101:any:phone"]
    other_phone = dupe_keys(check(match="any"), "101", {**LEAD, "phone": "5125550101"})
    assert other_phone[0] == keys[0]
    assert other_phone[1] != keys[1]


@pytest.mark.parametrize("absent", [None, "", "  ", ["a"], {"a": 1}])
def test_an_absent_field_gives_no_key(absent: object) -> None:
    lead = {**LEAD, "phone": absent}
    assert dupe_keys(check(), "101", lead) == []  # all: no key at all
    [key] = dupe_keys(check(match="any"), "101", lead)
    assert key.startswith("dupe:101:any:email:")
    assert dupe_keys(check(match="any"), "101", {}) == []


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ({"email": "Joe@Example.com "}, {"email": "joe@example.com"}),
        ({"email": "STRASSE@x.io"}, {"email": "straße@x.io"}),  # casefold, not lower
        ({"phone": "(512) 555-0100"}, {"phone": "5125550100"}),
        ({"phone": 5125550100}, {"phone": "512.555.0100"}),
        ({"zip_code": "78701-"}, {"zip_code": "78701"}),
        ({"ok": True}, {"ok": "TRUE"}),
    ],
)
def test_values_are_normalised(a: dict[str, object], b: dict[str, object]) -> None:
    fields = list(a)
    config = DupeCheck.model_validate({"fields": fields})
    assert dupe_keys(config, "1", a, field_types=TYPES) == dupe_keys(
        config, "1", b, field_types=TYPES
    )


def test_digits_only_applies_to_phone_and_zip_fields_only() -> None:
    config = DupeCheck.model_validate({"fields": ["ref"]})
    untyped = dupe_keys(config, "1", {"ref": "12-34"})
    assert untyped != dupe_keys(config, "1", {"ref": "1234"})
    typed = {"ref": FieldType.PHONE}
    assert dupe_keys(config, "1", {"ref": "12-34"}, field_types=typed) == dupe_keys(
        config, "1", {"ref": "1234"}, field_types=typed
    )


def test_field_order_in_the_config_does_not_change_keys() -> None:
    swapped = DupeCheck.model_validate({"fields": ["phone", "email"]})
    assert dupe_keys(swapped, "101", LEAD) == dupe_keys(check(), "101", LEAD)


def test_keys_are_per_campaign() -> None:
    assert dupe_keys(check(), "101", LEAD) != dupe_keys(check(), "102", LEAD)


def test_buyer_scope_keys_name_the_buyer() -> None:
    config = check(scope="buyer", match="any")
    sunco = dupe_keys(config, "101", LEAD, buyer_id="sunco")
    assert all(k.startswith("dupe:101:buyer:sunco:any:") for k in sunco)
    assert set(sunco).isdisjoint(dupe_keys(config, "101", LEAD, buyer_id="bright"))
    with pytest.raises(ValueError, match="needs the buyer id"):
        dupe_keys(config, "101", LEAD)


def test_campaign_scope_ignores_the_buyer() -> None:
    assert dupe_keys(check(), "101", LEAD, buyer_id="sunco") == dupe_keys(check(), "101", LEAD)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"fields": []}, "at least 1 item"),
        ({"fields": ["email", "email"]}, "fields repeat"),
        ({"fields": ["email"], "days": 0}, "greater than or equal to 1"),
        ({"fields": ["email"], "match": "some"}, "'all' or 'any'"),
        ({"fields": ["email"], "scope": "supplier"}, "'campaign' or 'buyer'"),
        ({"fields": ["email"], "window": 3}, "Extra inputs"),
    ],
)
def test_invalid_checks_are_refused(data: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        DupeCheck.model_validate(data)


scalars = st.one_of(st.text(max_size=8), st.integers(), st.booleans(), st.none())


@NO_DB
@given(
    data=st.dictionaries(st.text(max_size=5), scalars | st.lists(scalars, max_size=3), max_size=6)
)
def test_fingerprint_depends_only_on_content(data: dict[str, object]) -> None:
    shuffled = dict(sorted(data.items(), reverse=True))
    assert payload_fingerprint("c", "s", shuffled) == payload_fingerprint("c", "s", data)
