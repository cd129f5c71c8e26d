"""PersonalData (infra/personal_data.py) with an in-memory keyring: what is encrypted, hashed
and blanked for a campaign's values."""

import pytest

from pickpost.domain.catalog import Catalog
from pickpost.domain.personal import PURGED
from pickpost.infra.crypto import Keyring, new_data_key
from pickpost.infra.personal_data import PersonalData
from tests.unit.factories import make_campaign, make_catalog

FIELDS: list[dict[str, object]] = [
    {"name": "zip_code", "type": "zip", "ping": "required", "post": "required"},
    {"name": "phone", "type": "phone", "post": "required"},
    {"name": "first_name", "type": "text", "post": "optional"},
]


class Keys:
    def __init__(self, current: Keyring) -> None:
        self.current = current
        self.refreshed = 0

    async def refresh(self) -> None:
        self.refreshed += 1


def encrypting(key_id: str = "v1") -> Keyring:
    return Keyring({key_id: new_data_key()}, {"h1": new_data_key()}, key_id, "h1")


def personal_data(keys: Keys, fields: list[dict[str, object]] = FIELDS) -> PersonalData:
    catalog: Catalog = make_catalog(make_campaign(id="101", fields=fields))
    return PersonalData(lambda: catalog, keys)


LEAD: dict[str, object] = {
    "zip_code": "78701",
    "phone": "5125550142",
    "first_name": "Dana",
    "sub_note": "undeclared",
    "lp_s1": "sub-1",
    "empty": None,
}


async def test_only_personal_values_are_encrypted_and_they_open_again() -> None:
    data = personal_data(Keys(encrypting()))
    sealed = data.seal("101", LEAD)
    assert {k for k, v in sealed.items() if v != LEAD[k]} == {"phone", "first_name", "sub_note"}
    assert await data.open(sealed) == LEAD
    # A campaign this node does not know: everything but lp_* keys is personal.
    unknown = data.seal("999", LEAD)
    assert {k for k, v in unknown.items() if v != LEAD[k]} == {
        "zip_code", "phone", "first_name", "sub_note",
    }  # fmt: skip


def test_without_a_master_key_values_are_stored_as_given() -> None:
    data = personal_data(Keys(Keyring()))
    assert data.seal("101", LEAD) is LEAD


async def test_a_value_under_an_unknown_data_key_rereads_the_keys() -> None:
    other = encrypting("v2")  # made by another node after this one read the keys
    token = other.seal("phone", "5125550142")
    keys = Keys(encrypting())
    await personal_data(keys).open({"phone": token})
    assert keys.refreshed == 1
    await personal_data(keys).open({"phone": "5125550142"})
    assert keys.refreshed == 1


@pytest.mark.parametrize("keyring", [Keyring(), encrypting()])
def test_lookup_rows_are_the_hashes_a_search_finds(keyring: Keyring) -> None:
    data = personal_data(Keys(keyring))
    rows = data.lookups("101", {**LEAD, "phone": "5125550142"})
    assert [row["field_name"] for row in rows] == ["phone", "first_name"]  # declared only
    phone = rows[0]["hash"]
    assert phone in data.search_hashes("phone", "(512) 555-0142")
    assert phone not in data.search_hashes("phone", "(512) 555-0143")
    assert rows[1]["hash"] in data.search_hashes("first_name", "  DANA ")


async def test_blanking_keeps_keys_and_impersonal_values_and_drops_every_ciphertext() -> None:
    keys = Keys(encrypting())
    sealed = personal_data(keys).seal("101", LEAD)
    # The workspace changed since: first_name is declared not personal now. Its stored
    # ciphertext is blanked all the same: a purge leaves nothing a leaked key could open.
    relaxed: list[dict[str, object]] = [*FIELDS[:2], {**FIELDS[2], "personal": False}]
    blanked = personal_data(keys, relaxed).blank("101", sealed)
    assert blanked == {
        "zip_code": "78701",
        "phone": PURGED,
        "first_name": PURGED,
        "sub_note": PURGED,
        "lp_s1": "sub-1",
        "empty": None,
    }
    assert personal_data(keys, relaxed).blank("101", LEAD)["first_name"] == "Dana"
