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
