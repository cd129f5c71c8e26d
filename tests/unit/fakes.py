"""In-memory stand-ins for the ports, for use-case tests without sockets or databases."""

import asyncio
import dataclasses
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from datetime import UTC, datetime

import orjson

from pickpost.buyers.wire import Delivery, InboundResponse, OutboundRequest
from pickpost.domain.audit import AuditEntry, AuditPage, AuditQuery
from pickpost.domain.health import CallSample
from pickpost.domain.lead import (
    ConsentRecord,
    InterruptedLead,
    LeadStatus,
    NewLead,
    PingLog,
    RequestLog,
    SaleAttempt,
    SaleBlocked,
    SaleFinish,
    SaleRecord,
    SaleStatus,
    StoredOutcome,
)
from pickpost.domain.lead_query import LeadPage, LeadQuery
from pickpost.domain.outcomes import BuyerCall, Outcome
from pickpost.domain.people import ApiToken, Role, User
from pickpost.domain.pick import RecordedPick
from pickpost.domain.ping import PingRecord
from pickpost.domain.reports import LeadRollup, ReportQuery, TrafficRollup
from pickpost.domain.returns import (
    KeyKind,
    LeadKey,
    LeadSales,
    ReturnDecision,
    ReturnOpening,
    ReturnRecord,
    ReturnsPage,
    ReturnsQuery,
    ReturnStatus,
    SaleOfLead,
)
from pickpost.domain.revocation import (
    DeliveryState,
    LinkSigner,
    Revoked,
    Withdrawal,
    idempotency_key,
)
from pickpost.domain.sales_query import SalesPage, SalesQuery
from pickpost.infra.counters import MemoryCounters
from pickpost.services.people import People, SessionPolicy
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

    async def send_all(
        self, calls: Sequence[tuple[OutboundRequest, int]], within_s: float | None = None
    ) -> list[Delivery | None]:
        """Each call through ``send``, as a task of its own; one still running ``within_s``
        from now is cut (None). An exception of one call is the whole fan-out's."""
        tasks = [asyncio.create_task(self.send(request, timeout)) for request, timeout in calls]
        done, pending = await asyncio.wait(tasks, timeout=within_s)
        for task in pending:
            task.cancel()
        return [task.result() if task in done else None for task in tasks]


class FakePingStore:
    def __init__(self) -> None:
        self.records: dict[str, PingRecord] = {}

    async def save(self, record: PingRecord, ttl_s: int) -> None:
        self.records[record.ping_id] = record

    async def get(self, ping_id: str) -> PingRecord | None:
        return self.records.get(ping_id)


class MemoryPickStore:
    """Recorded picks in a dict; a second pick for a ping is refused, as the table's key does."""

    def __init__(self) -> None:
        self.picks: dict[str, RecordedPick] = {}

    async def record(self, pick: RecordedPick) -> bool:
        if pick.ping_id in self.picks:
            return False
        self.picks[pick.ping_id] = pick
        return True

    async def find(self, ping_id: str) -> RecordedPick | None:
        return self.picks.get(ping_id)


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
        # The picks recorded: one table with the ledger, as in the database.
        self.picks = MemoryPickStore()

    async def find_outcome(self, ping_id: str) -> StoredOutcome | None:
        if self.blind_lookups:
            self.blind_lookups -= 1
            return None
        return self.by_ping.get(ping_id)

    async def find_outcome_and_pick(
        self, ping_id: str
    ) -> tuple[StoredOutcome | None, RecordedPick | None]:
        return await self.find_outcome(ping_id), await self.picks.find(ping_id)

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

    async def claim_and_start(
        self, lead: NewLead, consent: ConsentRecord, attempt: SaleAttempt
    ) -> int | None:
        if not await self.claim(lead, consent):
            return None
        started = await self.start_sale(attempt)
        assert isinstance(started, int), "a lead just claimed has no sale and is selling"
        return started

    def _selling(self, lead_id: str) -> bool:
        ping_id = self.leads[lead_id].ping_id or ""
        return self.by_ping[ping_id].status is LeadStatus.SELLING

    async def start_sale(
        self, attempt: SaleAttempt, finished: SaleFinish | None = None
    ) -> int | SaleBlocked:
        if finished is not None:
            await self.finish_sale(finished.sale_id, finished.status, finished.call)
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
        self,
        outcome: StoredOutcome,
        payout: int,
        stale_before: float | None = None,
        finished: SaleFinish | None = None,
    ) -> bool:
        if finished is not None:
            await self.finish_sale(finished.sale_id, finished.status, finished.call)
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

    async def read(self, query: AuditQuery) -> AuditPage:
        numbered = list(enumerate(self.entries, start=1))[::-1]
        found = [
            (i, e)
            for i, e in numbered
            if (query.actor is None or e.actor == query.actor)
            and (query.action is None or e.action == query.action)
            and (query.before_id is None or i < query.before_id)
        ]
        page = found[: query.limit]
        more = len(found) > query.limit
        return AuditPage(tuple(page), page[-1][0] if more else None)

    def actions(self) -> list[str]:
        return [e.action for e in self.entries]


class MemoryPeople:
    """Users and tokens in dictionaries."""

    def __init__(self) -> None:
        self.users_by_id: dict[int, User] = {}
        self.hashes: dict[int, str] = {}
        self.token_rows: dict[str, ApiToken] = {}

    async def add_user(
        self, name: str, password_hash: str, role: Role, scope_id: str | None, time_zone: str,
        now: float,
    ) -> User | None:  # fmt: skip
        if await self.user_by_name(name) is not None:
            return None
        user = User(len(self.users_by_id) + 1, name, role, scope_id, time_zone, 0, now)
        self.users_by_id[user.id], self.hashes[user.id] = user, password_hash
        return user

    async def user_by_name(self, name: str) -> User | None:
        return next((u for u in self.users_by_id.values() if u.name == name), None)

    async def user_by_id(self, user_id: int) -> User | None:
        return self.users_by_id.get(user_id)

    async def users(self) -> list[User]:
        return sorted(self.users_by_id.values(), key=lambda u: u.name)

    async def password_hash(self, user_id: int) -> str | None:
        return self.hashes.get(user_id)

    async def update_user(self, user_id: int, **values: object) -> None:
        if "password_hash" in values:
            self.hashes[user_id] = str(values.pop("password_hash"))
        user = self.users_by_id[user_id]
        self.users_by_id[user_id] = dataclasses.replace(user, **values)  # type: ignore[arg-type]

    async def bump_epoch(self, user_id: int) -> None:
        user = self.users_by_id[user_id]
        self.users_by_id[user_id] = dataclasses.replace(user, session_epoch=user.session_epoch + 1)

    async def add_token(
        self, token_id: str, user_id: int, label: str, secret_hash: str, now: float
    ) -> None:
        self.token_rows[token_id] = ApiToken(token_id, user_id, label, secret_hash, now)

    async def token(self, token_id: str) -> ApiToken | None:
        return self.token_rows.get(token_id)

    async def tokens(self, user_id: int | None = None) -> list[ApiToken]:
        return [t for t in self.token_rows.values() if user_id in (None, t.user_id)]

    async def token_used(self, token_id: str, now: float) -> None:
        found = self.token_rows[token_id]
        self.token_rows[token_id] = dataclasses.replace(found, last_used_at=now)

    async def revoke_token(self, token_id: str, now: float) -> bool:
        found = self.token_rows.get(token_id)
        if found is None or found.revoked_at is not None:
            return False
        self.token_rows[token_id] = dataclasses.replace(found, revoked_at=now)
        return True


class PlainPasswords:
    """A fast stand-in for argon2: ``v<version>:<password>``; older versions need a rehash."""

    def __init__(self, version: int = 1) -> None:
        self.version = version

    def hash(self, password: str) -> str:
        return f"v{self.version}:{password}"

    def verify(self, stored: str, password: str) -> bool:
        return stored.partition(":")[2] == password

    def needs_rehash(self, stored: str) -> bool:
        return not stored.startswith(f"v{self.version}:")


FAKE_SESSIONS = SessionPolicy(b"k" * 32, idle_s=3600, absolute_s=86400)


def fake_people(audit: MemoryAuditLog, clock: "FakeClock | None" = None) -> People:
    """People over memory, on a fake clock whose counters move with it."""
    clock = clock or FakeClock(1_800_000_000.0)
    return People(MemoryPeople(), PlainPasswords(), audit, MemoryCounters(clock.monotonic), clock)


@dataclasses.dataclass
class StoredLead:
    """A lead as :class:`MemoryReturns` knows it: its sales, ping and field values."""

    lead: LeadSales
    ping_id: str | None = None
    fields: dict[str, str] = dataclasses.field(default_factory=dict)
    updated_at: float = 0.0


class MemoryReturns:
    """The returns store in memory; a field key matches its value exactly (no hashing)."""

    def __init__(self, *leads: StoredLead) -> None:
        self.leads = {stored.lead.lead_id: stored for stored in leads}
        self.returns: dict[int, ReturnRecord] = {}

    async def find_leads(
        self, key: LeadKey, buyer_id: str | None = None, limit: int = 10
    ) -> list[LeadSales]:
        found = [
            dataclasses.replace(s.lead, sales=tuple(self._marked(s.lead)))
            for s in self.leads.values()
            if _names(key, s) and (buyer_id is None or buyer_id in s.lead.buyer_ids)
        ]
        return found[:limit]

    def _marked(self, lead: LeadSales) -> list[SaleOfLead]:
        taken = {(r.lead_id, r.buyer_id) for r in self.returns.values()}
        return [
            dataclasses.replace(sale, returned=(lead.lead_id, sale.buyer_id) in taken)
            for sale in lead.sales
        ]

    async def open(self, opening: ReturnOpening) -> ReturnRecord | None:
        if any(
            (r.lead_id, r.buyer_id) == (opening.lead_id, opening.buyer_id)
            for r in self.returns.values()
        ):
            return None
        stored = self.leads[opening.lead_id]
        record = ReturnRecord(
            return_id=len(self.returns) + 1,
            lead_id=opening.lead_id,
            buyer_id=opening.buyer_id,
            campaign_id=stored.lead.campaign_id,
            supplier_id=stored.lead.supplier_id,
            reason=opening.reason,
            note=opening.note,
            status=ReturnStatus.OPEN,
            opened_by=opening.opened_by,
            opened_at=opening.opened_at,
            decided_by=None,
            decided_at=None,
            decision_note="",
            credit_cents=0,
            chargeback_cents=0,
        )
        self.returns[record.return_id] = record
        stored.updated_at = opening.opened_at
        return record

    async def decide(self, decision: ReturnDecision) -> ReturnRecord | None:
        current = self.returns.get(decision.return_id)
        if current is None or current.status is not ReturnStatus.OPEN:
            return None
        decided = dataclasses.replace(
            current,
            status=decision.status,
            decided_by=decision.decided_by,
            decided_at=decision.decided_at,
            decision_note=decision.note,
            credit_cents=decision.credit_cents,
            chargeback_cents=decision.chargeback_cents,
        )
        self.returns[decision.return_id] = decided
        self.leads[current.lead_id].updated_at = decision.decided_at
        return decided

    async def get(self, return_id: int) -> ReturnRecord | None:
        return self.returns.get(return_id)

    async def listing(self, query: ReturnsQuery) -> ReturnsPage:
        chosen = [
            r
            for r in sorted(self.returns.values(), key=lambda r: -r.return_id)
            if query.buyer_id in (None, r.buyer_id) and query.supplier_id in (None, r.supplier_id)
        ]
        return ReturnsPage(chosen[: query.limit], None)


def _names(key: LeadKey, stored: StoredLead) -> bool:
    if key.kind is KeyKind.LEAD_ID:
        return stored.lead.lead_id == key.value
    if key.kind is KeyKind.PING_ID:
        return stored.ping_id == key.value
    if key.kind is KeyKind.BID_ID:
        return any(s.bid_id == key.value for s in stored.lead.sales)
    return stored.fields.get(key.field or "") == key.value


class EmptyRollups:
    """Rollups with nothing in them."""

    async def refresh(self) -> int:
        return 0

    async def read(
        self, query: ReportQuery, dimensions: frozenset[str]
    ) -> tuple[list[LeadRollup], list[TrafficRollup]]:
        return [], []


class NothingToFlush:
    async def flush(self) -> None:
        pass


class NoLeads:
    """A lead list with no leads."""

    async def page(self, query: LeadQuery) -> LeadPage:
        return LeadPage([], None)

    async def details(self, lead_ids: list[str]) -> dict[str, dict[str, object]]:
        return {}

    async def stream(self, query: LeadQuery) -> AsyncIterator[dict[str, object]]:
        for lead in (await self.page(query)).leads:
            yield lead


class NoCalls:
    """No buyer calls recorded."""

    async def since(self, moment: float, limit: int) -> list[CallSample]:
        return []


class NoConsent:
    """The consent ledger with no lead in it."""

    async def bundle(self, lead_id: str) -> dict[str, object] | None:
        return None


FAKE_LINKS = LinkSigner(b"k" * 32)


@dataclasses.dataclass
class _Outboxed:
    revoked: Revoked
    state: str = DeliveryState.PENDING.value
    next_at: float = 0.0
    owner: str | None = None
    until: float = 0.0
    error: str = ""


class MemoryRevocations:
    """The revocation outbox in memory: one row per sold sale given to :meth:`sold`."""

    def __init__(self) -> None:
        self.sales: dict[str, list[tuple[int, str, str]]] = {}  # lead: (sale, campaign, buyer)
        self.rows: dict[int, _Outboxed] = {}
        self.entries: list[tuple[str, str, int | None]] = []  # (lead, kind, sale id)

    def sold(self, lead_id: str, campaign_id: str, sale_id: int, buyer_id: str) -> None:
        self.sales.setdefault(lead_id, []).append((sale_id, campaign_id, buyer_id))

    async def withdraw(self, lead_id: str, now: float) -> Withdrawal:
        if lead_id not in self.sales:
            return Withdrawal.NO_LEAD
        if any(e[:2] == (lead_id, "revocation_requested") for e in self.entries):
            return Withdrawal.ALREADY
        self.entries.append((lead_id, "revocation_requested", None))
        at = datetime.fromtimestamp(now, UTC)
        for sale_id, campaign_id, buyer_id in self.sales[lead_id]:
            key = idempotency_key(lead_id, sale_id)
            revoked = Revoked(lead_id, campaign_id, sale_id, buyer_id, f"b{sale_id}", at, key)
            self.rows[sale_id] = _Outboxed(revoked, next_at=now)
        return Withdrawal.RECORDED

    async def states(self, lead_id: str) -> list[dict[str, object]]:
        return [
            {"sale_id": sale_id, "state": row.state, "buyer_id": row.revoked.buyer_id}
            for sale_id, row in sorted(self.rows.items())
            if row.revoked.lead_id == lead_id
        ]

    async def lease_due(self, owner: str, now: float, lease_s: float, limit: int) -> list[Revoked]:
        taken: list[Revoked] = []
        for row in self.rows.values():
            due = row.next_at <= now and row.until <= now
            if row.state == DeliveryState.PENDING.value and due and len(taken) < limit:
                row.owner, row.until = owner, now + lease_s
                taken.append(row.revoked)
        return taken

    def _mine(self, revoked: Revoked, owner: str) -> _Outboxed | None:
        row = self.rows[revoked.sale_id]
        return row if row.owner == owner and row.state == DeliveryState.PENDING.value else None

    async def delivered(self, revoked: Revoked, owner: str, now: float) -> bool:
        row = self._mine(revoked, owner)
        if row is None:
            return False
        row.state, row.owner, row.until = DeliveryState.DELIVERED.value, None, 0.0
        self.entries.append((revoked.lead_id, "revocation_delivered", revoked.sale_id))
        return True

    async def failed(self, revoked: Revoked, owner: str, next_at: float, error: str) -> None:
        row = self._mine(revoked, owner)
        if row is not None:
            row.revoked = dataclasses.replace(revoked, attempts=revoked.attempts + 1)
            row.next_at, row.owner, row.until, row.error = next_at, None, 0.0, error

    async def no_channel(self, revoked: Revoked, owner: str) -> None:
        row = self._mine(revoked, owner)
        if row is not None:
            row.state, row.owner, row.until = DeliveryState.NO_CHANNEL.value, None, 0.0
