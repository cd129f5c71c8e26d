"""The simulated fleet a scenario runs against, with delays known before the run.

Every buyer answers after a *fixed* delay, the delays spread evenly over ``low_ms..high_ms``
across the fleet. The slowest in-time buyer's own delay is therefore the same for every ping
and known exactly in advance (``slowest_in_time_ms``), for Pickpost and the baseline alike:
overhead needs no bookkeeping across processes and cannot be skewed by a sampling mismatch.
"""

from dataclasses import dataclass

HANGING_BUYER = "hang"


@dataclass(frozen=True, slots=True)
class FleetPlan:
    """``buyers`` answering buyers, plus one that never answers a ping when ``hanging``."""

    buyers: int
    low_ms: int = 20
    high_ms: int = 80
    post_delay_ms: int = 10
    hanging: bool = False

    def delays_ms(self) -> list[int]:
        """Each answering buyer's ping delay, lowest first."""
        if self.buyers == 1:
            return [self.high_ms]
        span = self.high_ms - self.low_ms
        return [self.low_ms + round(span * i / (self.buyers - 1)) for i in range(self.buyers)]

    def slowest_in_time_ms(self) -> int:
        """The own delay of the slowest buyer that answers in time: the floor of every ping."""
        return max(self.delays_ms())

    def answering_ids(self) -> list[str]:
        return [f"b{i:02d}" for i in range(1, self.buyers + 1)]

    def buyer_ids(self) -> list[str]:
        ids = self.answering_ids()
        return [*ids, HANGING_BUYER] if self.hanging else ids
