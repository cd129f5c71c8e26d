"""Duplicate checks: the same request sent twice, and the same lead seen within days.

Two checks, both answered by ``CounterStore.first_seen(key, ttl_s)``:

- **Same payload**: :func:`payload_fingerprint` identifies a request by campaign, supplier and
  body, so a retried or double-clicked submission within a minute is refused.
- **Same lead** (per campaign)::

      dupe_check: {fields: [email, phone], days: 30, match: all, scope: campaign}

  ``match: all`` makes one key from all the fields together (a duplicate has the same email
  *and* phone); ``match: any`` one key per field (the same email *or* phone). ``scope:
  campaign`` counts any earlier lead of the campaign; ``scope: buyer`` only leads sold to the
  same buyer, so a lead can still go to buyers that have not had it.

Values are compared trimmed and case-folded; fields declared as ``phone`` or ``zip`` compare
their digits only. An absent field (missing, None, blank, not a single value) gives no key:
with ``match: all`` the lead then has no key at all and is never a duplicate, with ``match:
any`` the other fields still count. Keys hold a SHA-256 of the values, never the values.

Pure: no I/O.
"""

import hashlib
import json
from collections.abc import Mapping
from typing import Annotated, Literal

from pydantic import Field, field_validator

from pickpost.domain.fields import FieldType
from pickpost.domain.filters import FieldName
from pickpost.domain.model import Model

_DIGITS_ONLY = frozenset({FieldType.PHONE, FieldType.ZIP})


def _canonical(value: object) -> bytes:
    # Sorted keys and fixed separators: the same data always gives the same bytes. Values JSON
    # cannot hold (a Decimal, say) are written as their text.
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    ).encode()


def payload_fingerprint(campaign_id: str, supplier_id: str, data: Mapping[str, object]) -> str:
    """SHA-256 (hex) of the campaign, the supplier and the request body without ``lp_key``.

    Key order does not matter, at any depth; values do, exactly as sent (``"5"`` is not ``5``).
    """
    body = {key: value for key, value in data.items() if key != "lp_key"}
    return hashlib.sha256(_canonical([campaign_id, supplier_id, body])).hexdigest()


class DupeCheck(Model):
    """A campaign's duplicate lead check (see the module docstring)."""

    fields: Annotated[tuple[FieldName, ...], Field(min_length=1)]
    days: Annotated[int, Field(ge=1, le=3650)] = 30
    match: Literal["all", "any"] = "all"
    scope: Literal["campaign", "buyer"] = "campaign"

    @field_validator("fields")
    @classmethod
    def _distinct(cls, fields: tuple[str, ...]) -> tuple[str, ...]:
        if len(set(fields)) != len(fields):
            raise ValueError("fields repeat")
        return fields


def _normalised(value: object, field_type: FieldType | None) -> str | None:
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, str | int | float):
        text = str(value).strip().casefold()
    else:
        return None
    if field_type in _DIGITS_ONLY:
        text = "".join(c for c in text if c.isascii() and c.isdigit())
    return text or None


def dupe_keys(
    check: DupeCheck,
    campaign_id: str,
    lead: Mapping[str, object],
    buyer_id: str | None = None,
    field_types: Mapping[str, FieldType] | None = None,
) -> list[str]:
    """The keys to test with ``first_seen(key, check.days * 86400)``; a lead is a duplicate if
    any key was seen.

    ``buyer_id`` is required with ``scope: buyer`` and ignored otherwise. ``field_types`` (the
    campaign's declared types) selects digits-only comparison for phone and zip fields.
    Keys look like ``dupe:{campaign}:all:{sha256}`` or ``dupe:{campaign}:buyer:{buyer}:any:
    email:{sha256}``.
    """
    if check.scope == "buyer":
        if buyer_id is None:
            raise ValueError("a buyer-scoped duplicate check needs the buyer id")
        prefix = f"dupe:{campaign_id}:buyer:{buyer_id}:{check.match}"
    else:
        prefix = f"dupe:{campaign_id}:{check.match}"
    types = field_types or {}
    # Sorted by name so reordering the configured fields keeps earlier leads' keys.
    values = {name: _normalised(lead.get(name), types.get(name)) for name in sorted(check.fields)}
    present = {name: value for name, value in values.items() if value is not None}
    if check.match == "any":
        return [f"{prefix}:{name}:{_digest(value)}" for name, value in present.items()]
    if len(present) < len(values):
        return []
    return [f"{prefix}:{_digest(present)}"]


def _digest(value: object) -> str:
    return hashlib.sha256(_canonical(value)).hexdigest()
