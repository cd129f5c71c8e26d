"""The contracts between the use cases and the outside world, all in one place: the buyers'
transport, the stores (pings, leads, logs, counters, campaigns), the operators' views and
controls, the write-behind recorder, and the clock."""

import time
from collections.abc import Sequence
from typing import Literal, Protocol

from pickpost.buyers.wire import Delivery, OutboundRequest
from pickpost.domain.audit import AuditEntry
from pickpost.domain.caps import Charge
from pickpost.domain.catalog import Catalog
from pickpost.domain.lead import (
    ConsentRecord,
    InterruptedLead,
    NewLead,
    PingLog,
    RequestLog,
    SaleAttempt,
    SaleBlocked,
    SaleStatus,
    StoredOutcome,
)
from pickpost.domain.outcomes import BuyerCall
from pickpost.domain.ping import PingRecord
from pickpost.domain.sales_query import SalesPage, SalesQuery


class BuyerTransport(Protocol):
    async def send(self, request: OutboundRequest, timeout_ms: int) -> Delivery:
        """Send and wait at most ``timeout_ms``; never raises for network or buyer faults."""
        ...


class PingStore(Protocol):
    async def save(self, record: PingRecord, ttl_s: int) -> None: ...
    async def get(self, ping_id: str) -> PingRecord | None: ...


class LeadStore(Protocol):
    async def find_outcome(self, ping_id: str) -> StoredOutcome | None:
        """The POST outcome for a ping, if one was claimed (status SELLING while it runs)."""
        ...

    async def find_ping(self, ping_id: str) -> PingRecord | None:
        """A ping as recorded in the database (the ping store forgets; the ledger does not)."""
        ...

    async def claim(self, lead: NewLead, consent: ConsentRecord) -> bool:
        """Store lead and consent as the one POST of its ping; False if another got there."""
        ...

    async def start_sale(self, attempt: SaleAttempt) -> int | SaleBlocked:
        """Reserve the (lead, buyer) sale before calling the buyer, and mark the lead as making
        progress (what tells a live sale from a dead one). Blocked when the sale exists, or when
        the lead is no longer selling (a retry settled it)."""
        ...

    async def finish_sale(self, sale_id: int, status: SaleStatus, call: BuyerCall) -> None:
        """Record the buyer's answer; the lead is marked as making progress."""
        ...

    async def finish_lead(
        self, outcome: StoredOutcome, payout: int, stale_before: float | None = None
    ) -> bool:
        """Store the POST's answer on a lead still selling (False if it no longer was) and
        mark its still-pending sales unknown: the answer is what replays will return. With
        ``stale_before`` (epoch seconds), only if the lead made no progress since then: a
        settler never overwrites a sale that is still going."""
        ...

    async def interrupted(
        self, before: float, limit: int = 100, lead_id: str | None = None
    ) -> list[InterruptedLead]:
        """Leads still selling whose last change is older than ``before`` (epoch seconds);
        with ``lead_id``, that lead only."""
        ...

    async def record_calls(self, lead_id: str, calls: list[BuyerCall]) -> None:
        """Calls of a POST that reserved no sale (skipped bids)."""
        ...


class LogStore(Protocol):
    async def write_logs(
        self, pings: Sequence[PingLog], requests: Sequence[RequestLog]
    ) -> None: ...


class AdminViews(Protocol):
    """Read models for operators: everything recorded about a lead or a ping."""

    async def lead(self, lead_id: str) -> dict[str, object] | None: ...
    async def ping(self, ping_id: str) -> dict[str, object] | None: ...
    async def sales(self, query: SalesQuery) -> SalesPage: ...
    async def find_leads(
        self, field_name: str, value: str, limit: int
    ) -> list[dict[str, object]]: ...


PausableKind = Literal["campaign", "buyer", "supplier"]


class WorkspaceControl(Protocol):
    """Operator switches on the stored workspace, served by every node at its next refresh."""

    async def set_paused(
        self, campaign_id: str, kind: PausableKind, item_id: str, paused: bool
    ) -> PausableKind | None:
        """Pause or resume; what does not exist (the campaign, or its buyer or supplier), if
        anything."""
        ...

    async def set_archived(self, campaign_id: str, archived: bool) -> bool:
        """Archive or restore a campaign; False when there is no such campaign."""
        ...


class Recorder(Protocol):
    """Write-behind for logs that must not slow the response."""

    def ping(self, log: PingLog) -> None: ...
    def request(self, log: RequestLog) -> None: ...


class FlushableRecorder(Recorder, Protocol):
    async def flush(self) -> None: ...


class AuditLog(Protocol):
    """The audit log of operator actions (sign-in, pause, resume, return decisions, people)."""

    async def record(self, entry: AuditEntry) -> None: ...


class CounterStore(Protocol):
    """Shared counters for caps, rotations and duplicate marks (Redis, SQL or in-process)."""

    async def charge(self, charges: Sequence[Charge]) -> Charge | None:
        """Apply every charge, or none: returns None when applied, else the first charge (in
        the given order) that would take its counter above its limit."""
        ...

    async def exceeded(self, charges: Sequence[Charge]) -> Charge | None:
        """The first charge that would take its counter above its limit, changing nothing:
        an advisory check (the charge itself is what holds the cap)."""
        ...

    async def exceeded_each(self, groups: Sequence[Sequence[Charge]]) -> list[Charge | None]:
        """:meth:`exceeded` for each group of charges, from one read of the counters."""
        ...

    async def refund(self, charges: Sequence[Charge]) -> None:
        """Take back charges applied earlier (a sale that failed after reserving its caps).
        A counter that has expired since stays gone."""
        ...

    async def next_in_sequence(self, key: str) -> int:
        """0, 1, 2, … on successive calls for ``key``: the rotation number of a distribution."""
        ...

    async def first_seen(self, key: str, ttl_s: int) -> bool:
        """True if ``key`` is not marked, and marks it for ``ttl_s`` seconds; False if it is
        marked already (the mark keeps its original expiry). Used for duplicate checks."""
        ...

    async def forget(self, key: str) -> None:
        """Remove a mark (a buyer's duplicate mark for a sale that did not happen)."""
        ...


class CatalogSource(Protocol):
    async def version(self) -> str:
        """A fingerprint of the stored campaigns that changes whenever any of them does."""
        ...

    async def load(self) -> Catalog: ...


class Clock(Protocol):
    """What time it is: use cases ask this rather than the ``time`` module, so tests move it."""

    def now(self) -> float:
        """Epoch seconds: when something happened, as recorded and compared with stored times."""
        ...

    def monotonic(self) -> float:
        """Seconds that only go forward: for deadlines and durations."""
        ...


class SystemClock:
    """The machine's clock."""

    def now(self) -> float:
        return time.time()

    def monotonic(self) -> float:
        return time.monotonic()


SYSTEM_CLOCK = SystemClock()


class ConsentEvidence(Protocol):
    """The consent ledger as operators read it (docs/consent.md)."""

    async def bundle(self, lead_id: str) -> dict[str, object] | None:
        """A lead's consent record, ledger entries and their proof; None for no such lead."""
        ...
