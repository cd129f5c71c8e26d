"""Bids as buyers give them and as Pickpost offers them."""

from dataclasses import dataclass, field

from pickpost.domain.money import Cents


@dataclass(frozen=True, slots=True)
class RawBid:
    """A buyer's answer to a ping, before shaping."""

    buyer_id: str
    price: Cents
    tcpa_entity_name: str
    token: str | None = None
    additional_data: dict[str, object] = field(default_factory=dict)
    latency_ms: float = 0.0
    # A mapped buyer's parsed ping answer, for ``{{ping_response.path}}`` in its post template.
    ping_response: object = None


@dataclass(frozen=True, slots=True)
class OfferedBid:
    """A bid shown to the supplier: ``price`` is what the supplier earns, after margin.

    ``bid_id`` is Pickpost's own unguessable id; ``token`` is the buyer's, sent back to that
    buyer only.
    """

    bid_id: str
    buyer_id: str
    price: Cents
    buyer_price: Cents
    tcpa_entity_name: str
    token: str | None = None
    additional_data: dict[str, object] = field(default_factory=dict)
    ping_response: object = None  # kept for the buyer's post template, never shown
