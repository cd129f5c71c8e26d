"""The base of every workspace model, and the value types configs share."""

import re
from decimal import Decimal
from typing import Annotated

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field


def _int_as_text(value: object) -> object:
    """``id: 101`` in YAML is a number; ids are text, so a whole number is taken as its
    digits (a bool is not a number here, and a float's digits are ambiguous)."""
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


def matching(pattern: str, message: str) -> AfterValidator:
    """Text that matches ``pattern`` as a whole, or ``message``: what a person needs to hear,
    where a pattern constraint would show them the regular expression."""
    compiled = re.compile(pattern)

    def check(value: str) -> str:
        if not compiled.fullmatch(value):
            raise ValueError(message)
        return value

    return AfterValidator(check)


Id = Annotated[
    str,
    Field(min_length=1, max_length=64),
    BeforeValidator(_int_as_text),
    matching(r"[A-Za-z0-9_.\-]+", "may hold only letters, digits, '_', '.' and '-'"),
]
Money = Annotated[Decimal, Field(ge=0, max_digits=12, decimal_places=2)]
Percent = Annotated[Decimal, Field(ge=0, le=100, decimal_places=2)]
HttpUrl = Annotated[
    str,
    Field(max_length=2048),
    matching(r"https?://[^\s/]+(/\S*)?", "must be an http:// or https:// URL"),
]


class Model(BaseModel):
    """Strict: unknown keys are refused, so a typo fails at load time with the key's path."""

    model_config = ConfigDict(extra="forbid", frozen=True)
