"""Counting traffic without losing it and without a database round trip on the request's
path: events add into an in-process table of deltas (one entry per row key, however heavy the
traffic), and a flush adds the deltas into the database, every second and on shutdown.

A flush that fails keeps its deltas (added to what arrived meanwhile) for the next one: a count
is lost only if the process dies before the database comes back.
"""

import asyncio
import logging
from collections.abc import Iterable

from pickpost.domain.traffic import Delta, Event, TrafficKey
from pickpost.services.ports import TrafficStore

log = logging.getLogger(__name__)


class TrafficCounter:
    def __init__(self, store: TrafficStore, every_s: float = 1.0) -> None:
        self._store = store
        self._every_s = every_s
        self._deltas: dict[TrafficKey, Delta] = {}
        self._lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None

    def count(self, events: Iterable[Event]) -> None:
        """Add events: in memory only, never waits."""
        deltas = self._deltas
        for key, cents, ms in events:
            delta = deltas.get(key)
            if delta is None:
                delta = deltas[key] = Delta()
            delta.add(1, cents, ms)

    @property
    def pending(self) -> int:
        """Rows with deltas not yet in the database."""
        return len(self._deltas)

    async def flush(self) -> None:
        """Add every delta counted so far into the database; on failure they are kept (and the
        error raised)."""
        async with self._lock:
            taken, self._deltas = self._deltas, {}
            if not taken:
                return
            try:
                await self._store.add(taken)
            except BaseException:
                self._merge_back(taken)
                raise

    def _merge_back(self, taken: dict[TrafficKey, Delta]) -> None:
        for key, delta in taken.items():
            current = self._deltas.get(key)
            if current is None:
                self._deltas[key] = delta
            else:
                current.add(delta.count, delta.sum_cents, delta.sum_ms)

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="pickpost-traffic-counter")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        try:
            await self.flush()
        except Exception:
            log.exception(
                "traffic counts of %d rows could not be written at shutdown", self.pending
            )

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._every_s)
            try:
                await self.flush()
            except Exception:
                log.warning("traffic counts not written; kept for the next try", exc_info=True)
