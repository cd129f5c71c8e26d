"""Background work repeated on a fixed interval for as long as the process serves."""

import asyncio
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)


class Periodic:
    """Runs ``work`` every ``every_s`` seconds (first right away when ``at_start``) in one
    background task. A failed round is logged and the next one runs as planned: the work must
    outlive any one outage."""

    def __init__(
        self,
        name: str,
        every_s: float,
        work: Callable[[], Awaitable[object]],
        at_start: bool = False,
    ) -> None:
        self._name = name
        self._every_s = every_s
        self._work = work
        self._at_start = at_start
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=f"pickpost-{self._name}")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _run(self) -> None:
        if not self._at_start:
            await asyncio.sleep(self._every_s)
        while True:
            try:
                await self._work()
            except Exception:
                log.exception("%s failed; it runs again in %s s", self._name, self._every_s)
            await asyncio.sleep(self._every_s)
