"""The shapes an adapter builds and parses; the transport moves them."""

from collections.abc import Mapping
from dataclasses import dataclass, field

from pickpost.domain.outcomes import Outcome


@dataclass(frozen=True, slots=True)
class OutboundRequest:
    method: str
    url: str
    body: bytes
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class InboundResponse:
    status: int
    body: bytes
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Delivery:
    """What sending one request came to: a response, or a timeout/error and its reason."""

    started_at: float  # epoch seconds
    latency_ms: float
    response: InboundResponse | None = None
    failure: Outcome | None = None
    reason: str = ""
