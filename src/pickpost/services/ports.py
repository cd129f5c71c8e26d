"""The contracts between the use cases and the outside world, all in one place: the buyers'
transport, the stores (pings, leads, logs, counters, campaigns), the operators' views and
controls, the write-behind recorder, and the clock."""

import time
from collections.abc import AsyncIterator, Iterable, Sequence
from typing import Literal, Protocol

from pickpost.buyers.wire import Delivery, OutboundRequest
from pickpost.domain.audit import AuditEntry, AuditPage, AuditQuery
from pickpost.domain.caps import Charge
from pickpost.domain.catalog import Catalog
from pickpost.domain.health import CallSample
from pickpost.domain.lead import (
    ConsentRecord,
    InterruptedLead,
    NewLead,
    PingLog,
    RequestLog,
    SaleAttempt,
    SaleBlocked,
    SaleFinish,
    StoredOutcome,
)
from pickpost.domain.lead_query import LeadPage, LeadQuery
from pickpost.domain.outcomes import BuyerCall
from pickpost.domain.people import ApiToken, Role, User
from pickpost.domain.pick import RecordedPick
from pickpost.domain.ping import PingRecord
from pickpost.domain.reports import LeadRollup, ReportQuery, TrafficRollup
from pickpost.domain.returns import (
    LeadKey,
    LeadSales,
    ReturnDecision,
    ReturnOpening,
    ReturnRecord,
    ReturnsPage,
    ReturnsQuery,
)
from pickpost.domain.sales_query import SalesPage, SalesQuery
from pickpost.domain.traffic import Delta, Event, TrafficKey


class BuyerTransport(Protocol):
    async def send(self, request: OutboundRequest, timeout_ms: int) -> Delivery:
        """Send and wait at most ``timeout_ms``; never raises for network or buyer faults."""
        ...

    async def send_all(
        self, calls: Sequence[tuple[OutboundRequest, int]], within_s: float | None = None
    ) -> list[Delivery | None]:
        """Send every ``(request, timeout_ms)`` at once, each within its own timeout, and
        give each call's ``Delivery`` in order; never raises for network or buyer faults.
        A call still unanswered ``within_s`` from now is cut: ``None`` in its place."""
        ...


class PingStore(Protocol):
    async def save(self, record: PingRecord, ttl_s: int) -> None: ...
    async def get(self, ping_id: str) -> PingRecord | None: ...


class PickStore(Protocol):
    """Picks recorded by the pick widget or page (one per ping)."""

    async def record(self, pick: RecordedPick) -> bool:
        """Store ``pick``; False when its ping has a pick already (the token was used)."""
        ...

    async def find(self, ping_id: str) -> RecordedPick | None:
        """The pick recorded for a ping, its personal values opened."""
        ...


class LeadStore(Protocol):
    async def find_outcome(self, ping_id: str) -> StoredOutcome | None:
        """The POST outcome for a ping, if one was claimed (status SELLING while it runs)."""
        ...

    async def find_outcome_and_pick(
        self, ping_id: str
    ) -> tuple[StoredOutcome | None, RecordedPick | None]:
        """:meth:`find_outcome` and the pick recorded for the ping (:meth:`PickStore.find`) in
        one read: what a One-to-One POST looks up first."""
        ...

    async def find_ping(self, ping_id: str) -> PingRecord | None:
        """A ping as recorded in the database (the ping store forgets; the ledger does not)."""
        ...

    async def claim(self, lead: NewLead, consent: ConsentRecord) -> bool:
        """Store lead and consent as the one POST of its ping; False if another got there."""
        ...

    async def claim_and_start(
        self, lead: NewLead, consent: ConsentRecord, attempt: SaleAttempt
    ) -> int | None:
        """:meth:`claim` and :meth:`start_sale` of the lead's first sale in one transaction:
        the sale's id; None, and nothing written, if another POST of the ping got there."""
        ...

    async def start_sale(
        self, attempt: SaleAttempt, finished: SaleFinish | None = None
    ) -> int | SaleBlocked:
        """Reserve the (lead, buyer) sale before calling the buyer, and mark the lead as making
        progress (what tells a live sale from a dead one). Blocked when the sale exists, or when
        the lead is no longer selling (a retry settled it).

        ``finished``: the lead's previous sale's answer, recorded with the start (one
        transaction) and recorded whatever the start's fate, blocked included. When the call
        raises, no sale was started and the answer is taken as not recorded (it is not, but
        for a second failure on a rare path: after a refused start, the answer written alone
        and the start retried alone)."""
        ...

    async def finish_lead(
        self,
        outcome: StoredOutcome,
        payout: int,
        stale_before: float | None = None,
        finished: SaleFinish | None = None,
    ) -> bool:
        """Store the POST's answer on a lead still selling (False if it no longer was) and
        mark its still-pending sales unknown: the answer is what replays will return. With
        ``stale_before`` (epoch seconds), only if the lead made no progress since then: a
        settler never overwrites a sale that is still going.

        ``finished``: the lead's last sale's answer, recorded with the outcome (one
        transaction) whether or not the lead was still selling; that sale is not cut off. When
        the call raises, the answer is taken as not recorded (it is not, but for a second
        failure on a rare path: the answer written alone first, when it cannot go in one
        statement)."""
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


class LeadList(Protocol):
    """The lead list, newest first."""

    async def page(self, query: LeadQuery) -> LeadPage: ...

    async def details(self, lead_ids: list[str]) -> dict[str, dict[str, object]]:
        """Fields (opened), the supplier's answer, sales and approved returns of these leads."""
        ...

    def stream(self, query: LeadQuery) -> AsyncIterator[dict[str, object]]:
        """Every matching lead, in constant memory whatever their number."""
        ...


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

    async def read(self, query: AuditQuery) -> AuditPage:
        """The entries matching ``query``, newest first."""
        ...


class PeopleStore(Protocol):
    """Users and their API tokens (only a hash of a token's secret is stored)."""

    async def add_user(
        self,
        name: str,
        password_hash: str,
        role: Role,
        scope_id: str | None,
        time_zone: str,
        now: float,
    ) -> User | None:
        """The new user, or None when the name is taken."""
        ...

    async def user_by_name(self, name: str) -> User | None: ...
    async def user_by_id(self, user_id: int) -> User | None: ...
    async def users(self) -> list[User]: ...
    async def password_hash(self, user_id: int) -> str | None: ...

    async def update_user(self, user_id: int, **values: object) -> None:
        """Set columns of a user: role, scope_id, time_zone, password_hash, disabled_at."""
        ...

    async def bump_epoch(self, user_id: int) -> None:
        """Sign the user out everywhere: sessions of the old epoch are refused."""
        ...

    async def add_token(
        self, token_id: str, user_id: int, label: str, secret_hash: str, now: float
    ) -> None: ...
    async def token(self, token_id: str) -> ApiToken | None: ...
    async def tokens(self, user_id: int | None = None) -> list[ApiToken]: ...
    async def token_used(self, token_id: str, now: float) -> None: ...

    async def revoke_token(self, token_id: str, now: float) -> bool:
        """False when there is no such live token."""
        ...


class Passwords(Protocol):
    def hash(self, password: str) -> str: ...
    def verify(self, stored: str, password: str) -> bool: ...
    def needs_rehash(self, stored: str) -> bool: ...


class ReturnStore(Protocol):
    """Returns of sold leads; each write marks its lead changed for the rollups."""

    async def find_leads(
        self, key: LeadKey, buyer_id: str | None = None, limit: int = 10
    ) -> list[LeadSales]:
        """The leads ``key`` names (at most ``limit``), each with all its sales; with
        ``buyer_id``, only leads that buyer was offered."""
        ...

    async def open(self, opening: ReturnOpening) -> ReturnRecord | None:
        """The return opened, or None when the sale has one already."""
        ...

    async def decide(self, decision: ReturnDecision) -> ReturnRecord | None:
        """The return decided, or None when it was not open (any more)."""
        ...

    async def get(self, return_id: int) -> ReturnRecord | None: ...

    async def listing(self, query: ReturnsQuery) -> ReturnsPage:
        """Returns matching ``query``, newest opened first."""
        ...


class TrafficStore(Protocol):
    async def add(self, deltas: dict[TrafficKey, Delta]) -> None:
        """Add each delta into its traffic rollup row, all or none."""
        ...


class TrafficCounts(Protocol):
    """Where the supplier services count what no ledger row will show (pings, buyers'
    answers to pings, refused requests): in memory, never a round trip."""

    def count(self, events: Iterable[Event]) -> None: ...


class NoTrafficCounts:
    """Counts nothing: for use cases built without reports (tests, tools)."""

    def count(self, events: Iterable[Event]) -> None:
        pass


NO_TRAFFIC_COUNTS = NoTrafficCounts()


class TrafficFlush(Protocol):
    async def flush(self) -> None:
        """Write every count taken so far."""
        ...


class RollupSource(Protocol):
    """The rollups reports read."""

    async def refresh(self) -> int:
        """Recompute the lead rollups of every bucket whose leads changed since the last
        refresh; the number of buckets recomputed."""
        ...

    async def read(
        self, query: ReportQuery, dimensions: frozenset[str]
    ) -> tuple[list[LeadRollup], list[TrafficRollup]]:
        """Rollup rows matching ``query``, summed over every dimension not in ``dimensions``
        (of bucket, campaign, supplier, buyer)."""
        ...


class CounterStore(Protocol):
    """Shared counters for caps, rotations and duplicate marks (Redis, SQL or in-process)."""

    async def charge(self, charges: Sequence[Charge]) -> Charge | None:
        """Apply every charge, or none: returns None when applied, else the first charge (in
        the given order) that would take its counter above its limit."""
        ...

    async def values(self, charges: Sequence[Charge]) -> dict[str, int]:
        """The live values of the charges' counters (absent or expired ones left out)."""
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


class CallSamples(Protocol):
    """Recent buyer calls, for live health."""

    async def since(self, moment: float, limit: int) -> list[CallSample]:
        """Up to ``limit`` calls started at or after ``moment`` (epoch seconds), newest first."""
        ...


class ConsentEvidence(Protocol):
    """The consent ledger as operators read it (docs/consent.md)."""

    async def bundle(self, lead_id: str) -> dict[str, object] | None:
        """A lead's consent record, ledger entries and their proof; None for no such lead."""
        ...
