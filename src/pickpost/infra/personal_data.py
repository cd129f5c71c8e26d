"""Personal values on their way into and out of the database: encrypted when a master key is
set, hashed for lookups, blanked by a purge. Storage calls this; the rules of what is personal
are the domain's (``domain/personal.py``), precomputed per campaign by the catalog."""

from collections.abc import Callable, Mapping
from typing import Protocol

from pickpost.domain.catalog import Catalog
from pickpost.domain.fields import FieldSpec, FieldType
from pickpost.domain.personal import PURGED, UNKNOWN_CAMPAIGN, PersonalFields, lookup_text
from pickpost.infra.crypto import Keyring, token_parts


class KeyringSource(Protocol):
    current: Keyring

    async def refresh(self) -> None: ...


class PersonalData:
    def __init__(self, catalog: Callable[[], Catalog], keys: KeyringSource) -> None:
        self._catalog = catalog
        self._keys = keys

    def classify(self, campaign_id: str | None) -> PersonalFields:
        """The campaign's classification; for a campaign this node does not know (a refused
        request, a campaign since removed), every key but ``lp_*`` is personal."""
        campaign = self._catalog().campaigns.get(campaign_id or "")
        return UNKNOWN_CAMPAIGN if campaign is None else campaign.personal

    def seal(self, campaign_id: str | None, values: dict[str, object]) -> dict[str, object]:
        """``values`` with the personal ones encrypted; as they are without a master key."""
        keyring = self._keys.current
        if not keyring.encrypts:
            return values
        personal = self.classify(campaign_id)
        return {
            key: keyring.seal(key, value)
            if value is not None and personal.is_personal(key)
            else value
            for key, value in values.items()
        }

    def seal_call(self, values: dict[str, object]) -> dict[str, object]:
        """Part of a buyer call as recorded (headers, a body's text): all of it is sealed, as
        a request may carry any of the lead."""
        return self.seal(None, values)

    def call_sealer(self) -> Callable[[dict[str, object]], dict[str, object]]:
        """``seal_call`` for a batch of log rows: without a master key, a function that keeps
        the values as they are, instead of asking the keyring again for each of the four
        parts of every buyer call."""
        return self.seal_call if self._keys.current.encrypts else _as_is

    async def open(self, values: Mapping[str, object]) -> dict[str, object]:
        """``values`` with encrypted ones decrypted (for the operator's views and for a POST
        whose ping the ledger has to supply)."""
        keyring = self._keys.current
        key_ids = {parts[0] for parts in map(token_parts, values.values()) if parts}
        if not key_ids <= keyring.value_keys.keys():
            await self._keys.refresh()  # a data key made after this process read them
            keyring = self._keys.current
        return {key: keyring.open(key, value) for key, value in values.items()}

    def lookups(self, campaign_id: str, fields: Mapping[str, object]) -> list[dict[str, str]]:
        """The lookup rows (field name and keyed hash) of a lead's declared personal fields."""
        keyring = self._keys.current
        rows = []
        for spec in self.classify(campaign_id).indexed:
            value = fields.get(spec.name)
            if isinstance(value, str | int | float) and str(value).strip():
                text = lookup_text(spec, value)
                rows.append({"field_name": spec.name, "hash": keyring.lookup_hash(spec.name, text)})
        return rows

    def search_hashes(self, field_name: str, value: str) -> list[str]:
        """Every hash a searched value may be stored under, normalised as each campaign
        declaring the field would have normalised it."""
        specs = {
            spec
            for campaign in self._catalog().campaigns.values()
            for spec in campaign.personal.indexed
            if spec.name == field_name
        } or {FieldSpec(field_name, FieldType.TEXT)}
        texts = {lookup_text(spec, value) for spec in specs}
        keyring = self._keys.current
        return sorted({h for text in texts for h in keyring.search_hashes(field_name, text)})

    def blank(self, campaign_id: str | None, values: Mapping[str, object]) -> dict[str, object]:
        """``values`` with personal ones (and any encrypted one) replaced by ``PURGED``."""
        personal = self.classify(campaign_id)
        return {
            key: PURGED
            if value is not None and (personal.is_personal(key) or token_parts(value))
            else value
            for key, value in values.items()
        }


def _as_is(values: dict[str, object]) -> dict[str, object]:
    return values
