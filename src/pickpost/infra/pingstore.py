"""Ping stores: in-process for the embedded mode, Redis when nodes share pings."""

import heapq
import time

import orjson
import redis.asyncio as aioredis

from pickpost.domain.ping import PingRecord


class MemoryPingStore:
    """Pings of one process, forgotten after their TTL."""

    def __init__(self) -> None:
        self._records: dict[str, tuple[float, PingRecord]] = {}
        self._expiry: list[tuple[float, str]] = []

    async def save(self, record: PingRecord, ttl_s: int) -> None:
        now = time.monotonic()
        self._purge(now)
        until = now + ttl_s
        self._records[record.ping_id] = (until, record)
        heapq.heappush(self._expiry, (until, record.ping_id))

    async def get(self, ping_id: str) -> PingRecord | None:
        found = self._records.get(ping_id)
        if found is None or found[0] <= time.monotonic():
            return None
        return found[1]

    def _purge(self, now: float) -> None:
        while self._expiry and self._expiry[0][0] <= now:
            _, ping_id = heapq.heappop(self._expiry)
            found = self._records.get(ping_id)
            if found is not None and found[0] <= now:
                del self._records[ping_id]


class RedisPingStore:
    """Pings any node can read; Redis expires them."""

    def __init__(self, client: "aioredis.Redis", prefix: str = "pickpost:") -> None:
        self.client = client  # shared with the counters
        self._prefix = prefix + "ping:"

    @classmethod
    def from_url(cls, url: str, prefix: str = "pickpost:") -> "RedisPingStore":
        return cls(aioredis.Redis.from_url(url), prefix)

    async def save(self, record: PingRecord, ttl_s: int) -> None:
        await self.client.set(
            self._prefix + record.ping_id, orjson.dumps(record.to_dict()), ex=ttl_s
        )

    async def get(self, ping_id: str) -> PingRecord | None:
        raw = await self.client.get(self._prefix + ping_id)
        if raw is None:
            return None
        return PingRecord.from_dict(orjson.loads(raw))

    async def close(self) -> None:
        await self.client.aclose()
