"""What a buyer's answer comes to, whatever its protocol, and how its text is made safe to keep."""

import re
from dataclasses import dataclass, field

from pickpost.domain.bids import RawBid

MAX_PRICE_CENTS = 100_000_00  # a price above this is a buyer bug, not a bid
MAX_DISPLAY_VALUES = 20
MAX_KEY_LENGTH = 100
MAX_TEXT_LENGTH = 2_048
MAX_REASON_LENGTH = 500


@dataclass(frozen=True, slots=True)
class NoBid:
    reason: str


@dataclass(frozen=True, slots=True)
class Invalid:
    """The buyer answered, but not in its protocol: recorded as an error with this reason."""

    reason: str


FieldValue = str | int | float | bool


@dataclass(frozen=True, slots=True)
class Accepted:
    """Sold; ``fields`` are the scalar values the buyer returned (nested ones are dropped)."""

    fields: dict[str, FieldValue] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Rejected:
    reason: str
    duplicate: bool = False


PingAnswer = RawBid | NoBid | Invalid
PostAnswer = Accepted | Rejected | Invalid


def scalars(values: dict[str, object]) -> dict[str, FieldValue]:
    """A few short scalar values from a buyer's object; text cleaned, the rest dropped."""
    kept: dict[str, FieldValue] = {}
    for key, value in values.items():
        if len(kept) == MAX_DISPLAY_VALUES:
            break
        name = clean_text(key, MAX_KEY_LENGTH, fit=False)
        if not name:
            continue
        if isinstance(value, str):
            text = clean_text(value, MAX_TEXT_LENGTH, fit=False)
            if text is not None:
                kept[name] = text
        elif isinstance(value, int | float):
            kept[name] = value
    return kept


def clean_text(raw: object, limit: int, fit: bool = True) -> str | None:
    """Buyer text as it may be stored and shown: control characters (NUL above all, which no
    database stores) and lone surrogates (which no UTF-8 encoder writes) removed, trimmed, and
    cut to ``limit`` – or refused when ``fit`` is false. Whichever parser read the answer, no
    buyer text gets past here that a database or a JSON answer would fail on."""
    if not isinstance(raw, str):
        return None
    text = _UNSTORABLE.sub("", raw).strip()
    if len(text) > limit:
        return text[:limit] if fit else None
    return text or None


# What ``clean_text`` removes: control characters but tab and newline, and lone surrogates.
# One regular expression pass, not a Python call per character of every buyer answer.
_UNSTORABLE = re.compile("[\x00-\x08\x0b-\x1f\ud800-\udfff]")


def token_text(raw: object) -> str | None:
    """A buyer's bid token: text or a whole number, as text; anything else is no token."""
    if isinstance(raw, bool) or not isinstance(raw, str | int):
        return None
    return clean_text(str(raw), MAX_TEXT_LENGTH, fit=False)
