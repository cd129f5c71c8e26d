"""Counters in Redis: caps, rotations and duplicate marks shared by every node.

A charge is one Lua script, so it applies to all its counters or none, atomically across
processes. Keys carry a prefix; counters of a period expire with the period.
"""

from collections.abc import Sequence
from typing import cast

import redis.asyncio as aioredis

from pickpost.domain.caps import Charge
from pickpost.infra.counters import ValueChecks

# KEYS: counters; ARGV: amounts, then limits, then TTLs (0: none). Returns 0 when applied,
# else the 1-based index of the first charge that would pass its limit.
_CHARGE = """
local n = #KEYS
local pending = {}
for i = 1, n do
  local key = KEYS[i]
  local current = pending[key] or tonumber(redis.call('GET', key) or '0')
  local total = current + tonumber(ARGV[i])
  if total > tonumber(ARGV[n + i]) then return i end
  pending[key] = total
end
for i = 1, n do
  local key = KEYS[i]
  redis.call('INCRBY', key, ARGV[i])
  local ttl = tonumber(ARGV[2 * n + i])
  if ttl > 0 and redis.call('TTL', key) == -1 then redis.call('EXPIRE', key, ttl) end
end
return 0
"""

# Refund only counters that still exist: an expired period stays gone.
_REFUND = """
for i = 1, #KEYS do
  if redis.call('EXISTS', KEYS[i]) == 1 then redis.call('DECRBY', KEYS[i], ARGV[i]) end
end
return 0
"""


class RedisCounters(ValueChecks):
    def __init__(self, client: "aioredis.Redis", prefix: str = "pickpost:") -> None:
        self._client = client
        self._prefix = prefix
        self._charge = client.register_script(_CHARGE)
        self._refund = client.register_script(_REFUND)

    async def charge(self, charges: Sequence[Charge]) -> Charge | None:
        if not charges:
            return None
        args = [
            *(c.amount for c in charges),
            *(c.limit for c in charges),
            *(c.ttl_s or 0 for c in charges),
        ]
        failed = int(cast(int, await self._charge(keys=self._keys(charges), args=args)))
        return None if failed == 0 else charges[failed - 1]

    async def values(self, charges: Sequence[Charge]) -> dict[str, int]:
        keys = sorted({c.key for c in charges})
        if not keys:
            return {}
        raw = await self._client.mget([self._prefix + k for k in keys])
        return {key: int(value or 0) for key, value in zip(keys, raw, strict=True)}

    async def refund(self, charges: Sequence[Charge]) -> None:
        if charges:
            await self._refund(keys=self._keys(charges), args=[c.amount for c in charges])

    async def next_in_sequence(self, key: str) -> int:
        return int(await self._client.incr(self._prefix + key)) - 1

    async def first_seen(self, key: str, ttl_s: int) -> bool:
        return bool(await self._client.set(self._prefix + key, 1, ex=ttl_s, nx=True))

    async def forget(self, key: str) -> None:
        await self._client.delete(self._prefix + key)

    def _keys(self, charges: Sequence[Charge]) -> list[str]:
        return [self._prefix + c.key for c in charges]
