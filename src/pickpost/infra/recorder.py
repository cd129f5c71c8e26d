"""Write-behind for PING logs and request logs: batched, off the response path."""

import asyncio
import logging

from pickpost.domain.ids import is_id
from pickpost.domain.lead import PingLog, RequestLog
from pickpost.infra.metrics import LOG_ENTRIES_DROPPED
from pickpost.services.ports import LogStore

log = logging.getLogger(__name__)


class LogWriter:
    """Queues logs and writes them in batches; ``flush`` waits until all queued are written.

    An entry that cannot be written after a few tries, or that finds the queue full (the
    database far behind), is dropped: never silently (``dropped`` and the metric count it, and
    an ERROR line names its ids), but never into the process log either, since it holds the
    lead as sent. It is only a log row: the lead, its sales and its ledger are written on the
    request's own path, not here.
    """

    def __init__(
        self,
        store: LogStore,
        batch: int = 500,
        tries: int = 5,
        capacity: int = 50_000,
        linger_s: float = 0.25,
    ) -> None:
        self._store = store
        self._batch = batch
        # A batch waits this long for company after its first entry: one transaction then
        # carries many entries (a transaction per entry costs more than the entry itself; at
        # 50 pings/s, 12 pings a batch cost ~0.13 ms of CPU per ping less than 5 did:
        # docs/benchmarks.md, "The server's own CPU per ping").
        self._linger_s = linger_s
        self._tries = tries
        self._queue: asyncio.Queue[PingLog | RequestLog] = asyncio.Queue(capacity)
        self._task: asyncio.Task[None] | None = None
        self.dropped = 0

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="pickpost-log-writer")

    def ping(self, entry: PingLog) -> None:
        self._put(entry)

    def request(self, entry: RequestLog) -> None:
        self._put(entry)

    def _put(self, entry: PingLog | RequestLog) -> None:
        try:
            self._queue.put_nowait(entry)
        except asyncio.QueueFull:
            self._lost("log queue full", entry)

    async def flush(self) -> None:
        await self._queue.join()

    async def close(self) -> None:
        await self.flush()
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _run(self) -> None:
        while True:
            items = [await self._queue.get()]
            if self._queue.qsize() < self._batch:
                await asyncio.sleep(self._linger_s)
            while len(items) < self._batch and not self._queue.empty():
                items.append(self._queue.get_nowait())
            try:
                await self._write(items)
            except Exception:  # the writer must outlive any one bad batch
                log.exception("log writer failed on a batch of %d", len(items))
            finally:
                for _ in items:
                    self._queue.task_done()

    async def _write(self, items: list[PingLog | RequestLog]) -> None:
        if await self._try_write(items, self._tries):
            return
        # One bad entry must not sink the batch: write the rest one by one.
        for item in items:
            if not await self._try_write([item], 1):
                self._lost("log entry not written", item)

    def _lost(self, why: str, item: PingLog | RequestLog) -> None:
        self.dropped += 1
        LOG_ENTRIES_DROPPED.inc()
        log.error("%s, dropped: %s", why, _ids(item))

    async def _try_write(self, items: list[PingLog | RequestLog], tries: int) -> bool:
        pings = [i for i in items if isinstance(i, PingLog)]
        requests = [i for i in items if isinstance(i, RequestLog)]
        for attempt in range(tries):
            try:
                await self._store.write_logs(pings, requests)
                return True
            except Exception:
                log.warning("log write failed (try %d of %d)", attempt + 1, tries, exc_info=True)
                if attempt + 1 < tries:
                    await asyncio.sleep(0.05 * 2**attempt)
        return False


def _ids(item: PingLog | RequestLog) -> str:
    """The entry by its ids only (ours, never the supplier's text: ``lp_ping_id`` as sent is
    any text, so a request's ping id is named only if it has the form of ours)."""
    if isinstance(item, PingLog):
        return f"ping log of ping {item.record.ping_id} (request {item.record.request_id})"
    ping = item.ping_id if item.ping_id and is_id("p", item.ping_id) else None
    return (
        f"request log of request {item.request_id} ({item.endpoint}, code {item.code}, "
        f"ping {ping}, lead {item.lead_id})"
    )
