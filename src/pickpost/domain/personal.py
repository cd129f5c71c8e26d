"""Which lead values are personal data, and the form they are looked up by.

A compliance review asks two things of every stored value: does it identify a person, and for
how long is it kept. The first is answered here, once per campaign (the catalog keeps the
answer), so storage encrypts, indexes and purges the same values everywhere (docs/security.md).

The rules, in order:

1. A declared field's own ``personal: true|false`` flag (the workspace) wins.
2. A declared field of type phone, email or ip is personal.
3. A declared field with a well-known personal name (names, address, date of birth, consent
   evidence that identifies a device or session) is personal; other declared fields are not.
4. A key no field declares is unknown data: it is personal, because nothing says it is not.
5. ``lp_*`` keys are the supplier API's own (campaign, supplier, sub ids, ping id): not personal.

Pure: stdlib and the field rules only.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from pickpost.domain.fields import FieldError, FieldSpec, FieldType, normalise

PERSONAL_TYPES = frozenset({FieldType.PHONE, FieldType.EMAIL, FieldType.IP})

PERSONAL_NAMES = frozenset(
    {
        # Names.
        "first_name",
        "last_name",
        "middle_name",
        "full_name",
        "name",
        # Address.
        "address",
        "address1",
        "address2",
        "street",
        "street_address",
        # Date of birth.
        "dob",
        "date_of_birth",
        "birth_date",
        "birthdate",
        # Phone, email and IP under their usual names, whatever type a campaign gives them.
        "phone",
        "email",
        "ip_address",
        # Consent evidence that points at the consumer's device or session (tcpa_text, the
        # disclosure every consumer sees, does not).
        "user_agent",
        "landing_page_url",
        "trustedform_cert_url",
        "jornaya_leadid",
    }
)

PURGED = "[purged]"
"""What a personal value reads as once purged: the key stays, so the record keeps its shape."""


def personal_by_default(name: str, field_type: FieldType) -> bool:
    """Whether a declared field without a ``personal`` flag holds personal data."""
    return field_type in PERSONAL_TYPES or name.lower() in PERSONAL_NAMES


@dataclass(frozen=True, slots=True)
class PersonalFields:
    """A campaign's answer to "is this key personal?", computed once from its fields.

    ``indexed`` are the declared personal fields an operator can look leads up by (exact
    match, through a keyed hash): a declared field has a known type, so a searched value is
    normalised the way the stored one was.
    """

    impersonal: frozenset[str]
    indexed: tuple[FieldSpec, ...]

    @classmethod
    def of(cls, fields: Iterable[tuple[FieldSpec, bool | None]]) -> "PersonalFields":
        """From each declared field and its explicit flag (None: the default rules)."""
        impersonal: set[str] = set()
        indexed: list[FieldSpec] = []
        for spec, flag in fields:
            personal = personal_by_default(spec.name, spec.type) if flag is None else flag
            if personal:
                indexed.append(spec)
            else:
                impersonal.add(spec.name)
        return cls(frozenset(impersonal), tuple(indexed))

    def is_personal(self, key: str) -> bool:
        return key not in self.impersonal and not key.startswith("lp_")

    def personal_keys(self, values: Mapping[str, object]) -> list[str]:
        return [key for key in values if self.is_personal(key)]


UNKNOWN_CAMPAIGN = PersonalFields(frozenset(), ())
"""A request naming no campaign this node knows: all its keys but ``lp_*`` are personal."""


def lookup_text(spec: FieldSpec, value: object) -> str:
    """The form a value is looked up by: normalised as its field type says (``(512) 555-0142``
    and ``5125550142`` are the same phone), then case-folded (``Dana@Example.com`` finds
    ``dana@example.com``). A value the type refuses is compared as sent, trimmed."""
    normalised = normalise(spec, value)
    text = str(value).strip() if isinstance(normalised, FieldError) else str(normalised)
    return text.casefold()
