"""The shapes an adapter builds and parses; the transport moves them.

The ones made for every buyer of every ping are ``NamedTuple``s: as immutable as a frozen
dataclass, built in one step instead of one ``object.__setattr__`` a field."""

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import NamedTuple

from pickpost.domain.outcomes import Outcome

_NO_HEADERS: Mapping[str, str] = MappingProxyType({})


class OutboundRequest(NamedTuple):
    method: str
    url: str
    body: bytes
    headers: Mapping[str, str] = _NO_HEADERS


class InboundResponse(NamedTuple):
    status: int
    body: bytes
    headers: Mapping[str, str] = _NO_HEADERS


class Delivery(NamedTuple):
    """What sending one request came to: a response, or a timeout/error and its reason."""

    started_at: float  # epoch seconds
    latency_ms: float
    response: InboundResponse | None = None
    failure: Outcome | None = None
    reason: str = ""
    # False only when the request never left (no connection): the buyer cannot have seen it.
    sent: bool = True


class PingMemo:
    """What the adapters of one ping's buyers share: the native body's part every buyer of the
    ping is sent alike, encoded by the first (``native.PingBody``) and reused by the others."""

    __slots__ = ("native_body",)

    def __init__(self) -> None:
        self.native_body: object = None


class PingOrder(NamedTuple):
    """A ping to one buyer, before an adapter writes it in that buyer's protocol."""

    ping_id: str
    campaign_id: str
    supplier_id: str
    test: bool
    tmax_ms: int  # what the buyer has left to answer
    lead: Mapping[str, object]  # the validated ping fields
    now: float  # epoch seconds: the lead's time, for timestamps and ages
    memo: PingMemo | None = None  # one per ping, shared by its buyers' orders


@dataclass(frozen=True, slots=True)
class PostOrder:
    """A post to one buyer, before an adapter writes it in that buyer's protocol."""

    lead_id: str
    ping_id: str
    campaign_id: str
    supplier_id: str
    token: str | None  # the buyer's own bid token
    price_cents: int  # the buyer's own price
    test: bool
    lead: Mapping[str, object]  # the post step's validated fields
    consent: Mapping[str, object]  # this buyer's consent block
    ping_response: object  # what the buyer's ping answer said, for its post template
    now: float
