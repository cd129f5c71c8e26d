"""Pydantic's account of a broken workspace, said the way a person editing the file needs it:
"unknown key 'pign_url' – did you mean 'ping_url'?" rather than "Extra inputs are not
permitted", "must be a whole number" rather than a parser's name for it. Never a value from
the file: a key (``key:``) may be a secret."""

import difflib
import re
import types
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel
from pydantic_core import ErrorDetails

from pickpost.domain.workspace import Workspace

Loc = tuple[int | str, ...]

_BY_TYPE = {
    "model_type": "must be a mapping of keys to values",
    "model_attributes_type": "must be a mapping of keys to values",
    "dict_type": "must be a mapping of keys to values",
    "tuple_type": "must be a list",
    "list_type": "must be a list",
    "int_type": "must be a whole number",
    "int_parsing": "must be a whole number",
    "int_from_float": "must be a whole number",
    "decimal_type": "must be a number",
    "decimal_parsing": "must be a number",
    "float_type": "must be a number",
    "float_parsing": "must be a number",
    "bool_type": "must be true or false",
    "bool_parsing": "must be true or false",
    "string_type": "must be text",
}
# "Input should be greater than 0" → "must be greater than 0", and the like.
_SHOULD = re.compile(r"^(?:Input|String|Decimal input|Decimal|List|Tuple|Dictionary|Value) should ")


def plain(error: ErrorDetails) -> tuple[Loc, str]:
    """Where the problem is (the mapping that holds it, for an unknown or missing key) and
    what it is."""
    loc = tuple(error["loc"])
    kind = error["type"]
    if kind == "extra_forbidden" and loc:
        key = str(loc[-1])
        hint = _did_you_mean(key, _keys_at(loc[:-1]))
        return loc[:-1], f"unknown key {key!r}" + (f" – did you mean {hint!r}?" if hint else "")
    if kind == "missing" and loc:
        return loc[:-1], f"missing required key {str(loc[-1])!r}"
    if kind in _BY_TYPE:
        return loc, _BY_TYPE[kind]
    message = error["msg"]
    if kind == "value_error":
        message = message.removeprefix("Value error, ")
    elif kind == "string_pattern_mismatch":
        message = "does not have the required form"
    return loc, _SHOULD.sub("must ", message)


def _did_you_mean(key: str, known: set[str]) -> str | None:
    close = difflib.get_close_matches(key, sorted(known), n=1, cutoff=0.6)
    return close[0] if close else None


def _keys_at(loc: Loc) -> set[str]:
    """The keys the workspace models accept at ``loc`` (empty where that cannot be told)."""
    shapes: list[Any] = [Workspace]
    for part in loc:
        shapes = [inner for shape in shapes for inner in _step(shape, part)]
    return {name for shape in shapes for name in _fields(shape)}


def _step(shape: Any, part: int | str) -> list[Any]:
    found: list[Any] = []
    for option in _options(shape):
        origin = get_origin(option)
        args = get_args(option)
        if isinstance(part, int) and origin in (tuple, list) and args:
            found.append(args[0])
        elif isinstance(part, str) and origin is dict and len(args) == 2:
            found.append(args[1])
        elif isinstance(part, str) and _is_model(option):
            if part in option.model_fields:
                found.append(option.model_fields[part].annotation)
            elif part == option.__name__:  # a union member pydantic names in the location
                found.append(option)
    return found


def _options(shape: Any) -> list[Any]:
    """``shape`` with Annotated, Optional and unions unwrapped into the types it may be."""
    origin = get_origin(shape)
    if origin is Annotated:
        return _options(get_args(shape)[0])
    if origin in (Union, types.UnionType):
        return [inner for arg in get_args(shape) for inner in _options(arg)]
    return [shape]


def _fields(shape: Any) -> set[str]:
    return {n for o in _options(shape) if _is_model(o) for n in o.model_fields}


def _is_model(shape: Any) -> bool:
    return isinstance(shape, type) and issubclass(shape, BaseModel)
