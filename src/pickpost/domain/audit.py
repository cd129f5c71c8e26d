"""An entry of the audit log: who did what to what, when, and what it was before and after."""

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class AuditEntry:
    actor: str  # a user's name, "bootstrap token", or "cli"
    action: str  # e.g. "sign_in", "pause", "return_approve", "user_add", "workspace_load"
    target: str  # what it acted on, e.g. "campaign solar/buyer acme"
    at: float  # epoch seconds
    before: dict[str, object] | None = None
    after: dict[str, object] | None = None
    remote_addr: str | None = None


@dataclass(frozen=True, slots=True)
class AuditQuery:
    """Which entries to read, newest first: each filter optional; ``before_id`` pages on."""

    actor: str | None = None
    action: str | None = None
    since: float | None = None  # epoch seconds, inclusive
    until: float | None = None  # epoch seconds, exclusive
    before_id: int | None = None
    limit: int = 50


@dataclass(frozen=True, slots=True)
class AuditPage:
    entries: tuple[tuple[int, AuditEntry], ...]  # (id, entry), newest first
    next_before_id: int | None  # the cursor of the next (older) page, None at the end
