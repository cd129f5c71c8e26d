"""Envelope encryption of personal values, and the keyed hashes they are looked up by.

The master key (``PICKPOST_DATA_KEY``, 32 random bytes in base64) never encrypts a value: it
wraps data keys, which the database stores wrapped (table ``data_keys``). Rotating the master
key re-wraps those few rows; the values they encrypt stay as they are (docs/security.md).

Two kinds of data key:

- ``value`` keys encrypt values with AES-256-GCM. A value becomes the text
  ``pp1:<key id>:<base64url(nonce ‖ ciphertext)>``, its key name bound as associated data, so a
  ciphertext copied under another key name does not decrypt.
- the ``lookup`` key is the HMAC-SHA256 key of lookup hashes. It is a stored data key rather
  than derived from the master key so that rotating the master key keeps every hash valid.

Pure: no I/O. ``infra/sql/keys.py`` loads and stores the wrapped keys.
"""

import base64
import binascii
import hashlib
import hmac
import os
from collections.abc import Mapping
from dataclasses import dataclass, field

import orjson
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

TOKEN_PREFIX = "pp1:"
VALUE = "value"
LOOKUP = "lookup"
_NONCE = 12
# Lookups without a master key: values are stored in clear then, so the hash protects nothing
# and only has to be the same on every node.
_UNKEYED = b"pickpost lookup without a data key"


class DataKeyError(ValueError):
    """A key that cannot be used; the message never contains key material."""


def parse_master_key(text: str) -> bytes:
    """The 32 bytes of a base64 master key (``openssl rand -base64 32``)."""
    try:
        key = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise DataKeyError("the data key must be base64 (openssl rand -base64 32)") from None
    if len(key) != 32:
        raise DataKeyError(f"the data key must be 32 bytes, base64-encoded; it is {len(key)}")
    return key


def master_id(master: bytes) -> str:
    """A fingerprint naming a master key in ``data_keys.master_id`` without revealing it."""
    return hmac.new(master, b"pickpost master key id", hashlib.sha256).hexdigest()[:16]


def new_key_id() -> str:
    return os.urandom(8).hex()


def new_data_key() -> bytes:
    return AESGCM.generate_key(bit_length=256)


def wrap(master: bytes, key_id: str, purpose: str, key: bytes) -> str:
    nonce = os.urandom(_NONCE)
    sealed = AESGCM(master).encrypt(nonce, key, f"{key_id}:{purpose}".encode())
    return base64.b64encode(nonce + sealed).decode()


def unwrap(master: bytes, key_id: str, purpose: str, wrapped: str) -> bytes:
    """The data key, or DataKeyError if ``master`` did not wrap it."""
    raw = base64.b64decode(wrapped)
    try:
        return AESGCM(master).decrypt(raw[:_NONCE], raw[_NONCE:], f"{key_id}:{purpose}".encode())
    except InvalidTag:
        raise DataKeyError(f"data key {key_id} was wrapped by another master key") from None


@dataclass(frozen=True, slots=True)
class Keyring:
    """The unwrapped data keys of a deployment. Empty: values are kept in clear."""

    value_keys: Mapping[str, bytes] = field(default_factory=dict)
    lookup_keys: Mapping[str, bytes] = field(default_factory=dict)
    current_value: str | None = None  # encrypts new values
    current_lookup: str | None = None  # hashes new values

    @property
    def encrypts(self) -> bool:
        return self.current_value is not None

    def seal(self, name: str, value: object) -> str:
        """``value`` (any JSON value) encrypted under the current value key."""
        assert self.current_value is not None, "no data key: values are kept in clear"
        nonce = os.urandom(_NONCE)
        aead = AESGCM(self.value_keys[self.current_value])
        sealed = aead.encrypt(nonce, orjson.dumps(value), name.encode())
        encoded = base64.urlsafe_b64encode(nonce + sealed).decode()
        return f"{TOKEN_PREFIX}{self.current_value}:{encoded}"

    def open(self, name: str, value: object) -> object:
        """The value a token encrypts; anything else (clear values, purged markers, a token
        this keyring cannot read) as it is."""
        parts = token_parts(value)
        if parts is None:
            return value
        key_id, encoded = parts
        key = self.value_keys.get(key_id)
        if key is None:
            return value
        try:
            raw = base64.urlsafe_b64decode(encoded)
            return orjson.loads(AESGCM(key).decrypt(raw[:_NONCE], raw[_NONCE:], name.encode()))
        except (InvalidTag, ValueError):
            return value

    def lookup_hash(self, name: str, text: str) -> str:
        """The hash a normalised value is stored and searched by."""
        key = _UNKEYED if self.current_lookup is None else self.lookup_keys[self.current_lookup]
        return _hash(key, name, text)

    def search_hashes(self, name: str, text: str) -> list[str]:
        """Every hash ``text`` may be stored under: one per lookup key this deployment ever had,
        and the unkeyed one of rows written before encryption was turned on."""
        keys = [_UNKEYED, *self.lookup_keys.values()]
        return [_hash(key, name, text) for key in keys]


def _hash(key: bytes, name: str, text: str) -> str:
    # The field name is part of the message: the same digits as phone and as zip differ.
    return hmac.new(key, f"{name}\x00{text}".encode(), hashlib.sha256).hexdigest()


def token_parts(value: object) -> tuple[str, str] | None:
    """(key id, payload) of an encrypted value, None for anything else."""
    if not isinstance(value, str) or not value.startswith(TOKEN_PREFIX):
        return None
    key_id, sep, encoded = value[len(TOKEN_PREFIX) :].partition(":")
    return (key_id, encoded) if sep and key_id else None
