"""What a buyer call ended in: every call yields exactly one of these, never an exception."""

from dataclasses import dataclass
from enum import StrEnum


class Outcome(StrEnum):
    BID = "bid"
    NO_BID = "no_bid"
    TIMEOUT = "timeout"
    ERROR = "error"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    DUPLICATE = "duplicate"
    SKIPPED = "skipped"


class CallStep(StrEnum):
    PING = "ping"
    POST = "post"


@dataclass(frozen=True, slots=True)
class BuyerCall:
    """One attempted (or deliberately skipped) call to a buyer, as recorded on the timeline."""

    buyer_id: str
    step: CallStep
    url: str
    outcome: Outcome
    reason: str
    started_at: float  # epoch seconds
    latency_ms: float
    status_code: int | None = None
    price_cents: int | None = None

    @classmethod
    def unanswered(
        cls,
        buyer_id: str,
        step: CallStep,
        url: str,
        outcome: Outcome,
        reason: str,
        since: float,
        until: float | None = None,
    ) -> "BuyerCall":
        """A call with no response to record: skipped, or cut off by the deadline.

        ``since`` is when it started and ``until`` when it was given up (epoch seconds); a
        skipped call starts and ends at ``since``.
        """
        return cls(
            buyer_id=buyer_id,
            step=step,
            url=url,
            outcome=outcome,
            reason=reason,
            started_at=since,
            latency_ms=max(0.0, ((since if until is None else until) - since) * 1000),
        )
