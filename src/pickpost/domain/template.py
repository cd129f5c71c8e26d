"""Merge-tag templates for mapped buyers: ``{{field|transformer:arg|…}}``.

A template is parsed once (``parse`` is cached) into literal text and tags; rendering reads values
from a ``Context`` and never touches the clock or the network. A missing value stays missing
(``None``) through the transformer chain until ``default`` replaces it, and renders as ``""``.

Templates live in the domain because the workspace checks them at load (``domain/mapping.py``);
the buyer adapters (``buyers/bodies.py``, ``buyers/mapped.py``) render them. Parsing and rendering
stay in one module: the transformer table is both what a tag may name and what it applies.
"""

import hashlib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from urllib.parse import quote

Value = str | int | float | bool | Decimal | None
"""A value as templates see it; ``None`` is missing, ``Decimal`` a number as written."""

OPEN, CLOSE = "{{", "}}"
_NAME = re.compile(r"[A-Za-z_]\w*(?:\.[\w@#\-/]+)*", re.ASCII)
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)", re.ASCII)
_NUMBER_NOISE = str.maketrans("", "", ", $_")
_INTEGER = re.compile(r"-?\d{1,9}", re.ASCII)


class TemplateError(ValueError):
    """A template that cannot be parsed; the message says what and where."""


@dataclass(frozen=True, slots=True)
class Context:
    """What tags read: field and system values by name, and the lead's time for ``age``."""

    values: Mapping[str, Value]
    now: datetime


def text_of(value: Value) -> str:
    """The text form of a value: ``""`` when missing, ``true``/``false`` for booleans, numbers
    as written (a ``Decimal`` never in exponent form)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def parse_number(raw: Value) -> Decimal | None:
    """A number from text as buyers and suppliers write it (``"$1,200.50"`` → ``1200.50``)."""
    if isinstance(raw, bool) or raw is None:
        return None
    text = text_of(raw).strip().translate(_NUMBER_NOISE)
    if len(text) > 100 or not _NUMBER.fullmatch(text):
        return None
    try:
        return Decimal(text)
    except InvalidOperation:
        return None


def _as_date(value: Value) -> datetime | None:
    text = text_of(value).strip()
    try:
        if len(text) == 10:
            return datetime.combine(date.fromisoformat(text), datetime.min.time())
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def _text(function: Callable[[str], Value]) -> Callable[[Value, tuple[str, ...], Context], Value]:
    """A transformer of the value's text; a missing value stays missing."""

    def apply(value: Value, _args: tuple[str, ...], _context: Context) -> Value:
        return None if value is None else function(text_of(value))

    return apply


def _replace(value: Value, args: tuple[str, ...], _context: Context) -> Value:
    return None if value is None else text_of(value).replace(args[0], args[1])


def _substr(value: Value, args: tuple[str, ...], _context: Context) -> Value:
    if value is None:
        return None
    start = int(args[0])
    end = start + int(args[1]) if len(args) > 1 else None
    return text_of(value)[start:end]


def _phone10(text: str) -> Value:
    digits = "".join(c for c in text if c.isascii() and c.isdigit())
    if len(digits) == 11 and digits.startswith("1"):
        digits = digits[1:]
    return digits if len(digits) == 10 else None


def _date(value: Value, args: tuple[str, ...], _context: Context) -> Value:
    moment = _as_date(value)
    return None if moment is None else moment.strftime(args[0])


def _age(value: Value, _args: tuple[str, ...], context: Context) -> Value:
    born = _as_date(value)
    if born is None:
        return None
    today = context.now.date()
    years = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
    return years if years >= 0 else None


def _default(value: Value, args: tuple[str, ...], _context: Context) -> Value:
    return args[0] if value is None or value == "" else value


def _number(value: Value, _args: tuple[str, ...], _context: Context) -> Value:
    return parse_number(value)


@dataclass(frozen=True, slots=True)
class _Transformer:
    apply: Callable[[Value, tuple[str, ...], Context], Value]
    min_args: int = 0
    max_args: int = 0
    integer_args: bool = False


TRANSFORMERS: Mapping[str, _Transformer] = {
    "upper": _Transformer(_text(str.upper)),
    "lower": _Transformer(_text(str.lower)),
    "trim": _Transformer(_text(str.strip)),
    "replace": _Transformer(_replace, 2, 2),
    "substr": _Transformer(_substr, 1, 2, integer_args=True),
    "digits": _Transformer(_text(lambda text: "".join(c for c in text if "0" <= c <= "9"))),
    "phone10": _Transformer(_text(_phone10)),
    "number": _Transformer(_number),
    "md5": _Transformer(_text(lambda text: hashlib.md5(text.encode()).hexdigest())),
    "sha256": _Transformer(_text(lambda text: hashlib.sha256(text.encode()).hexdigest())),
    "date": _Transformer(_date, 1, 1),
    "age": _Transformer(_age),
    "default": _Transformer(_default, 1, 1),
    "urlencode": _Transformer(_text(lambda text: quote(text, safe=""))),
}


@dataclass(frozen=True, slots=True)
class Call:
    """One transformer in a tag's chain, with its arguments."""

    name: str
    args: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Tag:
    """``{{name|call|…}}``: a value by name, passed through the transformer chain."""

    name: str
    calls: tuple[Call, ...] = ()

    def value(self, context: Context) -> Value:
        value = context.values.get(self.name)
        for call in self.calls:
            value = TRANSFORMERS[call.name].apply(value, call.args, context)
        return value


@dataclass(frozen=True, slots=True)
class Template:
    """Literal text and tags, in order."""

    parts: tuple[str | Tag, ...]

    @property
    def tags(self) -> tuple[Tag, ...]:
        return tuple(part for part in self.parts if isinstance(part, Tag))

    def render(self, context: Context, escape: Callable[[str], str] = str) -> str:
        """The text, each tag's text passed through ``escape`` (literal text is kept as is)."""
        return "".join(
            part if isinstance(part, str) else escape(text_of(part.value(context)))
            for part in self.parts
        )

    def value(self, context: Context) -> Value:
        """A template that is exactly one tag gives that tag's value with its type (missing
        as ``""``); any other template gives its rendered text."""
        if len(self.parts) == 1 and isinstance(self.parts[0], Tag):
            value = self.parts[0].value(context)
            return "" if value is None else value
        return self.render(context)


@lru_cache(maxsize=4096)
def parse(text: str) -> Template:
    """Parse ``text`` once; raises ``TemplateError`` on a malformed tag."""
    parts: list[str | Tag] = []
    position = 0
    while (start := text.find(OPEN, position)) != -1:
        end = text.find(CLOSE, start + len(OPEN))
        if end == -1:
            raise TemplateError(f"unclosed '{OPEN}' at character {start + 1}")
        if start > position:
            parts.append(text[position:start])
        parts.append(_parse_tag(text[start + len(OPEN) : end]))
        position = end + len(CLOSE)
    if position < len(text):
        parts.append(text[position:])
    return Template(tuple(parts))


def _parse_tag(body: str) -> Tag:
    name, *chain = _split(body, "|")
    name = name.strip()
    if not _NAME.fullmatch(name):
        raise TemplateError(f"bad field name {name!r} in '{OPEN}{body}{CLOSE}'")
    return Tag(name, tuple(_parse_call(raw) for raw in chain))


def _parse_call(raw: str) -> Call:
    head, *args = _split(raw, ":")
    name = _unescape(head).strip()
    transformer = TRANSFORMERS.get(name)
    if transformer is None:
        raise TemplateError(f"unknown transformer {name!r}")
    if len(args) > transformer.max_args > 0:
        # The last argument takes the rest, so `date:%H:%M` needs no escapes.
        args[transformer.max_args - 1 :] = [":".join(args[transformer.max_args - 1 :])]
    if not transformer.min_args <= len(args) <= transformer.max_args:
        wanted = (
            str(transformer.min_args)
            if transformer.min_args == transformer.max_args
            else f"{transformer.min_args} to {transformer.max_args}"
        )
        raise TemplateError(f"{name} takes {wanted} argument(s), not {len(args)}")
    values = tuple(_unescape(arg) for arg in args)
    if transformer.integer_args and not all(_INTEGER.fullmatch(v) for v in values):
        raise TemplateError(f"{name} takes whole numbers, not {':'.join(values)!r}")
    if name == "substr" and len(values) > 1 and int(values[1]) < 0:
        raise TemplateError("substr length must not be negative")
    if name == "date":
        _check_date_format(values[0])
    return Call(name, values)


def _check_date_format(format_: str) -> None:
    if not format_:
        raise TemplateError("date needs a format, e.g. date:%m/%d/%Y")
    try:
        datetime(2000, 1, 2).strftime(format_)
    except ValueError as error:
        raise TemplateError(f"bad date format {format_!r}: {error}") from None


def _split(text: str, separator: str) -> list[str]:
    """Split on ``separator`` unless it is escaped with a backslash; escapes are kept."""
    pieces = [""]
    escaped = False
    for char in text:
        if escaped:
            pieces[-1] += "\\" + char
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == separator:
            pieces.append("")
        else:
            pieces[-1] += char
    if escaped:
        pieces[-1] += "\\"
    return pieces


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text, flags=re.DOTALL)
