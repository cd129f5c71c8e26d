"""Which lead values are personal (domain/personal.py), as each campaign's catalog entry has it
precomputed, and the normalised form they are looked up by."""

import pytest

from pickpost.domain.catalog import Campaign
from pickpost.domain.fields import FieldSpec, FieldType
from pickpost.domain.personal import PersonalFields, lookup_text
from tests.unit.factories import make_campaign


def field(name: str, type: str, **extra: object) -> dict[str, object]:
    return {"name": name, "type": type, "post": "optional", **extra}


@pytest.fixture(scope="module")
def campaign() -> Campaign:
    return Campaign.from_config(
        make_campaign(
            fields=[
                field("zip_code", "zip"),
                field("phone", "phone"),
                field("work_email", "email"),
                field("client_ip", "ip"),
                field("first_name", "text"),
                field("Address1", "text"),
                field("dob", "date"),
                field("tcpa_text", "text"),
                field("roof_age", "number"),
                # The flag wins over the defaults, either way.
                field("home_phone", "phone", personal=False),
                field("loan_purpose", "text", personal=True),
            ]
        )
    )


@pytest.mark.parametrize(
    "name",
    ["phone", "work_email", "client_ip", "first_name", "Address1", "dob", "loan_purpose"],
)
def test_declared_personal_fields_by_type_name_or_flag(campaign: Campaign, name: str) -> None:
    assert campaign.personal.is_personal(name)


@pytest.mark.parametrize("name", ["zip_code", "tcpa_text", "roof_age", "home_phone"])
def test_other_declared_fields_are_not_personal(campaign: Campaign, name: str) -> None:
    assert not campaign.personal.is_personal(name)


def test_undeclared_keys_are_personal_and_api_keys_are_not(campaign: Campaign) -> None:
    personal = campaign.personal
    # Unknown data: nothing says it is not personal.
    assert personal.is_personal("user_agent")
    assert personal.is_personal("notes")
    assert not personal.is_personal("lp_campaign_id")
    assert not personal.is_personal("lp_s1")
    values = {"zip_code": "78701", "phone": "5125550142", "lp_ping_id": "p_1", "extra": 1}
    assert personal.personal_keys(values) == ["phone", "extra"]


def test_the_catalog_indexes_declared_personal_fields_only(campaign: Campaign) -> None:
    indexed = [spec.name for spec in campaign.personal.indexed]
    assert indexed == [
        "phone", "work_email", "client_ip", "first_name", "Address1", "dob", "loan_purpose",
    ]  # fmt: skip


def test_a_campaign_without_fields_treats_everything_sent_as_personal() -> None:
    personal = PersonalFields.of([])
    assert personal.is_personal("zip_code")
    assert personal.indexed == ()


PHONE = FieldSpec("phone", FieldType.PHONE)
EMAIL = FieldSpec("email", FieldType.EMAIL)
NAME = FieldSpec("first_name", FieldType.TEXT)


@pytest.mark.parametrize(
    ("spec", "values"),
    [
        (PHONE, ["(512) 555-0142", "5125550142", "1-512-555-0142", 5125550142]),
        (EMAIL, ["Dana@Example.com", " dana@example.COM "]),
        (NAME, ["Dana", " dana ", "DANA"]),
    ],
)
def test_lookup_text_is_the_same_for_every_spelling(spec: FieldSpec, values: list[object]) -> None:
    assert len({lookup_text(spec, value) for value in values}) == 1


def test_lookup_text_of_a_value_its_type_refuses_is_the_trimmed_value() -> None:
    assert lookup_text(PHONE, " 555-01 ") == "555-01"
    assert lookup_text(PHONE, "5125550142") != lookup_text(PHONE, "5125550143")
