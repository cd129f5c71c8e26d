"""The contracts between the use cases and the outside world."""

from collections.abc import Sequence
from typing import Literal, Protocol

from pickpost.buyers.wire import Delivery, OutboundRequest
from pickpost.domain.lead import (
    ConsentRecord,
    InterruptedLead,
    NewLead,
    PingLog,
    RequestLog,
    SaleAttempt,
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

    async def start_sale(self, attempt: SaleAttempt) -> int | None:
        """Reserve the (lead, buyer) sale before calling the buyer; None if it exists."""
        ...

    async def finish_sale(self, sale_id: int, status: SaleStatus, call: BuyerCall) -> None: ...

    async def finish_lead(self, outcome: StoredOutcome, payout: int) -> bool:
        """Store the POST's answer on a lead still selling (False if it no longer was) and
        mark its still-pending sales unknown: the answer is what replays will return."""
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


class Recorder(Protocol):
    """Write-behind for logs that must not slow the response."""

    def ping(self, log: PingLog) -> None: ...
    def request(self, log: RequestLog) -> None: ...
