"""A SimFleet on a background thread, for tests whose server under test runs elsewhere."""

import asyncio
import threading
from collections.abc import Callable
from types import TracebackType
from typing import Any, Self, TypeVar

from pickpost.simbuyers import FleetConfig, SimFleet
from pickpost.simbuyers.server import ReceivedRequest

_START_TIMEOUT_S = 10.0
_T = TypeVar("_T")


class ThreadedFleet:
    """Runs a ``SimFleet`` on its own event loop in a daemon thread.

    ``received`` and ``clear`` run on the fleet's loop, so they never race its handlers.
    """

    def __init__(
        self, config: FleetConfig, host: str = "127.0.0.1", seed: int | None = None
    ) -> None:
        self._fleet = SimFleet(config, host, seed)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping: asyncio.Event | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None

    def start(self) -> dict[str, str]:
        """Start the fleet and block until every buyer is bound; returns base URLs."""
        if self._thread is not None:
            raise RuntimeError("fleet already started")
        self._thread = threading.Thread(target=self._run, name="sim-fleet", daemon=True)
        self._thread.start()
        if not self._ready.wait(_START_TIMEOUT_S):
            raise TimeoutError("simulated fleet did not start")
        if self._error is not None:
            self._thread.join()
            self._thread = None
            raise self._error
        return self._fleet.base_urls

    def stop(self) -> None:
        """Stop the fleet and its thread; safe to call twice."""
        thread, self._thread = self._thread, None
        if thread is None:
            return
        if self._loop is not None and self._stopping is not None:
            self._loop.call_soon_threadsafe(self._stopping.set)
        thread.join()

    @property
    def base_urls(self) -> dict[str, str]:
        """``{buyer_id: "http://host:port"}`` while running."""
        return self._fleet.base_urls

    def received(self, buyer_id: str) -> list[ReceivedRequest]:
        """A snapshot of the requests ``buyer_id`` has received so far."""
        return self._on_loop(lambda: list(self._fleet.received[buyer_id]))

    def clear(self) -> None:
        """Forget the requests received so far."""
        self._on_loop(self._fleet.clear)

    def _on_loop(self, call: Callable[[], _T]) -> _T:
        loop = self._loop
        if self._thread is None or loop is None:
            return call()  # no loop running, so nothing to race with

        async def on_loop() -> _T:
            return call()

        return asyncio.run_coroutine_threadsafe(on_loop(), loop).result()

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _run(self) -> None:
        asyncio.run(self._serve())

    async def _serve(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stopping = asyncio.Event()
        try:
            await self._fleet.start()
        except BaseException as exc:
            self._error = exc
            self._ready.set()
            return
        self._ready.set()
        try:
            await self._stopping.wait()
        finally:
            await self._fleet.stop()


def native_buyer(urls: dict[str, str], buyer_id: str, **extra: Any) -> dict[str, Any]:
    """A workspace buyer speaking the native protocol to the fleet's buyer ``buyer_id``
    (``urls``: :attr:`ThreadedFleet.base_urls`); ``extra`` adds or overrides settings."""
    return {
        "id": buyer_id,
        "tcpa_entity_name": f"{buyer_id.title()} LLC",
        "ping_url": f"{urls[buyer_id]}/ping",
        "post_url": f"{urls[buyer_id]}/post",
        **extra,
    }
