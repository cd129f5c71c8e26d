"""Prometheus metrics, derived from what Pickpost records anyway: the request and ping logs,
the post-step buyer calls the ledger stores, and the catalog reads.

With several worker processes, ``PROMETHEUS_MULTIPROC_DIR`` (set by ``pickpost serve``)
makes every process write its samples there, and a scrape of any of them shows the node. In one
process, the counters and histograms of the request path are kept in plain numbers instead
(``infra/local_metrics.py``): the same families on a scrape, for a fraction of the CPU.
"""

import os
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Generic, Protocol, TypeVar

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.metrics import MetricWrapperBase

from pickpost.domain.catalog import Catalog
from pickpost.domain.lead import (
    PingLog,
    RequestLog,
    SaleAttempt,
    SaleBlocked,
    SaleFinish,
    StoredOutcome,
)
from pickpost.domain.outcomes import BuyerCall, CallStep, Outcome
from pickpost.infra.local_metrics import LocalCounter, LocalHistogram
from pickpost.infra.sql.leads import SqlLeadStore
from pickpost.services.ports import CatalogSource

if TYPE_CHECKING:  # the runtime module imports the use cases, which need not load here
    from pickpost.services.ports import FlushableRecorder

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
# Read once, as prometheus_client reads it when imported: its metrics then write to files.
MULTIPROCESS = bool(os.environ.get(MULTIPROC_ENV))

S = TypeVar("S", covariant=True)
M = TypeVar("M", bound=MetricWrapperBase)


class Counts(Protocol):
    def inc(self, amount: float = 1) -> None: ...


class Observes(Protocol):
    def observe(self, amount: float) -> None: ...


class Family(Protocol[S]):
    """A labelled metric: ``labels(*values)`` is its series for those label values."""

    def labels(self, *values: str) -> S: ...


class _Shared(Generic[M]):
    """A prometheus_client metric whose series are looked up once: its ``labels()`` checks and
    joins its arguments under a lock at every call. The labels come from bounded sets (the
    catalog's buyers, steps, outcomes, endpoints, envelope codes, admission verdicts)."""

    def __init__(self, metric: M) -> None:
        self._metric = metric
        self._series: dict[tuple[str, ...], M] = {}

    def labels(self, *values: str) -> M:
        found = self._series.get(values)
        if found is None:
            found = self._series[values] = self._metric.labels(*values) if values else self._metric
        return found


def counter(name: str, documentation: str, labelnames: Sequence[str] = ()) -> Family[Counts]:
    if MULTIPROCESS:
        return _Shared(Counter(name, documentation, labelnames))
    return LocalCounter(name, documentation, labelnames, REGISTRY)


def histogram(
    name: str, documentation: str, labelnames: Sequence[str] = (), *, buckets: Sequence[float]
) -> Family[Observes]:
    if MULTIPROCESS:
        return _Shared(Histogram(name, documentation, labelnames, buckets=buckets))
    return LocalHistogram(name, documentation, labelnames, REGISTRY, buckets)


_SECONDS = (0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5)
_OVERHEAD = (0.00025, 0.0005, 0.001, 0.002, 0.003, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1)

SUPPLIER_REQUESTS = histogram(
    "pickpost_supplier_request_duration_seconds",
    "Supplier API requests, from arrival to the answer, by endpoint and envelope code.",
    ["endpoint", "code"],
    buckets=_SECONDS,
)
PING_OVERHEAD = histogram(  # its one series
    "pickpost_ping_overhead_seconds",
    "PING latency minus the slowest buyer that answered in time: Pickpost's own cost.",
    buckets=_OVERHEAD,
).labels()
BUYER_CALL_LATENCY = histogram(
    "pickpost_buyer_call_duration_seconds",
    "Buyer calls made (skipped ones excluded), by buyer and step.",
    ["buyer_id", "step"],
    buckets=_SECONDS,
)
BUYER_CALLS = counter(
    "pickpost_buyer_calls",
    "Buyer calls by buyer, step and outcome (bid, no_bid, timeout, accepted, skipped, …).",
    ["buyer_id", "step", "outcome"],
)
LOG_ENTRIES_DROPPED = Counter(
    "pickpost_log_entries_dropped",
    "Request or ping log entries not written to the database (logged at ERROR instead).",
)
SUPPLIER_QUEUE_WAIT = histogram(
    "pickpost_supplier_queue_wait_seconds",
    "Supplier API requests: from the server reading the request to its admission decision.",
    ["endpoint"],
    buckets=_OVERHEAD,
)
ADMISSIONS = counter(
    "pickpost_supplier_admissions",
    "Supplier API requests by endpoint and verdict: admitted, or refused with 1090 as busy "
    "(in-flight limit) or late (waited past the queue budget); gone: the client left first.",
    ["endpoint", "verdict"],
)
ADMISSION_LIMIT = Gauge(
    "pickpost_supplier_admission_limit",
    "The adaptive in-flight limit of PINGs (summed over the node's processes).",
    multiprocess_mode="livesum",
)
IN_FLIGHT = Gauge(
    "pickpost_supplier_in_flight",
    "Supplier API requests admitted and not yet answered (summed over the node's processes).",
    multiprocess_mode="livesum",
)
CONNECTIONS_CLOSED = Counter(
    "pickpost_connections_closed",
    "Connections the server closed itself: header_timeout, body_timeout, or over_limit "
    "(past PICKPOST_MAX_CONNECTIONS).",
    ["reason"],
)
CATALOG_REFRESHES = Counter(
    "pickpost_catalog_refreshes",
    "Catalog loads (at start and after each change of the stored campaigns) and failures.",
    ["result"],
)

_UNANSWERED = frozenset({Outcome.TIMEOUT, Outcome.SKIPPED})
# Pings whose request log has not come yet; it follows its ping log at once, so few wait.
_PENDING_LIMIT = 10_000


# Each (buyer, step, outcome)'s call counter and, unless the call was skipped, its latency
# histogram: one lookup per call for both (ten calls a PING).
_CALL_SERIES: dict[tuple[str, CallStep, Outcome], tuple[Counts, Observes | None]] = {}


def _call_series(buyer_id: str, step: CallStep, outcome: Outcome) -> tuple[Counts, Observes | None]:
    count = BUYER_CALLS.labels(buyer_id, step.value, outcome.value)
    if outcome is Outcome.SKIPPED:
        return count, None
    return count, BUYER_CALL_LATENCY.labels(buyer_id, step.value)


def observe_calls(calls: Iterable[BuyerCall]) -> None:
    for call in calls:
        key = (call.buyer_id, call.step, call.outcome)
        found = _CALL_SERIES.get(key)
        if found is None:
            found = _CALL_SERIES[key] = _call_series(*key)
        count, latency = found
        count.inc()
        if latency is not None:
            latency.observe(call.latency_ms / 1000)


class MeteredRecorder:
    """A recorder that observes every log it passes on."""

    def __init__(self, inner: "FlushableRecorder") -> None:
        self._inner = inner
        self._slowest_ms: dict[str, float] = {}  # ping id -> slowest in-time buyer

    def ping(self, log: PingLog) -> None:
        observe_calls(log.calls)
        answered = [c.latency_ms for c in log.calls if c.outcome not in _UNANSWERED]
        if len(self._slowest_ms) >= _PENDING_LIMIT:
            self._slowest_ms.pop(next(iter(self._slowest_ms)))
        self._slowest_ms[log.record.ping_id] = max(answered, default=0.0)
        self._inner.ping(log)

    def request(self, log: RequestLog) -> None:
        SUPPLIER_REQUESTS.labels(log.endpoint, str(log.code)).observe(log.duration_ms / 1000)
        slowest = self._slowest_ms.pop(log.ping_id, None) if log.ping_id else None
        if slowest is not None and log.endpoint == "/ping":
            PING_OVERHEAD.observe(max(0.0, log.duration_ms - slowest) / 1000)
        self._inner.request(log)

    async def flush(self) -> None:
        await self._inner.flush()


class MeteredLeadStore(SqlLeadStore):
    """The ledger, observing the post-step buyer calls it records."""

    async def start_sale(
        self, attempt: SaleAttempt, finished: SaleFinish | None = None
    ) -> int | SaleBlocked:
        if finished is not None:
            observe_calls([finished.call])
        return await super().start_sale(attempt, finished)

    async def finish_lead(
        self,
        outcome: StoredOutcome,
        payout: int,
        stale_before: float | None = None,
        finished: SaleFinish | None = None,
    ) -> bool:
        if finished is not None:
            observe_calls([finished.call])
        return await super().finish_lead(outcome, payout, stale_before, finished)

    async def record_calls(self, lead_id: str, calls: list[BuyerCall]) -> None:
        observe_calls(calls)
        await super().record_calls(lead_id, calls)


class MeteredCatalogSource:
    """A catalog source counting reloads and failures."""

    def __init__(self, inner: CatalogSource) -> None:
        self._inner = inner

    async def version(self) -> str:
        try:
            return await self._inner.version()
        except Exception:
            CATALOG_REFRESHES.labels("failed").inc()
            raise

    async def load(self) -> Catalog:
        try:
            catalog = await self._inner.load()
        except Exception:
            CATALOG_REFRESHES.labels("failed").inc()
            raise
        CATALOG_REFRESHES.labels("loaded").inc()
        return catalog


def exposition() -> tuple[bytes, str]:
    """The scrape body and its content type: this process, or the whole node's processes."""
    registry = REGISTRY
    if MULTIPROCESS:
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    return generate_latest(registry), CONTENT_TYPE_LATEST
