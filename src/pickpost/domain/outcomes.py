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
