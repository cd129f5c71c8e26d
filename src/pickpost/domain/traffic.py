"""What the exchange counts as it happens because no ledger row will ever show it: pings,
buyers' answers to pings, refused requests (docs/reports.md, "Counted, not derived")."""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import NamedTuple

from pickpost.domain import reports
from pickpost.domain.buckets import BUCKET_S
from pickpost.domain.outcomes import BuyerCall, CallStep, Outcome

_ANSWER_METRIC = {
    Outcome.BID: reports.BID,
    Outcome.NO_BID: reports.NO_BID,
    Outcome.TIMEOUT: reports.TIMEOUT,
    Outcome.ERROR: reports.ERROR,
}


class TrafficKey(NamedTuple):
    """One ``traffic_rollups`` row: ``bucket`` is its start in epoch seconds. A named tuple,
    not a frozen dataclass: some twenty are made and hashed per PING, and a tuple is built and
    hashed in C (docs/benchmarks.md, "The server's own CPU per ping")."""

    bucket: int
    campaign_id: str
    supplier_id: str
    buyer_id: str
    test: bool
    metric: str


@dataclass(slots=True)
class Delta:
    """What to add to a row."""

    count: int = 0
    sum_cents: int = 0
    sum_ms: float = 0.0

    def add(self, count: int, cents: int, ms: float) -> None:
        self.count += count
        self.sum_cents += cents
        self.sum_ms += ms


Event = tuple[TrafficKey, int, float]  # the row, cents and milliseconds to add to it


def bucket_of(epoch: float) -> int:
    return int(epoch // BUCKET_S) * BUCKET_S


@dataclass(frozen=True, slots=True)
class Source:
    """Whose traffic it is, and when."""

    campaign_id: str
    supplier_id: str
    test: bool
    at: float  # epoch seconds

    def key(self, metric: str, buyer_id: str = "") -> TrafficKey:
        return TrafficKey(
            bucket_of(self.at), self.campaign_id, self.supplier_id, buyer_id, self.test, metric
        )


def ping_events(source: Source, with_bids: bool) -> Iterator[Event]:
    """A PING answered (its offers, or none)."""
    yield source.key(reports.PING), 0, 0.0
    if with_bids:
        yield source.key(reports.PING_WITH_BIDS), 0, 0.0


def call_events(source: Source, calls: Iterable[BuyerCall]) -> Iterator[Event]:
    """Each ping sent to a buyer and its answer; skipped calls were never sent."""
    # ``source.key`` inlined: two keys per buyer, all in one bucket.
    bucket, campaign_id, supplier_id = bucket_of(source.at), source.campaign_id, source.supplier_id
    for call in calls:
        metric = _ANSWER_METRIC.get(call.outcome)
        if call.step is not CallStep.PING or metric is None:
            continue
        buyer_id, test = call.buyer_id, source.test
        yield (
            TrafficKey(bucket, campaign_id, supplier_id, buyer_id, test, reports.CALL),
            0,
            call.latency_ms,
        )
        cents = call.price_cents or 0 if call.outcome is Outcome.BID else 0
        yield TrafficKey(bucket, campaign_id, supplier_id, buyer_id, test, metric), cents, 0.0


def refusal_event(source: Source, endpoint: str, code: int) -> Event:
    """A supplier request answered with an error ``code`` (``endpoint`` without its slash)."""
    return source.key(f"{reports.REFUSED}{endpoint.strip('/')}:{code}"), 0, 0.0
