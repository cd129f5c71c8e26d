"""What of a buyer call must never be recorded: headers that carry credentials, and the secret
values a mapped buyer's configuration writes into its requests (an API key in a header or a
body field)."""

import re
import weakref
from collections.abc import Iterator, Mapping

from pydantic import JsonValue

from pickpost.domain.mapping import MappingConfig
from pickpost.domain.template import TemplateError, parse

# Names of headers and fields whose values are credentials.
SECRET_NAME = re.compile(
    r"auth|cookie|key|token|secret|passw|signature|session|credential", re.IGNORECASE
)
_SHORTEST = 8  # shorter literal text is no secret ("Bearer " is a scheme, not a key)


# Each mapping's secrets, found once: a mapping is immutable, and every call to its buyer asks
# (parsing its templates again cost ~8 µs a buyer a call). An entry goes with its mapping.
_DECLARED: dict[int, tuple[str, ...]] = {}


def declared_secrets(mapping: MappingConfig) -> tuple[str, ...]:
    """The literal text of every secret-named header or body field of the buyer's steps."""
    key = id(mapping)
    found = _DECLARED.get(key)
    if found is None:
        found = _DECLARED[key] = _declared(mapping)
        weakref.finalize(mapping, _DECLARED.pop, key, None)
    return found


def _declared(mapping: MappingConfig) -> tuple[str, ...]:
    found: set[str] = set()
    for step in (mapping.ping, mapping.post):
        if step is None:
            continue
        for name, value in step.headers.items():
            if SECRET_NAME.search(name):
                found.update(_literals(value))
        if step.body is not None:
            found.update(_secret_fields(step.body))
    return tuple(sorted(found, key=len, reverse=True))


def _secret_fields(body: Mapping[str, JsonValue]) -> Iterator[str]:
    for name, value in body.items():
        if isinstance(value, dict):
            yield from _secret_fields(value)
        elif isinstance(value, str) and SECRET_NAME.search(name):
            yield from _literals(value)


def _literals(template: str) -> Iterator[str]:
    try:
        parts = parse(template).parts
    except TemplateError:
        return
    for part in parts:
        if isinstance(part, str) and len(part.strip()) >= _SHORTEST:
            yield part.strip()
