"""Envelope encryption of personal values and lookup hashes (infra/crypto.py): pure, no I/O."""

import base64
import os
from types import SimpleNamespace

import pytest

from pickpost.infra.crypto import (
    LOOKUP,
    VALUE,
    DataKeyError,
    Keyring,
    master_id,
    new_data_key,
    parse_master_key,
    token_parts,
    unwrap,
    wrap,
)
from pickpost.infra.sql.keys import Masters


def keyring(value_key: bytes | None = None, lookup_key: bytes | None = None) -> Keyring:
    return Keyring(
        value_keys={"v1": value_key or new_data_key()},
        lookup_keys={"h1": lookup_key or new_data_key()},
        current_value="v1",
        current_lookup="h1",
    )


@pytest.mark.parametrize("value", ["5125550142", "Dana Reyes", 42, 4.5, True, {"a": [1, "b"]}])
def test_a_sealed_value_opens_to_the_same_value_and_type(value: object) -> None:
    keys = keyring()
    token = keys.seal("phone", value)
    assert isinstance(token, str)
    assert token.startswith("pp1:v1:")
    if len(str(value)) >= 8:  # a shorter text ("42") turns up in random base64 now and then
        assert str(value) not in token
    assert keys.open("phone", token) == value


def test_the_same_value_seals_differently_each_time() -> None:
    keys = keyring()
    assert keys.seal("phone", "5125550142") != keys.seal("phone", "5125550142")


def test_what_cannot_be_opened_is_returned_as_stored() -> None:
    keys = keyring()
    token = keys.seal("phone", "5125550142")
    # Bound to its key name: a ciphertext copied under another name does not open.
    assert keys.open("email", token) == token
    key_id, payload = token_parts(token) or ("", "")
    tampered = f"pp1:{key_id}:{payload[:-4]}AAAA"
    assert keys.open("phone", tampered) == tampered
    assert keys.open("phone", "pp1:unknown:" + payload) == "pp1:unknown:" + payload
    assert keyring().open("phone", token) == token  # another deployment's data key
    for clear in ("5125550142", "[purged]", None, 7, "pp1:"):
        assert keys.open("phone", clear) == clear


def test_a_keyring_without_keys_does_not_encrypt() -> None:
    assert not Keyring().encrypts
    assert keyring().encrypts


def test_data_keys_unwrap_only_with_the_master_that_wrapped_them() -> None:
    master, other, key = os.urandom(32), os.urandom(32), new_data_key()
    wrapped = wrap(master, "k1", VALUE, key)
    assert unwrap(master, "k1", VALUE, wrapped) == key
    with pytest.raises(DataKeyError):
        unwrap(other, "k1", VALUE, wrapped)
    with pytest.raises(DataKeyError):  # the id and purpose are bound to the wrapped key
        unwrap(master, "k1", LOOKUP, wrapped)


def test_rotation_rewraps_the_same_data_key_so_old_values_stay_readable() -> None:
    old, new = os.urandom(32), os.urandom(32)
    data_key = new_data_key()
    token = keyring(value_key=data_key).seal("email", "dana@example.com")
    row = SimpleNamespace(id="v1", purpose=VALUE, wrapped=wrap(old, "v1", VALUE, data_key))
    row.master_id = master_id(old)
    # During a rotation both masters are configured: the row is read with the old one...
    rotating = Masters(current=new, previous=old)
    unwrapped = rotating.unwrap(row)
    # ...and re-wrapped under the new one, after which the old master is no longer needed.
    row.wrapped, row.master_id = wrap(new, "v1", VALUE, unwrapped), master_id(new)
    after = keyring(value_key=Masters(current=new).unwrap(row))
    assert after.open("email", token) == "dana@example.com"
    with pytest.raises(DataKeyError, match="not configured"):
        Masters(current=old).unwrap(row)


def test_lookup_hashes_are_keyed_and_named() -> None:
    lookup_key = new_data_key()
    keys = keyring(lookup_key=lookup_key)
    same = keyring(lookup_key=lookup_key)
    digest = keys.lookup_hash("phone", "5125550142")
    assert digest == same.lookup_hash("phone", "5125550142")
    assert len(digest) == 64
    assert digest != keyring().lookup_hash("phone", "5125550142")  # another key
    assert digest != keys.lookup_hash("zip", "5125550142")  # another field
    # A search tries the unkeyed hash too: rows written before encryption was turned on.
    assert set(keys.search_hashes("phone", "5125550142")) == {
        digest,
        Keyring().lookup_hash("phone", "5125550142"),
    }


def test_master_keys_are_32_bytes_of_base64_and_errors_do_not_repeat_them() -> None:
    key = os.urandom(32)
    assert parse_master_key(base64.b64encode(key).decode() + "\n") == key
    short = base64.b64encode(os.urandom(16)).decode()
    for bad in (short, "not base64 at all!", ""):
        with pytest.raises(DataKeyError) as raised:
            parse_master_key(bad)
        assert bad not in str(raised.value) or not bad
    assert master_id(key) != master_id(os.urandom(32))
    assert base64.b64encode(key).decode() not in master_id(key)
