"""Deadline arithmetic: one budget per request, fixed at arrival, shared out to buyers."""

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Deadline:
    """A point on the monotonic clock, in seconds, by which a response must be sent."""

    at: float

    @classmethod
    def after(cls, started: float, budget_ms: int) -> "Deadline":
        return cls(started + budget_ms / 1000)

    def remaining_ms(self, now: float) -> int:
        """Whole milliseconds left (never negative)."""
        return max(0, int((self.at - now) * 1000))

    def buyer_budget_ms(
        self, now: float, buyer_timeout_ms: int, reserve_ms: int, min_useful_ms: int
    ) -> int | None:
        """Time a buyer may take: ``min(its timeout, time left − reserve)``.

        ``reserve_ms`` is kept back for Pickpost's own work after the buyers answer. None means
        the buyer has no useful time left and must not be called.
        """
        budget = min(buyer_timeout_ms, self.remaining_ms(now) - reserve_ms)
        return budget if budget >= min_useful_ms else None
