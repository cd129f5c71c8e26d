"""The write-behind log writer over a fake store: batches, bad entries, a full queue."""

import asyncio
import time
from collections.abc import Sequence

import pytest

from pickpost.domain.lead import PingLog, RequestLog
from pickpost.infra.recorder import LogWriter


def entry(request_id: str) -> RequestLog:
    return RequestLog(
        request_id, "/ping", time.time(), 1.0, 200, 0, "100", "7", None, None, None, {}, {}
    )


class Store:
    """Refuses any batch holding a request id in ``poison``; remembers what it wrote."""

    def __init__(self, poison: frozenset[str] = frozenset()) -> None:
        self.poison = poison
        self.written: list[str] = []
        self.batches = 0

    async def write_logs(self, pings: Sequence[PingLog], requests: Sequence[RequestLog]) -> None:
        self.batches += 1
        if any(r.request_id in self.poison for r in requests):
            raise ValueError("cannot store this one")
        self.written += [r.request_id for r in requests]


async def test_entries_are_written_in_batches() -> None:
    store = Store()
    writer = LogWriter(store, tries=1)
    writer.start()
    for i in range(10):
        writer.request(entry(f"r_{i}"))
    await writer.close()
    assert store.written == [f"r_{i}" for i in range(10)]
    assert store.batches == 1


async def test_a_batch_waits_for_entries_that_arrive_just_after_its_first() -> None:
    store = Store()
    writer = LogWriter(store, tries=1)
    writer.start()
    writer.request(entry("r_first"))
    await asyncio.sleep(0)  # the writer takes the first entry and lingers
    writer.request(entry("r_second"))
    writer.request(entry("r_third"))
    await writer.close()
    assert store.written == ["r_first", "r_second", "r_third"]
    assert store.batches == 1  # one transaction for the three


async def test_one_bad_entry_is_isolated_and_the_writer_lives_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    store = Store(poison=frozenset({"r_2"}))
    writer = LogWriter(store, tries=2)
    writer.start()
    for i in range(4):
        writer.request(entry(f"r_{i}"))
    await writer.flush()
    writer.request(entry("r_after"))
    await writer.close()
    assert store.written == ["r_0", "r_1", "r_3", "r_after"]
    assert writer.dropped == 1
    assert any("r_2" in record.getMessage() for record in caplog.records)


async def test_a_full_queue_drops_to_the_process_log_without_raising(
    caplog: pytest.LogCaptureFixture,
) -> None:
    store = Store()
    writer = LogWriter(store, capacity=2)  # not started: nothing drains the queue
    for i in range(3):
        writer.request(entry(f"r_{i}"))
    assert writer.dropped == 1
    assert any("r_2" in record.getMessage() for record in caplog.records)


async def test_a_dropped_entry_is_named_by_its_ids_never_its_lead(
    caplog: pytest.LogCaptureFixture,
) -> None:
    lead: dict[str, object] = {
        "first_name": "Zebediah",
        "phone": "5125550199",
        "lp_ping_id": "Quixotic-7",
    }
    dropped = RequestLog(
        "r_dropped", "/post", time.time(), 1.0, 200, 0, "100", "7", "Quixotic-7",
        "l_ourlead", "198.51.100.23", lead, {"status": "ACCEPTED", "echo": "Zebediah"},
    )  # fmt: skip
    writer = LogWriter(Store(poison=frozenset({"r_dropped"})), tries=1)
    writer.start()
    writer.request(dropped)
    await writer.close()
    assert writer.dropped == 1
    logged = "\n".join(record.getMessage() for record in caplog.records)
    for named in ("r_dropped", "l_ourlead", "/post"):
        assert named in logged
    for value in ("Zebediah", "5125550199", "Quixotic-7", "198.51.100.23"):
        assert value not in logged
