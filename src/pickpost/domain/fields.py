"""Typed lead fields: validation and normalisation per step (PING or POST).

A campaign declares its fields (docs/configuration.md); each has a type and, per step, whether it is
required, optional or not part of that step. Suppliers send values as strings, numbers or booleans
(JSON or form data). :func:`validate_lead` checks the fields declared for one step and returns the
normalised values plus one :class:`FieldError` per failing field, so a supplier can fix every
problem after a single 1004 response.

Pure: stdlib only, no I/O.
"""

import ipaddress
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Final
from urllib.parse import urlsplit

Scalar = str | int | float | bool
"""A normalised field value, as it is stored and forwarded to buyers."""


class FieldType(StrEnum):
    """The field types a campaign can declare (``type:`` in the workspace)."""

    TEXT = "text"
    NUMBER = "number"
    EMAIL = "email"
    PHONE = "phone"
    ZIP = "zip"
    STATE = "state"
    DATE = "date"
    DATETIME = "datetime"
    IP = "ip"
    URL = "url"
    ENUM = "enum"
    BOOL = "bool"


class Requirement(StrEnum):
    """Whether a field must be sent at a step."""

    REQUIRED = "required"
    OPTIONAL = "optional"


class Step(StrEnum):
    """The supplier call a lead's fields arrive with (a direct post uses ``POST``)."""

    PING = "ping"
    POST = "post"


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One declared lead field.

    ``ping`` / ``post`` give the requirement at that step; None means the field is not part of
    that step (it is neither checked nor forwarded there). ``values`` lists an enum's choices in
    their canonical spelling.
    """

    name: str
    type: FieldType
    ping: Requirement | None = None
    post: Requirement | None = None
    values: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        # An enum with no choices would reject every lead; fail when the workspace is loaded
        # instead of on the first live ping.
        if self.type == FieldType.ENUM and not self.values:
            raise ValueError(f"enum field {self.name!r} needs at least one value")

    def requirement(self, step: Step) -> Requirement | None:
        """The requirement at ``step``, or None if the field is not part of it."""
        return self.ping if step == Step.PING else self.post


@dataclass(frozen=True, slots=True)
class FieldError:
    """Why one field was refused; serialised as ``{"field": ..., "message": ...}``."""

    field: str
    message: str


@dataclass(frozen=True, slots=True)
class Validated:
    """The outcome of :func:`validate_lead`.

    ``values`` holds the normalised values of the step's declared fields that were sent and
    valid; ``errors`` has one entry per failing field, in declaration order.
    """

    values: dict[str, Scalar]
    errors: tuple[FieldError, ...]

    @property
    def ok(self) -> bool:
        """True when no field failed."""
        return not self.errors


# --- limits and messages -------------------------------------------------------------------

_MAX_TEXT: Final = 1000
_MAX_EMAIL: Final = 254  # RFC 5321 path limit
_MAX_URL: Final = 2048  # what browsers and most buyer APIs reliably accept
_MAX_NUMBER_CHARS: Final = 100  # no legitimate lead number is longer; bounds parsing work
# Integral numbers up to this size stay exact ints; beyond it they become floats, so a value
# like "1e999999" can never make us build a million-digit int.
_EXACT_INT_LIMIT: Final = 10**18

_REQUIRED: Final = "is required"
_SINGLE: Final = "must be a single value"
_NUMBER: Final = "must be a number"
_FINITE: Final = "must be a finite number"
_EMAIL: Final = "must be an email address"
_PHONE: Final = "must be a 10-digit US phone number"
_ZIP: Final = "must be a 5-digit ZIP code"
_STATE: Final = "must be a 2-letter US state code"
_DATE: Final = "must be a date YYYY-MM-DD"
_DATETIME: Final = "must be an ISO 8601 date-time"
_IP: Final = "must be an IPv4 or IPv6 address"
_URL: Final = "must be an http or https URL"
_BOOL: Final = "must be true or false (also yes/no, 1/0, on/off)"

# re.ASCII everywhere: without it \d also matches other scripts' digits, which Decimal, int()
# and date parsing would then happily accept.
_NUMBER_RE: Final = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?", re.ASCII)
_PHONE_CHARS_RE: Final = re.compile(r"[\d +\-.()]+", re.ASCII)
_NANP_RE: Final = re.compile(r"[2-9]\d\d[2-9]\d{6}", re.ASCII)
_ZIP_RE: Final = re.compile(r"(\d{5})(?:-?\d{4})?", re.ASCII)
_DATE_RE: Final = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
_SPACE_OR_CONTROL_RE: Final = re.compile(r"[\s\x00-\x1f\x7f]")
# Whitespace, controls and the RFC 5322 specials only legal inside quoted local parts, which
# no real lead uses: such a value is a paste error, not an address.
_EMAIL_FORBIDDEN_RE: Final = re.compile(r'[\s\x00-\x1f\x7f(),:;<>\[\]\\"]')

_STATES: Final = frozenset(
    {
        "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "FL", "GA", "HI", "ID", "IL", "IN",
        "IA", "KS", "KY", "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV",
        "NH", "NJ", "NM", "NY", "NC", "ND", "OH", "OK", "OR", "PA", "RI", "SC", "SD", "TN",
        "TX", "UT", "VT", "VA", "WA", "WV", "WI", "WY",
        "DC", "PR", "VI", "GU", "AS", "MP",
        "AA", "AE", "AP",
    }
)  # fmt: skip
_TRUE_WORDS: Final = frozenset({"true", "1", "yes", "y", "on"})
_FALSE_WORDS: Final = frozenset({"false", "0", "no", "n", "off"})


class _Invalid(Exception):
    """Raised by a type's normaliser; carries the message for the FieldError."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# --- shared helpers ------------------------------------------------------------------------


def _is_absent(raw: object) -> bool:
    """None and blank strings count as "not sent" (form posts send empty inputs as "")."""
    return raw is None or (isinstance(raw, str) and not raw.strip())


def _as_text(value: Scalar) -> str | None:
    """The text form of a scalar, or None for an int too large to render."""
    if isinstance(value, bool):
        # JSON spelling, so true and "true" mean the same to text and enum fields.
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    try:
        return str(value)
    except ValueError:  # int beyond sys.get_int_max_str_digits()
        return None


def _from_decimal(number: Decimal) -> int | float:
    """An int when the value is integral and of sane size, else a finite float."""
    if number == number.to_integral_value() and number.copy_abs() <= _EXACT_INT_LIMIT:
        return int(number)
    as_float = float(number)
    if not math.isfinite(as_float):
        raise _Invalid(_FINITE)
    # A value like 1.00000000000000000001 rounds to 1.0: report it as the int it now is, so a
    # second normalisation returns the same type.
    if as_float.is_integer() and abs(as_float) <= _EXACT_INT_LIMIT:
        return int(as_float)
    return as_float


def _require_str(value: Scalar, message: str) -> str:
    if not isinstance(value, str):
        raise _Invalid(message)
    return value


# --- one normaliser per type ---------------------------------------------------------------
# Each receives a present scalar (strings already stripped) and returns the normalised value or
# raises _Invalid.


def _text(value: Scalar, spec: FieldSpec) -> Scalar:
    text = _as_text(value)
    if text is None or len(text) > _MAX_TEXT:
        raise _Invalid(f"must be at most {_MAX_TEXT} characters")
    return text


def _number(value: Scalar, spec: FieldSpec) -> Scalar:
    # bool is an int subclass, but true is not a price or an income.
    if isinstance(value, bool):
        raise _Invalid(_NUMBER)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise _Invalid(_FINITE)
        # Through repr so 0.1 means 0.1, not its binary expansion.
        return _from_decimal(Decimal(repr(value)))
    if isinstance(value, int):
        return _from_decimal(Decimal(value))
    # Our own grammar rather than Decimal's, which also takes "NaN", "Infinity" and "1_000".
    if len(value) > _MAX_NUMBER_CHARS or not _NUMBER_RE.fullmatch(value):
        raise _Invalid(_NUMBER)
    try:
        number = Decimal(value)
    except InvalidOperation:  # exponent beyond what Decimal can represent
        raise _Invalid(_FINITE) from None
    return _from_decimal(number)


def parse_decimal(text: str) -> Decimal | None:
    """``text`` as a number in the grammar lead fields use (sign, digits, point, exponent;
    never ``NaN``, ``Infinity`` or ``1_000``), or None."""
    if len(text) > _MAX_NUMBER_CHARS or not _NUMBER_RE.fullmatch(text):
        return None
    try:
        return Decimal(text)
    except InvalidOperation:
        return None


def _email(value: Scalar, spec: FieldSpec) -> Scalar:
    text = _require_str(value, _EMAIL)
    if _EMAIL_FORBIDDEN_RE.search(text) or text.count("@") != 1:
        raise _Invalid(_EMAIL)
    local, domain = text.split("@")
    labels = domain.split(".")
    if not local or len(labels) < 2 or not all(labels):
        raise _Invalid(_EMAIL)
    # Domains are case-insensitive; local parts formally are not, so they keep their case.
    address = f"{local}@{domain.lower()}"
    # Checked after lower-casing: a few characters grow when lowered.
    if len(address) > _MAX_EMAIL:
        raise _Invalid(f"must be at most {_MAX_EMAIL} characters")
    return address


def _phone(value: Scalar, spec: FieldSpec) -> Scalar:
    if isinstance(value, bool | float):
        raise _Invalid(_PHONE)
    if isinstance(value, int):
        # Negative ints would otherwise slip through as "-5125550100".
        if not 0 <= value < 10**11:
            raise _Invalid(_PHONE)
        value = str(value)
    # Only formatting characters may be dropped; "512-555-0100 ext 5" or letters are refused
    # rather than silently turned into some other number.
    if not _PHONE_CHARS_RE.fullmatch(value):
        raise _Invalid(_PHONE)
    digits = "".join(c for c in value if c.isdigit())
    if len(digits) == 11 and digits.startswith("1"):
        digits = digits[1:]  # country code
    # NANP: neither the area code nor the exchange starts with 0 or 1.
    if not _NANP_RE.fullmatch(digits):
        raise _Invalid(_PHONE)
    return digits


def _zip(value: Scalar, spec: FieldSpec) -> Scalar:
    if isinstance(value, bool | float):
        raise _Invalid(_ZIP)
    if isinstance(value, int):
        # JSON drops leading zeros: 2134 could be 02134 or a typo, so only 5- and 9-digit ints
        # are taken at face value.
        if 10_000 <= value <= 99_999 or 100_000_000 <= value <= 999_999_999:
            return str(value)[:5]
        raise _Invalid(_ZIP)
    match = _ZIP_RE.fullmatch(value)
    if match is None:
        raise _Invalid(_ZIP)
    return match.group(1)


def _state(value: Scalar, spec: FieldSpec) -> Scalar:
    text = _require_str(value, _STATE)
    # isascii first: some non-ASCII letters upper-case to two ASCII ones ("ß" -> "SS").
    code = text.upper() if text.isascii() else ""
    if code not in _STATES:
        raise _Invalid(_STATE)
    return code


def _date(value: Scalar, spec: FieldSpec) -> Scalar:
    text = _require_str(value, _DATE)
    # The regex pins the format: date.fromisoformat alone also takes "20240101" and week dates.
    if not _DATE_RE.fullmatch(text):
        raise _Invalid(_DATE)
    try:
        date.fromisoformat(text)
    except ValueError:  # e.g. 2024-02-30
        raise _Invalid(_DATE) from None
    return text


def _datetime(value: Scalar, spec: FieldSpec) -> Scalar:
    text = _require_str(value, _DATETIME)
    if not text.isascii():
        raise _Invalid(_DATETIME)
    # Python 3.11 reads "Z" but not a lower-case "z"; accept both as UTC.
    if text[-1:] in ("Z", "z"):
        text = text[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise _Invalid(_DATETIME) from None
    # Naive values stay naive: we cannot know which zone the supplier meant.
    return moment.isoformat()


def _ip(value: Scalar, spec: FieldSpec) -> Scalar:
    text = _require_str(value, _IP)
    # ipaddress accepts any text in an IPv6 zone id ("fe80::1%a b"); spaces are never meant.
    if _SPACE_OR_CONTROL_RE.search(text):
        raise _Invalid(_IP)
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        raise _Invalid(_IP) from None


def _url(value: Scalar, spec: FieldSpec) -> Scalar:
    text = _require_str(value, _URL)
    if len(text) > _MAX_URL:
        raise _Invalid(f"must be at most {_MAX_URL} characters")
    # urlsplit silently drops tabs and newlines; a URL containing them is not what was meant.
    if _SPACE_OR_CONTROL_RE.search(text):
        raise _Invalid(_URL)
    try:
        parts = urlsplit(text)
        host = parts.hostname
        _ = parts.port  # raises for a non-numeric or out-of-range port
    except ValueError:
        raise _Invalid(_URL) from None
    if parts.scheme.lower() not in ("http", "https") or not host:
        raise _Invalid(_URL)
    return text


def _enum(value: Scalar, spec: FieldSpec) -> Scalar:
    # Ints and bools match by their text form, so values ["1", "2"] accept 1 from JSON.
    text = _as_text(value)
    wanted = text.casefold() if text is not None else None
    for choice in spec.values:
        # The input is stripped, so the declared spelling is compared stripped too.
        if choice.strip().casefold() == wanted:
            return choice
    raise _Invalid("must be one of: " + ", ".join(spec.values))


def _bool(value: Scalar, spec: FieldSpec) -> Scalar:
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        if value in (0, 1):
            return bool(value)
        raise _Invalid(_BOOL)
    if isinstance(value, str):
        word = value.casefold()
        if word in _TRUE_WORDS:
            return True
        if word in _FALSE_WORDS:
            return False
    raise _Invalid(_BOOL)


_NORMALISERS: Final[Mapping[FieldType, Callable[[Scalar, FieldSpec], Scalar]]] = {
    FieldType.TEXT: _text,
    FieldType.NUMBER: _number,
    FieldType.EMAIL: _email,
    FieldType.PHONE: _phone,
    FieldType.ZIP: _zip,
    FieldType.STATE: _state,
    FieldType.DATE: _date,
    FieldType.DATETIME: _datetime,
    FieldType.IP: _ip,
    FieldType.URL: _url,
    FieldType.ENUM: _enum,
    FieldType.BOOL: _bool,
}


# --- public entry points -------------------------------------------------------------------


def normalise(spec: FieldSpec, raw: object) -> Scalar | FieldError:
    """Check one value against ``spec`` and return its normalised form, or why it failed.

    ``raw`` must be present: None or a blank string gives "is required" (there is no value to
    normalise). Lists, dicts and other non-scalars give "must be a single value". Valid results
    are fixed points: ``normalise(spec, normalise(spec, x)) == normalise(spec, x)``.
    """
    if _is_absent(raw):
        return FieldError(spec.name, _REQUIRED)
    if not isinstance(raw, str | int | float):  # bool is an int
        return FieldError(spec.name, _SINGLE)
    value = raw.strip() if isinstance(raw, str) else raw
    try:
        return _NORMALISERS[spec.type](value, spec)
    except _Invalid as problem:
        return FieldError(spec.name, problem.message)


def validate_lead(specs: Sequence[FieldSpec], data: Mapping[str, object], step: Step) -> Validated:
    """Validate the fields declared for ``step`` in ``data``.

    Absent fields (missing, None or blank) are an error when required and skipped when optional.
    Keys not declared for the step are ignored here; the caller keeps them as extra fields.
    Every failing field gets its own error, in the order ``specs`` declares them. Never raises
    for any input data.
    """
    values: dict[str, Scalar] = {}
    errors: list[FieldError] = []
    for spec in specs:
        requirement = spec.requirement(step)
        if requirement is None:
            continue
        raw = data.get(spec.name)
        if _is_absent(raw):
            if requirement == Requirement.REQUIRED:
                errors.append(FieldError(spec.name, _REQUIRED))
            continue
        result = normalise(spec, raw)
        if isinstance(result, FieldError):
            errors.append(result)
        else:
            values[spec.name] = result
    return Validated(values=values, errors=tuple(errors))
