"""In-memory stand-ins for the ports, for use-case tests without sockets or databases."""

import asyncio
import time
from collections.abc import Awaitable, Callable

import orjson

from pickpost.buyers.wire import Delivery, InboundResponse, OutboundRequest
from pickpost.domain.audit import AuditEntry
from pickpost.domain.lead import (
    ConsentRecord,
    InterruptedLead,
    LeadStatus,
    NewLead,
    PingLog,
    RequestLog,
    SaleAttempt,
    SaleBlocked,
    SaleRecord,
    SaleStatus,
    StoredOutcome,
)
from pickpost.domain.outcomes import BuyerCall, Outcome
from pickpost.domain.ping import PingRecord
from pickpost.domain.sales_query import SalesPage, SalesQuery
from pickpost.services.ports import PausableKind

Handler = Callable[[OutboundRequest, int], Awaitable[InboundResponse | None]]


def answer(status: int, body: object = None) -> InboundResponse:
    return InboundResponse(status, b"" if body is None else orjson.dumps(body))


class Unreachable(Exception):
    """Raised by a handler for a buyer no connection reaches: the request never leaves."""


class FakeTransport:
    """Calls ``handler(request, timeout_ms)``; None from it means the buyer never answered,
    :class:`Unreachable` that it could not be reached."""

    def __init__(self, handler: Handler, events: list[str] | None = None) -> None:
        self._handler = handler
        self.sent: list[tuple[OutboundRequest, int]] = []
        self.events = events if events is not None else []

    async def send(self, request: OutboundRequest, timeout_ms: int) -> Delivery:
        self.sent.append((request, timeout_ms))
        self.events.append(f"send {request.url}")
        started = time.time()
        try:
            async with asyncio.timeout(timeout_ms / 1000):
                response = await self._handler(request, timeout_ms)
                if response is None:
                    await asyncio.Event().wait()
        except TimeoutError:
            return Delivery(started, float(timeout_ms), failure=Outcome.TIMEOUT, reason="timeout")
        except Unreachable:
            reason = "cannot connect: refused"
            return Delivery(started, 1.0, failure=Outcome.ERROR, reason=reason, sent=False)
        assert response is not None
        return Delivery(started, 1.0, response=response)


class FakePingStore:
    def __init__(self) -> None:
        self.records: dict[str, PingRecord] = {}

    async def save(self, record: PingRecord, ttl_s: int) -> None:
        self.records[record.ping_id] = record

    async def get(self, ping_id: str) -> PingRecord | None:
        return self.records.get(ping_id)


class FakeRecorder:
    def __init__(self) -> None:
        self.pings: list[PingLog] = []
        self.requests: list[RequestLog] = []

    def ping(self, log: PingLog) -> None:
        self.pings.append(log)

    def request(self, log: RequestLog) -> None:
        self.requests.append(log)


class FlushingRecorder(FakeRecorder):
    """A recorder the app can flush at shutdown, as it flushes the real one."""

    async def flush(self) -> None:
        return None


class FakeLeadStore:
    """Keeps the ledger in dicts, with the same uniqueness rules as the schema."""

    def __init__(self, events: list[str] | None = None) -> None:
        self.events = events if events is not None else []
        self.leads: dict[str, NewLead] = {}
        self.by_ping: dict[str, StoredOutcome] = {}
        self.consents: dict[str, ConsentRecord] = {}
        self.sales: dict[int, tuple[SaleAttempt, SaleStatus]] = {}
        self.calls: list[BuyerCall] = []
        self.recorded_pings: dict[str, PingRecord] = {}
        self.blind_lookups = 0  # lookups that miss, as when a concurrent POST has not committed
        self.progress: dict[str, float] = {}  # lead id -> its last change (epoch seconds)

    async def find_outcome(self, ping_id: str) -> StoredOutcome | None:
        if self.blind_lookups:
            self.blind_lookups -= 1
            return None
        return self.by_ping.get(ping_id)

    async def find_ping(self, ping_id: str) -> PingRecord | None:
        return self.recorded_pings.get(ping_id)

    async def claim(self, lead: NewLead, consent: ConsentRecord) -> bool:
        self.events.append("claim")
        if lead.ping_id in self.by_ping:
            return False
        self.leads[lead.lead_id] = lead
        self.consents[lead.lead_id] = consent
        assert lead.ping_id is not None
        self.by_ping[lead.ping_id] = StoredOutcome(
            lead.lead_id,
            lead.campaign_id,
            lead.supplier_id,
            LeadStatus.SELLING,
            since=lead.created_at,
        )
        self.progress[lead.lead_id] = lead.created_at
        return True

    def _selling(self, lead_id: str) -> bool:
        ping_id = self.leads[lead_id].ping_id or ""
        return self.by_ping[ping_id].status is LeadStatus.SELLING

    async def start_sale(self, attempt: SaleAttempt) -> int | SaleBlocked:
        if not self._selling(attempt.lead_id):
            return SaleBlocked.SETTLED
        taken = {(a.lead_id, a.buyer_id) for a, _ in self.sales.values()}
        if (attempt.lead_id, attempt.buyer_id) in taken:
            return SaleBlocked.TAKEN
        sale_id = len(self.sales) + 1
        self.sales[sale_id] = (attempt, SaleStatus.PENDING)
        self.progress[attempt.lead_id] = attempt.created_at
        return sale_id

    async def finish_sale(self, sale_id: int, status: SaleStatus, call: BuyerCall) -> None:
        attempt = self.sales[sale_id][0]
        self.sales[sale_id] = (attempt, status)
        self.calls.append(call)
        if self._selling(attempt.lead_id):
            # The seller's clock, as the sale's start: calls are timed by the transport's.
            self.progress[attempt.lead_id] = attempt.created_at

    async def finish_lead(
        self, outcome: StoredOutcome, payout: int, stale_before: float | None = None
    ) -> bool:
        ping_id = self.leads[outcome.lead_id].ping_id
        assert ping_id is not None
        if self.by_ping[ping_id].status is not LeadStatus.SELLING:
            return False
        if stale_before is not None and self.progress[outcome.lead_id] >= stale_before:
            return False
        self.by_ping[ping_id] = outcome
        for sale_id, (attempt, status) in self.sales.items():
            if attempt.lead_id == outcome.lead_id and status is SaleStatus.PENDING:
                self.sales[sale_id] = (attempt, SaleStatus.UNKNOWN)
        return True

    async def interrupted(
        self, before: float, limit: int = 100, lead_id: str | None = None
    ) -> list[InterruptedLead]:
        found = []
        for lead in self.leads.values():
            stale = self.progress[lead.lead_id] < before
            if not self._selling(lead.lead_id) or not stale or lead_id not in (None, lead.lead_id):
                continue
            consent = self.consents[lead.lead_id]
            sales = {
                a.buyer_id: SaleRecord(status, "", a.payout)
                for a, status in self.sales.values()
                if a.lead_id == lead.lead_id
            }
            found.append(
                InterruptedLead(
                    lead.lead_id,
                    lead.campaign_id,
                    lead.supplier_id,
                    consent.bids_shown,
                    consent.bids_picked,
                    sales,
                )
            )
        return found[:limit]

    async def record_calls(self, lead_id: str, calls: list[BuyerCall]) -> None:
        self.calls.extend(calls)


class FakeClock:
    """A clock that moves only when told to."""

    def __init__(self, now: float) -> None:
        self._now = now
        self._monotonic = 1000.0

    def now(self) -> float:
        return self._now

    def monotonic(self) -> float:
        return self._monotonic

    def advance(self, seconds: float) -> None:
        self._now += seconds
        self._monotonic += seconds


class NoViews:
    """The admin API's read models with nothing stored; ``sales`` echoes its query."""

    async def lead(self, lead_id: str) -> dict[str, object] | None:
        return None

    async def ping(self, ping_id: str) -> dict[str, object] | None:
        return None

    async def sales(self, query: SalesQuery) -> SalesPage:
        status = None if query.status is None else query.status.value
        return SalesPage([{"status": status, "limit": query.limit}], None)

    async def find_leads(self, field_name: str, value: str, limit: int) -> list[dict[str, object]]:
        return []


class NoControl:
    """The admin API's pause switch with no campaign to pause: it names the campaign missing."""

    async def set_paused(
        self, campaign_id: str, kind: PausableKind, item_id: str, paused: bool
    ) -> PausableKind | None:
        return "campaign"

    async def set_archived(self, campaign_id: str, archived: bool) -> bool:
        return False


class MemoryAuditLog:
    """The audit log as a list."""

    def __init__(self) -> None:
        self.entries: list[AuditEntry] = []

    async def record(self, entry: AuditEntry) -> None:
        self.entries.append(entry)


class NoConsent:
    """The consent ledger with no lead in it."""

    async def bundle(self, lead_id: str) -> dict[str, object] | None:
        return None
