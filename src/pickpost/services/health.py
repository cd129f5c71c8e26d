"""Live health of buyers (from their recent calls) and the caps of buyers and suppliers (from
the counters that hold them), for the console's campaign, buyer and supplier pages."""

from typing import Literal

from pickpost.domain.caps import CapUse, counters_of, period_keys, uses
from pickpost.domain.catalog import Campaign
from pickpost.domain.health import CallSample, Health, health_of
from pickpost.services.ports import CallSamples, Clock, CounterStore

# At most this many of the newest calls are read for one window: health is a sample.
MAX_CALLS = 20_000
HOUR_S = 3600


class HealthService:
    def __init__(self, calls: CallSamples, counters: CounterStore, clock: Clock) -> None:
        self._calls = calls
        self._counters = counters
        self._clock = clock

    async def buyers(self, since: float) -> tuple[dict[str, Health], bool]:
        """Each buyer's health over its calls since ``since`` (epoch seconds), and whether
        the window held more than ``MAX_CALLS`` calls (then only the newest were read)."""
        calls = await self._calls.since(since, MAX_CALLS + 1)
        capped = len(calls) > MAX_CALLS
        by_buyer: dict[str, list[CallSample]] = {}
        for call in calls[:MAX_CALLS]:
            by_buyer.setdefault(call.buyer_id, []).append(call)
        return {b: health_of(c) for b, c in sorted(by_buyer.items())}, capped

    def last_hour(self) -> float:
        return self._clock.now() - HOUR_S

    async def caps(
        self, campaign: Campaign, whose: Literal["buyer", "supplier"], owner_id: str
    ) -> list[CapUse]:
        """The caps of a campaign's buyer or supplier, used against their limits now."""
        owner = (
            campaign.buyers.get(owner_id) if whose == "buyer" else campaign.suppliers.get(owner_id)
        )
        if owner is None or owner.caps is None:
            return []
        windows = period_keys(self._clock.now(), campaign.config.timezone)
        held = counters_of(campaign.id, whose, owner_id, owner.caps, windows)
        return uses(held, await self._counters.values(held), windows)
