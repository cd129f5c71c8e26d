"""Who may see and do what: the roles of the console and the data API.

A ``Principal`` is whoever a request acts for (a signed-in user, a user's API token, or the
bootstrap owner token). Supplier and buyer roles are scoped: they see only the leads, stats
and returns of their own supplier or buyer.
"""

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    OWNER = "owner"  # everything, people included
    ADMIN = "admin"  # everything but people
    ANALYST = "analyst"  # reads everything, changes nothing
    SUPPLIER = "supplier"  # reads its own supplier's leads and stats
    BUYER = "buyer"  # reads its own buyer's leads and stats, opens returns on them

    @property
    def scoped(self) -> bool:
        return self in (Role.SUPPLIER, Role.BUYER)


@dataclass(frozen=True, slots=True)
class Principal:
    name: str
    role: Role
    scope_id: str | None = None  # the supplier or buyer id of a scoped role
    time_zone: str = "UTC"
    user_id: int | None = None  # None for the bootstrap owner token

    @property
    def manages_people(self) -> bool:
        return self.role is Role.OWNER

    @property
    def operates(self) -> bool:
        """May change what the exchange does: pause, resume, decide returns, archive."""
        return self.role in (Role.OWNER, Role.ADMIN)

    @property
    def sees_everything(self) -> bool:
        return not self.role.scoped

    @property
    def supplier_scope(self) -> str | None:
        """The only supplier this principal may see, or None when it is not so limited."""
        return self.scope_id if self.role is Role.SUPPLIER else None

    @property
    def buyer_scope(self) -> str | None:
        """The only buyer this principal may see, or None when it is not so limited."""
        return self.scope_id if self.role is Role.BUYER else None

    def sees_lead(self, supplier_id: str, buyer_ids: frozenset[str]) -> bool:
        """Whether a lead of ``supplier_id``, sold or offered to ``buyer_ids``, is visible."""
        if self.role is Role.SUPPLIER:
            return supplier_id == self.scope_id
        if self.role is Role.BUYER:
            return self.scope_id in buyer_ids
        return True

    def may_open_return(self, buyer_id: str) -> bool:
        return self.operates or (self.role is Role.BUYER and buyer_id == self.scope_id)


BOOTSTRAP_OWNER = Principal(name="bootstrap token", role=Role.OWNER)


@dataclass(frozen=True, slots=True)
class User:
    """A person who signs in to the console (or whose API tokens call the admin API)."""

    id: int
    name: str
    role: Role
    scope_id: str | None
    time_zone: str
    session_epoch: int  # sessions signed with an older epoch are refused
    created_at: float
    disabled_at: float | None = None

    @property
    def disabled(self) -> bool:
        return self.disabled_at is not None

    def principal(self) -> Principal:
        return Principal(self.name, self.role, self.scope_id, self.time_zone, self.id)


@dataclass(frozen=True, slots=True)
class ApiToken:
    """A user's API token as stored: only a hash of its secret is kept."""

    id: str
    user_id: int
    label: str
    secret_hash: str
    created_at: float
    last_used_at: float | None = None
    revoked_at: float | None = None


class PeopleError(ValueError):
    """A change to people refused, with a message for the person who asked."""


def check_scope(role: Role, scope_id: str | None) -> None:
    """A supplier or buyer role names the one it sees; the others name none."""
    if role.scoped and not scope_id:
        raise PeopleError(f"a {role} user needs a scope (--scope): the id of its {role}")
    if not role.scoped and scope_id:
        raise PeopleError(f"an {role} user sees everything: it takes no scope")
