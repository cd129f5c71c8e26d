"""What a POST writes: the lead, the consumer's consent, the sales and the stored outcome."""

from dataclasses import dataclass, field
from enum import StrEnum

from pickpost.domain.outcomes import BuyerCall
from pickpost.domain.ping import PingRecord


class LeadStatus(StrEnum):
    SELLING = "selling"
    SOLD = "sold"
    NOT_SOLD = "not_sold"
    UNKNOWN = "unknown"  # nothing confirmed sold, and a buyer may have bought it
    INTERRUPTED = "interrupted"  # its POST died mid-sale; settled from the ledger afterwards


class SaleStatus(StrEnum):
    PENDING = "pending"  # claimed, buyer being called
    SOLD = "sold"
    REJECTED = "rejected"
    ERROR = "error"
    UNKNOWN = "unknown"  # was pending when its POST ended abnormally: ask the buyer


class SaleBlocked(StrEnum):
    """Why a sale row could not be started."""

    TAKEN = "taken"  # the lead already has a sale to this buyer
    SETTLED = "settled"  # the lead is no longer selling: a retry settled it, its sale is over


@dataclass(frozen=True, slots=True)
class NewLead:
    lead_id: str
    campaign_id: str
    supplier_id: str
    ping_id: str | None
    request_id: str
    created_at: float
    test: bool
    fields: dict[str, object]


@dataclass(frozen=True, slots=True)
class ConsentRecord:
    """Proof of what the consumer saw and picked, written before any buyer is called."""

    lead_id: str
    ping_id: str | None  # None for Direct Post
    consented_at: float
    bids_shown: list[dict[str, object]]
    bids_picked: list[dict[str, object]]  # in the consumer's order
    evidence: dict[str, str]  # tcpa_text, ip_address, user_agent, landing_page_url, …
    # The non-personal facts of the pick Pickpost recorded itself (RecordedPick.facts).
    pick: dict[str, object] | None = None


@dataclass(frozen=True, slots=True)
class SaleAttempt:
    lead_id: str
    buyer_id: str
    bid_id: str
    buyer_price: int
    payout: int
    created_at: float


@dataclass(frozen=True, slots=True)
class SaleFinish:
    """A buyer's answer to a started sale, as the ledger records it. The seller holds it until
    the lead's next write (the next sale's start, or the stored answer) and both go in one
    transaction: one round trip fewer per sale (docs/benchmarks.md, "The POST's round trips")."""

    sale_id: int
    status: SaleStatus
    call: BuyerCall


@dataclass(frozen=True, slots=True)
class StoredOutcome:
    """A POST's answer as first given, so a retry gets the same one."""

    lead_id: str
    campaign_id: str
    supplier_id: str
    status: LeadStatus
    code: int = 0
    message: str = ""
    body: dict[str, object] = field(default_factory=dict)
    since: float = 0.0  # epoch seconds of the lead's last change, as read back


@dataclass(frozen=True, slots=True)
class RequestLog:
    request_id: str
    endpoint: str
    received_at: float
    duration_ms: float
    http_status: int
    code: int
    campaign_id: str | None
    supplier_id: str | None
    ping_id: str | None
    lead_id: str | None
    remote_addr: str | None
    request: dict[str, object]
    response: dict[str, object]


@dataclass(frozen=True, slots=True)
class PingLog:
    """Everything a PING leaves behind, written off the hot path."""

    record: PingRecord
    calls: tuple[BuyerCall, ...]


@dataclass(frozen=True, slots=True)
class InterruptedLead:
    """A lead left selling by a POST that died: what the ledger knows of it."""

    lead_id: str
    campaign_id: str
    supplier_id: str
    bids_shown: list[dict[str, object]]
    bids_picked: list[dict[str, object]]
    sales: dict[str, "SaleRecord"]  # by buyer id


@dataclass(frozen=True, slots=True)
class SaleRecord:
    """A sale row as the ledger has it."""

    status: SaleStatus
    reason: str
    payout: int  # cents
