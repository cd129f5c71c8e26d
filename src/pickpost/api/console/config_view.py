"""A campaign's, buyer's or supplier's configuration as YAML, as the workspace file states it
(defaults left out), with secrets masked: supplier keys and their hashes, every header value a
buyer mapping sends, credentials in URLs and values whose names say they are secret."""

import re
from decimal import Decimal
from enum import Enum
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import yaml
from pydantic import BaseModel

MASK = "•••• (hidden)"
_SECRET_NAME = re.compile(r"key|secret|token|password|passwd|auth|credential|signature", re.I)


def masked(value: Any, name: str = "") -> Any:
    """``value`` with every secret in it replaced by ``MASK``."""
    if name and _SECRET_NAME.search(name) and not isinstance(value, dict | list):
        return MASK
    if isinstance(value, dict):
        if name == "headers":
            return dict.fromkeys(value, MASK)
        return {k: masked(v, str(k)) for k, v in value.items()}
    if isinstance(value, list):
        return [masked(v, name) for v in value]
    if isinstance(value, str) and "://" in value:
        return _masked_url(value)
    return value


def _masked_url(url: str) -> str:
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    netloc = parts.netloc
    if "@" in netloc:
        netloc = f"{MASK}@{netloc.rsplit('@', 1)[1]}"
    query = urlencode(
        [(k, MASK if _SECRET_NAME.search(k) else v) for k, v in parse_qsl(parts.query, True)],
        safe="•() ",
    )
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def plain(value: Any) -> Any:
    """A dumped model's values as YAML writes them in a workspace file: numbers unquoted."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, Enum):
        return value.value
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)  # URLs, times


def as_yaml(config: BaseModel) -> str:
    """The model as YAML, defaults left out and secrets masked."""
    document = plain(config.model_dump(exclude_defaults=True, exclude_none=True))
    return yaml.safe_dump(
        masked(document), sort_keys=False, allow_unicode=True, default_flow_style=False
    )
