"""Identifiers and timestamps as Pickpost writes them on the wire."""

import secrets
import time


def new_id(prefix: str) -> str:
    """An unguessable id: 128 random bits behind a type prefix (``p_``, ``b_``, ``l_``, ``r_``)."""
    return f"{prefix}_{secrets.token_urlsafe(16)}"


def iso_utc(epoch: float) -> str:
    """``2026-11-27T10:15:00Z``: ISO 8601, UTC, whole seconds."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))
