"""Intake: reserved fields, authentication, test mode and what is kept as lead data."""

import pytest

from pickpost.domain.errors import Code, Refusal
from pickpost.domain.fields import FieldError
from pickpost.domain.ids import new_id
from pickpost.services.intake import (
    MAX_SUBID_LENGTH,
    Admitted,
    admit,
    lead_fields,
    reserved_errors,
)
from tests.unit.factories import (
    SUPPLIER_KEY,
    auth,
    make_campaign,
    make_catalog,
    supplier_request,
)

CATALOG = make_catalog(
    make_campaign(
        id="101",
        suppliers=[
            {"id": "7", "key": SUPPLIER_KEY, "mode": "live"},
            {"id": "8", "key": "k8tester-key", "mode": "test"},
        ],
    )
)


def admitted(data: dict[str, object]) -> Admitted:
    result = admit(CATALOG, supplier_request(data))
    assert isinstance(result, Admitted), result
    return result


def refused(data: dict[str, object]) -> Refusal:
    result = admit(CATALOG, supplier_request(data))
    assert isinstance(result, Refusal), result
    return result


def test_admits_a_live_request() -> None:
    result = admitted({**auth(), "zip_code": "78701"})
    assert result.campaign.id == "101"
    assert result.supplier.id == "7"
    assert result.test is False


def test_ids_sent_as_numbers_are_read_as_text() -> None:
    result = admitted(auth(campaign_id=101, supplier_id=7))
    assert (result.campaign.id, result.supplier.id) == ("101", "7")


def test_ids_with_surrounding_spaces_are_trimmed() -> None:
    assert admitted(auth(campaign_id=" 101 ", supplier_id="7 ")).campaign.id == "101"


@pytest.mark.parametrize(
    ("data", "missing"),
    [
        ({}, ["lp_campaign_id", "lp_supplier_id", "lp_key"]),
        ({"lp_supplier_id": "7", "lp_key": SUPPLIER_KEY}, ["lp_campaign_id"]),
        ({"lp_campaign_id": "101", "lp_key": SUPPLIER_KEY}, ["lp_supplier_id"]),
        ({"lp_campaign_id": "101", "lp_supplier_id": "7"}, ["lp_key"]),
        ({"lp_campaign_id": "101"}, ["lp_supplier_id", "lp_key"]),
        (auth(key=""), ["lp_key"]),
        (auth(key="   "), ["lp_key"]),
        (auth(campaign_id=None), ["lp_campaign_id"]),
    ],
)
def test_missing_auth_fields_are_named(data: dict[str, object], missing: list[str]) -> None:
    refusal = refused(data)
    assert refusal.code is Code.MISSING_PARAMETER
    assert refusal.code.http_status == 400
    for name in missing:
        assert name in refusal.message
    assert refusal.errors == tuple(FieldError(name, "is required") for name in missing)


@pytest.mark.parametrize(
    ("data", "names"),
    [
        (auth(supplier_id=["7"]), ["lp_supplier_id"]),
        (auth(campaign_id={"id": "101"}), ["lp_campaign_id"]),
        ({**auth(), "lp_ping_id": ["p_1"], "lp_action": {"a": 1}}, ["lp_ping_id", "lp_action"]),
    ],
)
def test_reserved_values_of_the_wrong_shape_are_malformed(
    data: dict[str, object], names: list[str]
) -> None:
    refusal = refused(data)
    assert refusal.code is Code.MALFORMED
    assert refusal.errors == tuple(FieldError(name, "must be a single value") for name in names)


def test_missing_parameters_come_before_authentication() -> None:
    refusal = refused({"lp_campaign_id": "999", "lp_supplier_id": "42"})
    assert refusal.code is Code.MISSING_PARAMETER


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (auth(key="wrong-key"), Code.UNAUTHORIZED),
        (auth(campaign_id="999"), Code.UNAUTHORIZED),
        (auth(supplier_id="42"), Code.UNAUTHORIZED),
        (auth(supplier_id="7", key="k8tester-key"), Code.UNAUTHORIZED),
    ],
)
def test_authentication_refusals_pass_through(data: dict[str, object], code: Code) -> None:
    assert refused(data).code is code


def test_authentication_comes_before_reserved_field_checks() -> None:
    refusal = refused({**auth(key="wrong-key"), "lp_action": "bogus"})
    assert refusal.code is Code.UNAUTHORIZED


@pytest.mark.parametrize("action", ["live", "TEST", "tests", "production", "1", 1])
def test_lp_action_other_than_test_is_refused(action: object) -> None:
    refusal = refused({**auth(), "lp_action": action})
    assert refusal.code is Code.VALIDATION
    assert refusal.code.http_status == 400
    assert "lp_action" in refusal.message
    assert [e.field for e in refusal.errors] == ["lp_action"]


@pytest.mark.parametrize(
    ("data", "test"),
    [
        (auth(), False),
        ({**auth(), "lp_action": "test"}, True),
        ({**auth(), "lp_action": " test "}, True),
        ({**auth(), "lp_action": ""}, False),
        ({**auth(), "lp_action": None}, False),
        (auth(supplier_id="8", key="k8tester-key"), True),  # supplier in test mode
        ({**auth(supplier_id="8", key="k8tester-key"), "lp_action": "test"}, True),
    ],
)
def test_test_flag(data: dict[str, object], test: bool) -> None:
    assert admitted(data).test is test


@pytest.mark.parametrize("index", range(1, 7))
def test_subid_length_limit(index: int) -> None:
    name = f"lp_subid{index}"
    assert admitted({**auth(), name: "x" * MAX_SUBID_LENGTH})
    refusal = refused({**auth(), name: "x" * (MAX_SUBID_LENGTH + 1)})
    assert refusal.code is Code.VALIDATION
    assert name in refusal.message
    assert [e.field for e in refusal.errors] == [name]


def test_subid_limit_is_75() -> None:
    assert MAX_SUBID_LENGTH == 75


@pytest.mark.parametrize("value", [12345, 1.5, True, "é" * 75])
def test_subid_scalars_within_the_limit_pass(value: object) -> None:
    assert admitted({**auth(), "lp_subid1": value})


@pytest.mark.parametrize("value", [["a"], {"a": 1}])
def test_subid_must_be_a_single_value(value: object) -> None:
    refusal = refused({**auth(), "lp_subid2": value})
    assert refusal.code is Code.MALFORMED
    assert refusal.errors == (FieldError("lp_subid2", "must be a single value"),)


def test_every_reserved_field_problem_is_listed() -> None:
    data = {
        **auth(),
        "lp_action": "live",
        "lp_subid1": "x" * 76,
        "lp_subid6": "y" * 100,
        "lp_subid3": "ok",
    }
    refusal = refused(data)
    assert [e.field for e in refusal.errors] == ["lp_action", "lp_subid1", "lp_subid6"]
    assert refusal.message == "field validation failed: lp_action, lp_subid1, lp_subid6"


def test_lp_subid7_is_not_reserved() -> None:
    assert reserved_errors({"lp_subid7": "x" * 200}) == ()


def test_lead_fields_drop_credentials_and_protocol_fields() -> None:
    data: dict[str, object] = {
        **auth(),
        "lp_ping_id": "p_1",
        "lp_consent_bids": ["b_1"],
        "lp_bid_ids": "b_2",
        "lp_action": "test",
        "lp_subid1": "s1",
        "zip_code": " 78701 ",
        "favourite_colour": "blue",
        "utm_source": "fb",
    }
    kept = lead_fields(data, {"zip_code": "78701"})
    assert kept == {
        "lp_action": "test",
        "lp_subid1": "s1",
        "zip_code": "78701",
        "favourite_colour": "blue",
        "utm_source": "fb",
    }
    assert "lp_key" not in kept
    assert "lp_ping_id" not in kept
    assert "lp_consent_bids" not in kept


def test_lead_fields_normalised_values_win_and_input_is_untouched() -> None:
    data: dict[str, object] = {"phone": "(512) 555-0100", "lp_key": SUPPLIER_KEY}
    kept = lead_fields(data, {"phone": "5125550100", "state": "TX"})
    assert kept == {"phone": "5125550100", "state": "TX"}
    assert data == {"phone": "(512) 555-0100", "lp_key": SUPPLIER_KEY}


def test_loggable_request_hides_the_key_only() -> None:
    request = supplier_request({**auth(), "zip_code": "78701"})
    assert request.loggable() == {
        "lp_campaign_id": "101",
        "lp_supplier_id": "7",
        "zip_code": "78701",
    }


def test_new_ids_are_prefixed_and_unguessable() -> None:
    ids = {new_id("b") for _ in range(200)}
    assert len(ids) == 200
    for value in ids:
        prefix, _, token = value.partition("_")
        assert prefix == "b"
        assert len(token) >= 21  # 128 random bits in url-safe base64


@pytest.mark.parametrize("key", [SUPPLIER_KEY + " ", " " + SUPPLIER_KEY, SUPPLIER_KEY + "\n"])
def test_the_key_is_compared_exactly(key: str) -> None:
    """Ids are trimmed (suppliers pad them), a secret is not: a key with a space added is
    another key."""
    assert refused({**auth(), "lp_key": key}).code is Code.UNAUTHORIZED
    assert admitted({**auth(), "lp_campaign_id": " 101 ", "lp_supplier_id": "7 "})
