"""Identifiers and timestamps as Pickpost writes them on the wire."""

import re
import secrets
import time

# token_urlsafe(16): 16 bytes in unpadded URL-safe base64.
_RANDOM_PART = re.compile(r"[A-Za-z0-9_-]{22}")


def new_id(prefix: str) -> str:
    """An unguessable id: 128 random bits behind a type prefix (``p_``, ``b_``, ``l_``, ``r_``)."""
    return f"{prefix}_{secrets.token_urlsafe(16)}"


def is_id(prefix: str, text: str) -> bool:
    """Whether ``text`` has the form of an id ``new_id(prefix)`` makes (not that it exists)."""
    head, sep, random_part = text.partition("_")
    return head == prefix and bool(sep) and _RANDOM_PART.fullmatch(random_part) is not None


def iso_utc(epoch: float) -> str:
    """``2026-11-27T10:15:00Z``: ISO 8601, UTC, whole seconds."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))
