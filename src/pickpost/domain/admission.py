"""Admission control: which supplier requests a busy server starts, and which it refuses at
once (docs/supplier-api.md, "Overload"; docs/deploy.md, "Overload and slow clients").

One process runs every request on one event loop, so the signal of overload is the time a
request waits between the server reading it and its handler starting: the loop's queue. Below
saturation it is well under a millisecond; past it, it grows with every request let in, and a
ping that waited is a ping whose buyers get less of its deadline.

The rule is an in-flight limit adapted to that wait (additive increase, multiplicative
decrease, as TCP adapts its window to delay):

- a request that already waited longer than ``max_queue_s`` is refused: it could no longer be
  answered in time, and starting it would only delay the next;
- a PING is refused while ``limit`` requests are in flight; a POST or Direct Post (a sale, the
  money of a ping already paid for) only at the ceiling ``max_in_flight``;
- the waits move the limit once per ``interval_s``, by the shortest wait of the requests
  decided in that interval (a standing queue, as CoDel judges a queue: a burst or a pause
  lengthens some waits, but the requests after it start at once again): above
  ``queue_target_s`` the limit is set to the requests in flight cut in proportion, never under
  ``min_in_flight``; at or under the target, while the limit is what holds requests back, it
  grows by one per ``limit`` admissions.

The limit thus settles near what the loop serves at the target wait (Little's law: requests
in flight = rate × time in the server), wherever CPU per request, the buyers' latency or the
machine put it; a fixed limit would refuse what could be served on one machine and let the
queue grow on another. Judging by the shortest wait, not by any one, keeps a rate the process
serves well from being refused after every burst (docs/benchmarks.md, "Past the limit").
"""

from dataclasses import dataclass
from enum import StrEnum


class Verdict(StrEnum):
    ADMITTED = "admitted"
    BUSY = "busy"  # the in-flight limit was reached
    LATE = "late"  # it waited past the queue budget before it could start
    GONE = "gone"  # the client disconnected before it started


@dataclass(frozen=True, slots=True)
class AdmissionPolicy:
    max_in_flight: int = 256
    min_in_flight: int = 16
    queue_target_s: float = 0.01
    max_queue_s: float = 0.25
    interval_s: float = 0.1
    # The largest cut of one decrease: a single long pause (a collection, a slow disk) must
    # not collapse the limit.
    max_cut: float = 0.5

    def __post_init__(self) -> None:
        if not 1 <= self.min_in_flight <= self.max_in_flight:
            raise ValueError("need 1 <= min_in_flight <= max_in_flight")


class Admission:
    """The in-flight count and its adaptive limit, for one process (one event loop)."""

    def __init__(self, policy: AdmissionPolicy) -> None:
        self._policy = policy
        self._limit = float(policy.max_in_flight)
        self._in_flight = 0
        # The interval being judged: when it began, and its shortest wait so far.
        self._interval_start: float | None = None
        self._shortest = float("inf")

    @property
    def limit(self) -> int:
        return int(self._limit)

    @property
    def in_flight(self) -> int:
        return self._in_flight

    def full(self) -> bool:
        """Whether a PING arriving now would be refused as busy, whatever its wait."""
        return self._in_flight >= self.limit

    def admit(self, waited_s: float, now: float, sale: bool = False) -> Verdict:
        """Decide on a request that waited ``waited_s`` before this call at ``now`` (monotonic
        seconds). An admitted request must be :meth:`release`d when it is answered."""
        policy = self._policy
        if waited_s > policy.max_queue_s:
            self._adapt(waited_s, now)
            return Verdict.LATE
        ceiling = policy.max_in_flight if sale else self.limit
        if self._in_flight >= ceiling:
            return Verdict.BUSY
        self._adapt(waited_s, now)
        self._in_flight += 1
        return Verdict.ADMITTED

    def release(self) -> None:
        self._in_flight -= 1

    def _adapt(self, waited_s: float, now: float) -> None:
        policy = self._policy
        if self._interval_start is None:
            self._interval_start = now
        elif now - self._interval_start >= policy.interval_s:
            if self._shortest > policy.queue_target_s:
                factor = max(1 - policy.max_cut, policy.queue_target_s / self._shortest)
                # From what is in flight, not from a limit that has not held anything back
                # (at the start of a surge it is far above): one cut takes effect at once.
                used = min(self._limit, float(self._in_flight + 1))
                self._limit = max(float(policy.min_in_flight), used * factor)
            self._interval_start, self._shortest = now, float("inf")
        self._shortest = min(self._shortest, waited_s)
        if waited_s <= policy.queue_target_s and self._in_flight + 1 >= self.limit:
            self._limit = min(float(policy.max_in_flight), self._limit + 1 / self._limit)
