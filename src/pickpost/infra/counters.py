"""Counters of one process: the embedded-mode :class:`~pickpost.domain.caps.CounterStore`.

Each method runs without awaiting, so on one event loop every call is atomic. Expiry follows
an injected clock (monotonic seconds by default) so tests can move time.
"""

import heapq
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence

from pickpost.domain.caps import Charge, first_over


class ValueChecks(ABC):
    """The read-only checks of a counter store, from one read of the counters' values."""

    @abstractmethod
    async def values(self, charges: Sequence[Charge]) -> dict[str, int]:
        """The live values of the charges' counters (absent or expired ones left out)."""

    async def exceeded(self, charges: Sequence[Charge]) -> Charge | None:
        return first_over(charges, await self.values(charges))

    async def exceeded_each(self, groups: Sequence[Sequence[Charge]]) -> list[Charge | None]:
        values = await self.values([c for group in groups for c in group])
        return [first_over(group, values) for group in groups]


class MemoryCounters(ValueChecks):
    """Counters, rotation sequences and duplicate marks, forgotten when their TTL ends."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._counters: dict[str, tuple[int, float | None]] = {}  # key -> (value, expires at)
        self._expiry: list[tuple[float, str]] = []
        self._sequences: dict[str, int] = {}

    async def values(self, charges: Sequence[Charge]) -> dict[str, int]:
        now = self._purge()
        return {c.key: self._value(c.key, now) for c in charges}

    async def charge(self, charges: Sequence[Charge]) -> Charge | None:
        over = await self.exceeded(charges)
        if over is not None:
            return over
        now = self._clock()
        for charge in charges:
            self._add(charge.key, charge.amount, charge.ttl_s, now)
        return None

    async def refund(self, charges: Sequence[Charge]) -> None:
        now = self._purge()
        for charge in charges:
            found = self._live(charge.key, now)
            if found is not None:
                self._counters[charge.key] = (found[0] - charge.amount, found[1])

    async def next_in_sequence(self, key: str) -> int:
        number = self._sequences.get(key, 0)
        self._sequences[key] = number + 1
        return number

    async def first_seen(self, key: str, ttl_s: int) -> bool:
        now = self._purge()
        if self._live(key, now) is not None:
            return False
        self._add(key, 1, ttl_s, now)
        return True

    async def forget(self, key: str) -> None:
        self._counters.pop(key, None)

    def _live(self, key: str, now: float) -> tuple[int, float | None] | None:
        found = self._counters.get(key)
        if found is None or (found[1] is not None and found[1] <= now):
            return None
        return found

    def _value(self, key: str, now: float) -> int:
        found = self._live(key, now)
        return 0 if found is None else found[0]

    def _add(self, key: str, amount: int, ttl_s: int | None, now: float) -> None:
        found = self._live(key, now)
        if found is not None:
            self._counters[key] = (found[0] + amount, found[1])
            return
        expires = None if ttl_s is None else now + ttl_s
        self._counters[key] = (amount, expires)
        if expires is not None:
            heapq.heappush(self._expiry, (expires, key))

    def _purge(self) -> float:
        """Drop expired counters (so memory stays bounded) and return the time now."""
        now = self._clock()
        while self._expiry and self._expiry[0][0] <= now:
            expires, key = heapq.heappop(self._expiry)
            found = self._counters.get(key)
            if found is not None and found[1] == expires:
                del self._counters[key]
        return now
