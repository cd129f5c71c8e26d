"""What a buyer call ended in: every call yields exactly one of these, never an exception.

``Exchange`` and ``BuyerCall`` are made for every buyer of every ping: ``NamedTuple``s, as
immutable as a frozen dataclass and built in one step instead of one ``object.__setattr__`` a
field."""

from collections.abc import Mapping
from enum import StrEnum
from typing import NamedTuple


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


class Exchange(NamedTuple):
    """What went over the wire on a call, as sent and as answered: references to the bytes the
    call already holds, redacted and capped only when recorded (docs/reports.md)."""

    request_headers: Mapping[str, str]
    request_body: bytes
    response_headers: Mapping[str, str] | None = None
    response_body: bytes | None = None
    secrets: tuple[str, ...] = ()  # values the buyer's configuration declares, never recorded

    def answered(self, headers: Mapping[str, str], body: bytes) -> "Exchange":
        # Not ``_replace``: it costs several times this.
        return Exchange(self.request_headers, self.request_body, headers, body, self.secrets)


class BuyerCall(NamedTuple):
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
    exchange: Exchange | None = None  # None when nothing was sent

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
