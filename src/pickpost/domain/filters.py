"""Lead filters: the rules a lead must pass for a campaign, a supplier or a buyer.

A filter list holds :class:`FilterRule` objects; a lead passes when every rule passes. Each
rule names one lead ``field`` and exactly one condition:

=================  =================================================  ===========================
condition          passes when the field's value …                    field absent
=================  =================================================  ===========================
``allow``          equals one of the values                           fails
``block``          equals none of the values                          passes
``allow_prefix``   starts with one of the prefixes (zip3 lists)       fails
``block_prefix``   starts with none of the prefixes                   passes
``regex``          contains a match (``re.search``)                   fails
``block_regex``    contains no match                                  passes
``min``/``max``    is a number within the bounds (both inclusive)     fails
``after``/``before`` is a date strictly after / strictly before       fails
=================  =================================================  ===========================

Rules of comparison:

- A field is absent when it is missing, None, blank text or not a single value (a list or an
  object). An allow-type rule cannot prove an absent value allowed, so it fails; a block-type rule
  has nothing to block, so it passes.
- Values are compared as trimmed text, case-insensitively (``casefold``); ``true``/``false`` is
  the text of a boolean. Value lists may be YAML lists or one string separated by commas or
  newlines, as operators paste zip lists. Quote zip codes in YAML (``"02134"``): an unquoted
  leading zero is read as an octal number.
- Regular expressions are compiled when the workspace loads and searched in the value as sent
  (trimmed, case kept): ``@example\\.com`` matches anywhere, ``^…$`` pins the whole value, and
  ``(?i)`` makes a pattern case-insensitive.
- ``min``/``max`` read the value as a decimal number (``"720"``, ``720``, ``7.2e2``); a value that
  is not a number fails the rule.
- ``after``/``before`` take ``YYYY-MM-DD``; the value may be a date or an ISO 8601 date-time, whose
  calendar date is used as written (no time zone conversion). A value that is neither fails.

Pure: no I/O.
"""

import re
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Final, Self

from pydantic import BeforeValidator, Field, PrivateAttr, model_validator

from pickpost.domain.fields import parse_decimal
from pickpost.domain.model import Model, matching

FieldName = Annotated[
    str,
    Field(min_length=1, max_length=64),
    matching(r"[A-Za-z0-9_]+", "may hold only letters, digits and '_'"),
]

_SEPARATORS: Final = re.compile(r"[,\r\n]")
_DATE: Final = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
_DATETIME: Final = re.compile(r"\d{4}-\d{2}-\d{2}[T ].+", re.ASCII)


def _value_list(raw: object) -> object:
    """A list of trimmed, non-blank texts from a list or a comma/newline separated string."""
    items = _SEPARATORS.split(raw) if isinstance(raw, str) else raw
    if not isinstance(items, list | tuple):
        return raw  # pydantic reports the wrong shape
    values = []
    for item in items:
        # YAML reads unquoted yes/no/true/false as booleans; guessing the spelling meant
        # would silently never match an enum value like "yes".
        if isinstance(item, bool) or not isinstance(item, str | int):
            raise ValueError("values must be text or whole numbers (quote yes/no/true/false)")
        text = str(item).strip()
        if text:
            values.append(text)
    if not values:
        raise ValueError("list at least one value")
    return tuple(values)


def _pattern(raw: object) -> object:
    if not isinstance(raw, str):
        return raw
    try:
        return re.compile(raw)
    except re.error as problem:
        raise ValueError(f"invalid regular expression: {problem}") from None


def _iso_date(raw: object) -> object:
    # YAML turns an unquoted 1950-01-01 into a date already. Anything but that or exact
    # YYYY-MM-DD text is refused, where pydantic would also read 20240101 as epoch seconds.
    if isinstance(raw, date) and not isinstance(raw, datetime):
        return raw
    if isinstance(raw, str) and _DATE.fullmatch(raw):
        return raw
    raise ValueError("give a date as YYYY-MM-DD")


ValueList = Annotated[tuple[str, ...], BeforeValidator(_value_list)]
Pattern = Annotated[re.Pattern[str], BeforeValidator(_pattern)]
IsoDate = Annotated[date, BeforeValidator(_iso_date)]

_BLOCK_KINDS: Final = ("block", "block_prefix", "block_regex")
_KIND_FIELDS: Final = {
    "allow": ("allow",),
    "block": ("block",),
    "allow_prefix": ("allow_prefix",),
    "block_prefix": ("block_prefix",),
    "regex": ("regex",),
    "block_regex": ("block_regex",),
    "range": ("min", "max"),
    "dates": ("after", "before"),
}


class FilterRule(Model):
    """One condition on one lead field (see the module docstring for the rules)."""

    field: FieldName
    allow: ValueList | None = None
    block: ValueList | None = None
    allow_prefix: ValueList | None = None
    block_prefix: ValueList | None = None
    regex: Pattern | None = None
    block_regex: Pattern | None = None
    min: Decimal | None = None
    max: Decimal | None = None
    after: IsoDate | None = None
    before: IsoDate | None = None

    _kind: str = PrivateAttr(default="")
    _folded: frozenset[str] = PrivateAttr(default=frozenset())
    _prefixes: tuple[str, ...] = PrivateAttr(default=())

    @model_validator(mode="after")
    def _one_condition(self) -> Self:
        given = [
            kind
            for kind, names in _KIND_FIELDS.items()
            if any(getattr(self, name) is not None for name in names)
        ]
        if len(given) != 1:
            raise ValueError(
                "give exactly one condition: allow, block, allow_prefix, block_prefix, regex, "
                "block_regex, min/max or after/before"
            )
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError("min is above max")
        if self.after is not None and self.before is not None and self.after >= self.before:
            raise ValueError("after must be earlier than before")
        # Folded once at load: zip lists run to thousands of entries and are read per lead.
        self._kind = given[0]
        self._folded = frozenset(v.casefold() for v in self.allow or self.block or ())
        self._prefixes = tuple(p.casefold() for p in self.allow_prefix or self.block_prefix or ())
        return self

    @property
    def blocks(self) -> bool:
        """True for block-type rules, which an absent field passes."""
        return self._kind in _BLOCK_KINDS

    def passes(self, lead: Mapping[str, object]) -> bool:
        """Whether ``lead`` passes this rule."""
        return self.explain(lead) is None

    def explain(self, lead: Mapping[str, object]) -> str | None:
        """None when ``lead`` passes, else why not, for logs (it quotes the lead's value)."""
        text = _text(lead.get(self.field))
        if text is None:
            return None if self.blocks else f"{self.field}: absent"
        problem = _CHECKS[self._kind](self, text)
        return None if problem is None else f"{self.field}: {text!r} {problem}"


def _text(value: object) -> str | None:
    if isinstance(value, bool):
        return "true" if value else "false"
    if not isinstance(value, str | int | float):
        return None
    text = value.strip() if isinstance(value, str) else str(value)
    return text or None


def _date(text: str) -> date | None:
    try:
        if _DATE.fullmatch(text):
            return date.fromisoformat(text)
        if _DATETIME.fullmatch(text):
            # Python 3.11 reads "Z" but not a lower-case "z".
            return datetime.fromisoformat(text.removesuffix("z")).date()
    except ValueError:
        return None
    return None


def _check_allow(rule: FilterRule, text: str) -> str | None:
    return None if text.casefold() in rule._folded else "is not in the allow list"


def _check_block(rule: FilterRule, text: str) -> str | None:
    return "is in the block list" if text.casefold() in rule._folded else None


def _check_allow_prefix(rule: FilterRule, text: str) -> str | None:
    return None if text.casefold().startswith(rule._prefixes) else "has no allowed prefix"


def _check_block_prefix(rule: FilterRule, text: str) -> str | None:
    return "has a blocked prefix" if text.casefold().startswith(rule._prefixes) else None


def _check_regex(rule: FilterRule, text: str) -> str | None:
    assert rule.regex is not None
    return None if rule.regex.search(text) else f"does not match {rule.regex.pattern!r}"


def _check_block_regex(rule: FilterRule, text: str) -> str | None:
    assert rule.block_regex is not None
    return f"matches {rule.block_regex.pattern!r}" if rule.block_regex.search(text) else None


def _check_range(rule: FilterRule, text: str) -> str | None:
    number = parse_decimal(text)
    if number is None:
        return "is not a number"
    if rule.min is not None and number < rule.min:
        return f"is below {rule.min}"
    if rule.max is not None and number > rule.max:
        return f"is above {rule.max}"
    return None


def _check_dates(rule: FilterRule, text: str) -> str | None:
    day = _date(text)
    if day is None:
        return "is not a date"
    if rule.after is not None and day <= rule.after:
        return f"is not after {rule.after}"
    if rule.before is not None and day >= rule.before:
        return f"is not before {rule.before}"
    return None


_CHECKS: Final = {
    "allow": _check_allow,
    "block": _check_block,
    "allow_prefix": _check_allow_prefix,
    "block_prefix": _check_block_prefix,
    "regex": _check_regex,
    "block_regex": _check_block_regex,
    "range": _check_range,
    "dates": _check_dates,
}

"""A filter list as a config field: ``filters: [{field: state, allow: [TX, CA]}, …]``."""


def failed_fields(rules: Sequence[FilterRule], lead: Mapping[str, object]) -> list[str]:
    """The fields of the rules ``lead`` fails, each once, in rule order (for the 1005 message).

    An empty list means the lead passes every rule.
    """
    failed: list[str] = []
    for rule in rules:
        if rule.field not in failed and not rule.passes(lead):
            failed.append(rule.field)
    return failed
