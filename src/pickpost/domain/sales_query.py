"""Which sales an operator asks to see, and where a page of them ends.

Sales are listed in the order they were started, ``(created_at, id)``: a page ends at a
position, and the next page starts strictly after it, so sales recorded while an operator pages
through join the end of the list instead of shifting the pages already read.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from pickpost.domain.lead import SaleStatus


@dataclass(frozen=True, slots=True)
class SalePosition:
    """A sale's place in the listing order."""

    created_at: datetime  # UTC
    sale_id: int


@dataclass(frozen=True, slots=True)
class SalesQuery:
    """Every filter is optional; ``since`` is inclusive, ``until`` exclusive."""

    status: SaleStatus | None = None
    campaign_id: str | None = None
    buyer_id: str | None = None
    since: datetime | None = None  # UTC
    until: datetime | None = None  # UTC
    after: SalePosition | None = None
    limit: int = 100


@dataclass(frozen=True, slots=True)
class SalesPage:
    sales: Sequence[dict[str, object]]
    next: SalePosition | None  # None: nothing was left after this page when it was read
