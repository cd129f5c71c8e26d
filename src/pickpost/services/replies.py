"""Every answer a supplier gets, written in one place: the envelope, the PING's offer, and the
answer of a sale – a POST, a Direct Post, their replays, and a lead settled after its POST
died – so a replay, or an example on the spec page, can never drift from a real answer.

A buyer that took the lead is *sold*; one that said no (or could not have seen the lead) is
*rejected*; one whose answer never came or could not be read is *unknown*: it may have bought
the lead. Unknown bids are listed apart and never called rejected (docs/supplier-api.md,
"When a buyer's answer is unknown").
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from pickpost.domain.errors import Code, Refusal
from pickpost.domain.fields import FieldError
from pickpost.domain.money import Cents, to_json_number
from pickpost.domain.sale_policy import SaleKind, SalePolicy

NOT_SOLD_MESSAGE = "not sold: every attempted buyer rejected"
NO_BIDS_MESSAGE = "no bids"
NO_BUYERS_MESSAGE = "no eligible buyers for this lead"
UNKNOWN_MESSAGE = (
    "not confirmed: a buyer did not answer in time or could not be understood and may have "
    "bought the lead; see unknown bids"
)
INTERRUPTED_MESSAGE = "the sale was interrupted; this is what the ledger confirms"


@dataclass(frozen=True, slots=True)
class Reply:
    """A use case's answer; :func:`envelope` wraps it for the wire."""

    code: Code
    message: str = ""
    body: dict[str, object] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    errors: tuple[FieldError, ...] = ()

    @classmethod
    def refused(cls, refusal: Refusal) -> "Reply":
        return cls(
            refusal.code,
            refusal.message,
            dict(refusal.extra),
            headers=dict(refusal.headers),
            errors=refusal.errors,
        )


def envelope(reply: Reply, request_id: str | None) -> dict[str, object]:
    """The supplier envelope (docs/supplier-api.md, "The envelope"). Lead Prosper's clients read
    ``code`` or ``error_code``, ``lead_id`` or ``id``: each pair carries one value."""
    body: dict[str, object] = {
        "status": reply.code.status.value,
        "code": int(reply.code),
        "error_code": int(reply.code),
        "message": reply.message,
        "request_id": request_id,
    }
    body.update(reply.body)
    if "lead_id" in body:
        body["id"] = body["lead_id"]
    if reply.errors:
        body["errors"] = [{"field": e.field, "message": e.message} for e in reply.errors]
    return body


# The PING


@dataclass(frozen=True, slots=True)
class Offer:
    """What a PING offers: the bids (or, for an exclusive exchange, the quote) as the supplier
    sees them – ``bid_id``, ``buyer_id``, ``bid_price``, ``tcpa_entity_name``,
    ``additional_data`` – best first."""

    ping_id: str
    expires_at: str  # ISO-8601 UTC
    bids: Sequence[Mapping[str, object]]
    buyers_pinged: int
    execution_ms: int
    pick: Mapping[str, object] | None = None  # One-to-One: token, url, expires_at


def ping_reply(policy: SalePolicy, offer: Offer) -> Reply:
    body: dict[str, object] = {"ping_id": offer.ping_id, "expires_at": offer.expires_at}
    if policy.quotes_payout:
        # One offer: the quote. Its price is the highest (and only) one offered.
        shown = list(offer.bids[:1])
        body["payout"] = shown[0]["bid_price"] if shown else 0
    else:
        shown = list(offer.bids)
        body["bids"] = shown
    if offer.pick is not None and offer.bids:
        body["pick"] = dict(offer.pick)
    body["meta"] = {
        "buyers_pinged": offer.buyers_pinged,
        # What the POST may sell to: for an exclusive exchange the quote and its fallbacks.
        "total_bids": len(offer.bids),
        "max_bid_price": max((bid["bid_price"] for bid in shown), key=_price, default=None),
        "execution_time_ms": offer.execution_ms,
    }
    if not offer.bids:
        return Reply(Code.NO_BIDS, NO_BIDS_MESSAGE, body)
    return Reply(Code.OK, "", body)


def _price(json_number: object) -> float:
    return float(json_number) if isinstance(json_number, int | float) else 0.0


# The sale


class SaleResult(StrEnum):
    SOLD = "sold"
    REJECTED = "rejected"
    UNKNOWN = "unknown"  # no answer in time, or an unreadable one: it may have sold


@dataclass(frozen=True, slots=True)
class Attempt:
    """One bid's part in a sale, as the answer tells it."""

    bid_id: str
    buyer_id: str
    tcpa_entity_name: str
    result: SaleResult
    reason: str = ""
    payout: Cents = 0  # what the supplier earns if it sold
    fields: Mapping[str, object] = field(default_factory=dict)

    @property
    def sold(self) -> bool:
        return self.result is SaleResult.SOLD

    @property
    def unknown(self) -> bool:
        return self.result is SaleResult.UNKNOWN

    @property
    def may_have_sold(self) -> bool:
        """Sold or unknown: what counts toward a sell limit and stays charged to caps."""
        return self.result is not SaleResult.REJECTED

    def summary(self) -> dict[str, object]:
        return {
            "bid_id": self.bid_id,
            "buyer_id": self.buyer_id,
            "tcpa_entity_name": self.tcpa_entity_name,
        }


@dataclass(frozen=True, slots=True)
class SaleSummary:
    """What a sale's answer is made of."""

    policy: SalePolicy
    lead_id: str
    attempts: Sequence[Attempt]
    total_bids: int = 0  # bids the ping offered (answers that list bids)
    max_bid_price: Cents | None = None  # the highest offered (answers that list bids)
    picked: int = 0  # bids the supplier named (answers that list bids)
    buyers_priced: int = 0  # Direct Post
    response_fields: Mapping[str, object] = field(default_factory=dict)
    execution_ms: int | None = None
    interrupted: bool = False

    @property
    def payout(self) -> Cents:
        """What the supplier earns: confirmed sales only."""
        return sum(a.payout for a in self.attempts if a.sold)


def sale_reply(summary: SaleSummary) -> Reply:
    attempts, policy = summary.attempts, summary.policy
    sold = [a for a in attempts if a.sold]
    unknown = [a for a in attempts if a.unknown]
    body: dict[str, object] = {
        "lead_id": summary.lead_id,
        "payout": to_json_number(summary.payout),
    }
    counts = {"sold_count": len(sold), "unknown_count": len(unknown)}
    meta: dict[str, object]
    if policy.lists_bids:
        body["sold_bids"] = [
            a.summary() | {"bid_price": to_json_number(a.payout), "fields": dict(a.fields)}
            for a in sold
        ]
        if policy.show_rejected:
            body["rejected_bids"] = [
                a.summary() | {"reason": a.reason} for a in attempts if not a.may_have_sold
            ]
        body["unknown_bids"] = [a.summary() | {"reason": a.reason} for a in unknown]
        picked = "consented_bids" if policy.kind is SaleKind.CONSENTED else "chosen_bids"
        max_price = summary.max_bid_price
        meta = {
            "total_bids": summary.total_bids,
            picked: summary.picked,
            **counts,
            "max_bid_price": None if max_price is None else to_json_number(max_price),
        }
    elif policy.kind is SaleKind.EXCLUSIVE:
        meta = {"attempts": len(attempts), **counts}
    else:
        meta = {"buyers_priced": summary.buyers_priced, "attempts": len(attempts), **counts}
    body.update(summary.response_fields)
    body["meta"] = meta | {"execution_time_ms": summary.execution_ms}
    code, message = _verdict(summary, bool(sold), bool(unknown))
    if summary.interrupted:
        message = INTERRUPTED_MESSAGE
    return Reply(code, message, body)


def _verdict(summary: SaleSummary, sold: bool, unknown: bool) -> tuple[Code, str]:
    if sold:
        return Code.OK, ""
    if unknown:
        return Code.SALE_UNKNOWN, UNKNOWN_MESSAGE
    if summary.policy.kind is SaleKind.DIRECT and not summary.buyers_priced:
        return Code.NO_BIDS, NO_BUYERS_MESSAGE
    return Code.NOT_SOLD, NOT_SOLD_MESSAGE


def first_sold_fields(attempts: Sequence[Attempt]) -> Mapping[str, object]:
    """The fields of the first sold bid: what a campaign's ``response_fields`` may copy."""
    return next((a.fields for a in attempts if a.sold), {})
