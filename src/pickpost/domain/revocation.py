"""The consumer's withdrawal of consent and its delivery to buyers (docs/consent.md, "The
receipt and withdrawal"): signed links that need no login, the outbox's states, the backoff of
its retries, and the revocation call of native buyers.

Pure: stdlib only.
"""

import base64
import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from pickpost.domain.consent_ledger import Draft, EntryKind, canonical, now_ms

MAC_CHARS = 32
"""A link's signature: the first 32 base64url characters (192 bits) of an HMAC-SHA256."""


class LinkKind(StrEnum):
    RECEIPT = "receipt"  # the consumer's receipt of one lead
    WITHDRAW = "withdraw"  # the receipt's withdraw form (its anti-forgery field)
    CERTIFICATE = "certificate"  # one buyer's view of a lead's consent certificate


@dataclass(frozen=True, slots=True)
class LinkSigner:
    """Signs and checks the links of receipts and buyers' certificates with one site key.

    A signature covers the link's kind and every id it names, so a link of one kind, lead or
    buyer cannot be turned into another without the key."""

    key: bytes

    def sign(self, kind: LinkKind, *ids: str) -> str:
        message = canonical([kind.value, *ids])
        digest = hmac.new(self.key, message, hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode()[:MAC_CHARS]

    def valid(self, mac: str, kind: LinkKind, *ids: str) -> bool:
        return hmac.compare_digest(mac.encode(), self.sign(kind, *ids).encode())


def receipt_path(signer: LinkSigner, lead_id: str) -> str:
    return f"/receipt/{lead_id}/{signer.sign(LinkKind.RECEIPT, lead_id)}"


def certificate_path(signer: LinkSigner, lead_id: str, buyer_id: str) -> str:
    mac = signer.sign(LinkKind.CERTIFICATE, lead_id, buyer_id)
    return f"/certificate/{lead_id}/{buyer_id}/{mac}"


class Withdrawal(StrEnum):
    """What a withdrawal came to."""

    RECORDED = "recorded"
    ALREADY = "already"  # withdrawn before: nothing new recorded
    NO_LEAD = "no_lead"


class DeliveryState(StrEnum):
    """Where one buyer's revocation stands."""

    PENDING = "pending"  # not acknowledged yet: tried again after its backoff
    DELIVERED = "delivered"  # the buyer acknowledged it (2xx)
    NO_CHANNEL = "no_channel"  # the buyer has no revoke_url nor a mapped revoke step


@dataclass(frozen=True, slots=True)
class Backoff:
    """When a failed delivery is tried again: ``first_s`` after the first failure, doubling
    each time, never more than ``cap_s`` apart. Deliveries are retried until acknowledged."""

    first_s: float = 30.0
    cap_s: float = 6 * 3600.0

    def delay_s(self, failures: int) -> float:
        """The wait after the ``failures``-th failed attempt (1 for the first)."""
        return float(min(self.first_s * 2 ** max(failures - 1, 0), self.cap_s))


@dataclass(frozen=True, slots=True)
class Revoked:
    """One buyer's sale of a withdrawn lead: what its revocation names."""

    lead_id: str
    campaign_id: str
    sale_id: int
    buyer_id: str
    bid_id: str
    revoked_at: datetime
    idempotency_key: str
    attempts: int = 0  # failed attempts so far


def idempotency_key(lead_id: str, sale_id: int) -> str:
    """The same key on every attempt of one sale's revocation (and across withdrawals, of
    which only the first counts)."""
    return "rv_" + hashlib.sha256(canonical(["revocation", lead_id, sale_id])).hexdigest()[:32]


def requested_draft(sales: list[tuple[int, str, str]], at: datetime) -> Draft:
    """The ``revocation_requested`` entry: the sold sales (id, buyer, bid) it goes to."""
    facts = {
        "sales": [
            {"sale_id": sale_id, "buyer_id": buyer_id, "bid_id": bid_id}
            for sale_id, buyer_id, bid_id in sales
        ]
    }
    return Draft(EntryKind.REVOCATION_REQUESTED, now_ms(at), facts)


def delivered_draft(revoked: Revoked, at: datetime) -> Draft:
    """The ``revocation_delivered`` entry: the buyer acknowledged the revocation of a sale."""
    facts = {"sale_id": revoked.sale_id, "buyer_id": revoked.buyer_id, "bid_id": revoked.bid_id}
    return Draft(EntryKind.REVOCATION_DELIVERED, now_ms(at), facts)
