"""Which leads an operator lists, newest first, and where a page of them ends.

Leads are listed by ``(created_at, id)`` descending: a page ends at a position and the next
starts strictly after it, so leads arriving while someone pages join the top of the list
instead of shifting the pages already read.
"""

from dataclasses import dataclass, replace
from datetime import datetime

from pickpost.domain.people import Principal
from pickpost.domain.reports import NOBODY, LeadTestFilter


@dataclass(frozen=True, slots=True)
class LeadPosition:
    """A lead's place in the listing order."""

    created_at: datetime  # UTC
    lead_id: str


@dataclass(frozen=True, slots=True)
class LeadQuery:
    """Every filter is optional and they all hold together; ``fields`` match exactly (after
    each field's normalisation) through the keyed lookup hashes of personal fields."""

    lead_id: str | None = None
    ping_id: str | None = None
    fields: tuple[tuple[str, str], ...] = ()  # (field name, value)
    campaigns: frozenset[str] = frozenset()
    suppliers: frozenset[str] = frozenset()
    buyers: frozenset[str] = frozenset()  # leads with a sale (of any status) to one of these
    statuses: frozenset[str] = frozenset()
    test: LeadTestFilter = LeadTestFilter.INCLUDE
    since: datetime | None = None  # UTC, inclusive
    until: datetime | None = None  # UTC, exclusive
    after: LeadPosition | None = None
    limit: int = 100

    def scoped(self, principal: Principal) -> "LeadQuery":
        """The query as ``principal`` may ask it: a supplier or buyer sees its own only."""
        if principal.supplier_scope is not None:
            return replace(self, suppliers=_only(self.suppliers, principal.supplier_scope))
        if principal.buyer_scope is not None:
            return replace(self, buyers=_only(self.buyers, principal.buyer_scope))
        return self


def _only(asked: frozenset[str], own: str) -> frozenset[str]:
    if not asked:
        return frozenset({own})
    return frozenset({own}) if own in asked else frozenset({NOBODY})


@dataclass(frozen=True, slots=True)
class LeadPage:
    leads: list[dict[str, object]]
    next: LeadPosition | None  # None: nothing was left after this page when it was read
