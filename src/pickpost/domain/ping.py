"""A ping as remembered between the PING and its POST."""

from dataclasses import asdict, dataclass
from typing import Any

from pickpost.domain.bids import OfferedBid


@dataclass(frozen=True, slots=True)
class PingRecord:
    ping_id: str
    campaign_id: str
    supplier_id: str
    request_id: str
    created_at: float  # epoch seconds
    expires_at: float
    test: bool
    lead: dict[str, object]  # everything the supplier sent except credentials
    ping_values: dict[str, object]  # the validated ping fields, as forwarded to buyers
    bids: tuple[OfferedBid, ...]
    buyers_pinged: int
    # One-to-One: the hash of the pick token the PING handed out, and until when it works.
    pick_token_sha256: str | None = None
    pick_expires_at: float | None = None

    def owned_by(self, campaign_id: str, supplier_id: str) -> bool:
        return self.campaign_id == campaign_id and self.supplier_id == supplier_id

    @property
    def max_bid_price(self) -> int:
        return max((bid.price for bid in self.bids), default=0)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "PingRecord":
        bids = tuple(OfferedBid(**bid) for bid in data["bids"])
        return cls(**{**data, "bids": bids})
