"""The overload scenario: PINGs at the sustained rate, then at three times it (or at
``--overload-rate``, in a second run), then at it again, on one open-loop clock
(docs/benchmarks.md, "Past the limit").

What it shows: admitted pings keep their deadline (p99 within deadline + 50 ms), the rest are
refused at once with 1090, the server answers normally again soon after the load drops, and its
memory stays bounded.
"""

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum

import orjson
from prometheus_client.parser import text_string_to_metric_families

from pickpost.bench.client import CLIENT_TIMEOUT_MS, exchange
from pickpost.bench.loadgen import no_bids, ping_failed
from pickpost.bench.processes import ProcessTree, cpu_between
from pickpost.bench.stats import Summary, percentile, summarize
from pickpost.bench.workspace import BenchCampaign
from pickpost.buyers.wire import OutboundRequest
from pickpost.infra.transport import HttpTransport

OVERLOAD_FACTOR = 3.0
_OVERLOADED = 1090
_RSS_EVERY_S = 0.2
# After the last phase: how long the server is left to settle before its memory is read.
_SETTLE_S = 2.0
# After the load drops, the "after" phase is cut into windows this long; a window is normal
# when nothing in it was refused or failed and its median answer is no slower than the
# "before" phase's 99th percentile (a median, so that one slow answer on a shared machine does
# not count as a backlog).
RECOVERY_WINDOW_S = 0.5


class Outcome(StrEnum):
    ANSWERED = "answered"  # ACCEPTED with bids, or "no bids"
    REFUSED = "refused"  # 503 with 1090
    ERROR = "error"  # anything else: another status, an unreadable answer, a client timeout


@dataclass(frozen=True, slots=True)
class Phase:
    name: str
    rate: float
    duration_s: float


@dataclass(frozen=True, slots=True)
class Shot:
    """One ping as the generator saw it: due (monotonic), latency from due, outcome, and how
    late the generator itself began sending it (its own share of the latency)."""

    phase: str
    due: float
    latency_ms: float
    outcome: Outcome
    no_bids: bool = False
    sent_late_ms: float = 0.0


@dataclass(frozen=True, slots=True)
class PhaseNumbers:
    name: str
    rate: float
    sent: int
    answered: int
    refused: int
    errors: int
    no_bids: int
    answered_ms: Summary | None
    refused_ms: Summary | None
    # The refusals from when the generator sent them: without its own lateness, which a
    # generator on the server's cores has past a few hundred pings a second.
    refused_from_sent_ms: Summary | None
    sent_late_ms: Summary | None


@dataclass(frozen=True, slots=True)
class OverloadNumbers:
    deadline_ms: int
    phases: list[PhaseNumbers]
    # From the load dropping to the first ping from which every ping is answered normally;
    # None if that never happened before the run ended.
    recovered_after_s: float | None
    rss_mb_start: float
    rss_mb_peak: float
    rss_mb_end: float
    server_cpu_percent: float
    # The server's own count of its PING admissions by verdict, and the bound of the
    # histogram bucket holding the 99th percentile of their queue wait (warm-up included).
    server_verdicts: dict[str, int]
    server_queue_wait_p99_ms: float | None


def server_view(exposition: str) -> tuple[dict[str, int], float | None]:
    """PING admissions by verdict and the queue wait's p99 bucket bound, from /metrics."""
    verdicts: dict[str, int] = {}
    buckets: list[tuple[float, float]] = []
    for family in text_string_to_metric_families(exposition):
        for sample in family.samples:
            if sample.labels.get("endpoint") != "/ping":
                continue
            if sample.name == "pickpost_supplier_admissions_total":
                verdicts[sample.labels["verdict"]] = int(sample.value)
            elif sample.name == "pickpost_supplier_queue_wait_seconds_bucket":
                buckets.append((float(sample.labels["le"]), sample.value))
    buckets.sort()
    total = buckets[-1][1] if buckets else 0.0
    p99 = next((bound for bound, count in buckets if count >= 0.99 * total), None)
    return verdicts, None if p99 is None or total == 0 else p99 * 1000


def phases_for(sustained: float, duration_s: float, rate: float | None = None) -> list[Phase]:
    """The sustained rate, ``rate`` (by default ``OVERLOAD_FACTOR`` times it), and it again."""
    return [
        Phase("before", sustained, duration_s),
        Phase("overload", rate or sustained * OVERLOAD_FACTOR, duration_s),
        Phase("after", sustained, duration_s),
    ]


def schedule(phases: Sequence[Phase], start: float) -> list[tuple[str, float]]:
    """Every ping's (phase, due time): each phase starts where the previous one ended."""
    due: list[tuple[str, float]] = []
    begins = start
    for phase in phases:
        count = max(1, round(phase.rate * phase.duration_s))
        due += [(phase.name, begins + i / phase.rate) for i in range(count)]
        begins += phase.duration_s
    return due


def phase_numbers(phase: Phase, shots: Sequence[Shot]) -> PhaseNumbers:
    mine = [s for s in shots if s.phase == phase.name]
    answered = [s.latency_ms for s in mine if s.outcome is Outcome.ANSWERED]
    refused = [s for s in mine if s.outcome is Outcome.REFUSED]
    return PhaseNumbers(
        name=phase.name,
        rate=phase.rate,
        sent=len(mine),
        answered=len(answered),
        refused=len(refused),
        errors=sum(s.outcome is Outcome.ERROR for s in mine),
        no_bids=sum(s.no_bids for s in mine),
        answered_ms=summarize(answered),
        refused_ms=summarize([s.latency_ms for s in refused]),
        refused_from_sent_ms=summarize([s.latency_ms - s.sent_late_ms for s in refused]),
        sent_late_ms=summarize([s.sent_late_ms for s in mine]),
    )


def recovered_after_s(shots: Sequence[Shot], dropped_at: float) -> float | None:
    """Seconds from ``dropped_at`` to the start of the first window of the "after" phase from
    which every window is normal (see ``RECOVERY_WINDOW_S``); None if none is."""
    before = summarize(
        [s.latency_ms for s in shots if s.phase == "before" and s.outcome is Outcome.ANSWERED]
    )
    after = [s for s in shots if s.phase == "after"]
    if before is None or not after:
        return None
    windows: dict[int, list[Shot]] = {}
    for shot in after:
        windows.setdefault(int((shot.due - dropped_at) // RECOVERY_WINDOW_S), []).append(shot)

    def normal(window: list[Shot]) -> bool:
        if any(s.outcome is not Outcome.ANSWERED for s in window):
            return False
        return percentile([s.latency_ms for s in window], 0.5) <= before.p99

    recovered: int | None = None
    for index in sorted(windows):
        if not normal(windows[index]):
            recovered = None
        elif recovered is None:
            recovered = index
    return None if recovered is None else recovered * RECOVERY_WINDOW_S


class OverloadLoad:
    """Sends the pings of ``phases`` to ``base_url`` on the open-loop clock."""

    def __init__(self, client: HttpTransport, base_url: str, campaign: BenchCampaign) -> None:
        self._client = client
        self._url = f"{base_url}/ping"
        self._campaign = campaign
        self._shots: list[Shot] = []

    async def run(
        self, phases: Sequence[Phase], on_sent: Callable[[int], None]
    ) -> tuple[float, list[Shot]]:
        """Every shot, and when the load dropped (the start of the last phase)."""
        self._shots = []
        start = time.monotonic()
        tasks: list[asyncio.Task[None]] = []
        for index, (phase, due) in enumerate(schedule(phases, start)):
            wait = due - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            tasks.append(asyncio.create_task(self._ping(phase, due)))
            on_sent(index + 1)
        await asyncio.gather(*tasks)
        dropped_at = start + sum(p.duration_s for p in phases[:-1])
        return dropped_at, self._shots

    async def scrape(self) -> str:
        url = self._url.removesuffix("/ping") + "/metrics"
        delivery = await self._client.send(OutboundRequest("GET", url, b""), CLIENT_TIMEOUT_MS)
        return "" if delivery.response is None else delivery.response.body.decode()

    async def _ping(self, phase: str, due: float) -> None:
        body = orjson.dumps(self._campaign.ping_body())
        sent_late_ms = (time.monotonic() - due) * 1000
        status, envelope = await exchange(self._client, "POST", self._url, body)
        latency_ms = (time.monotonic() - due) * 1000
        if status == 503 and isinstance(envelope, dict) and envelope.get("code") == _OVERLOADED:
            outcome = Outcome.REFUSED
        elif ping_failed(status, envelope):
            outcome = Outcome.ERROR
        else:
            outcome = Outcome.ANSWERED
        shot = Shot(phase, due, latency_ms, outcome, no_bids(envelope), sent_late_ms)
        self._shots.append(shot)


async def measure_overload(
    load: OverloadLoad,
    phases: Sequence[Phase],
    server: ProcessTree,
    deadline_ms: int,
    on_sent: Callable[[int], None],
) -> OverloadNumbers:
    """Run ``phases`` against a warmed-up server and take its numbers."""
    rss_start, peak_rss = server.rss_bytes(), 0

    async def sample_rss() -> None:
        nonlocal peak_rss
        while True:
            peak_rss = max(peak_rss, server.rss_bytes())
            await asyncio.sleep(_RSS_EVERY_S)

    began, cpu_before = time.monotonic(), server.cpu_s()
    sampler = asyncio.create_task(sample_rss())
    try:
        dropped_at, shots = await load.run(phases, on_sent)
        await asyncio.sleep(_SETTLE_S)
    finally:
        sampler.cancel()
    cpu_s = cpu_between(cpu_before, server.cpu_s())
    wall_s = time.monotonic() - began
    verdicts, queue_wait_p99_ms = server_view(await load.scrape())
    return OverloadNumbers(
        deadline_ms=deadline_ms,
        phases=[phase_numbers(phase, shots) for phase in phases],
        recovered_after_s=recovered_after_s(shots, dropped_at),
        rss_mb_start=rss_start / 2**20,
        rss_mb_peak=peak_rss / 2**20,
        rss_mb_end=server.rss_bytes() / 2**20,
        server_cpu_percent=100 * cpu_s / wall_s,
        server_verdicts=verdicts,
        server_queue_wait_p99_ms=queue_wait_p99_ms,
    )
