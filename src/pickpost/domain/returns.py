"""Returns of sold leads (docs/returns.md): who may open one, on which sale, when and for which
reason; who decides it; and what an approved return gives back. Every refusal is a
:class:`Problem`, answered as a :class:`Refusal` with its own code."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from pickpost.domain.errors import Code, Refusal
from pickpost.domain.lead import SaleStatus
from pickpost.domain.people import Principal
from pickpost.domain.workspace import ReturnsConfig

DAY_S = 86400


class ReturnStatus(StrEnum):
    OPEN = "open"
    APPROVED = "approved"
    REJECTED = "rejected"


class Problem(StrEnum):
    """Why a return cannot be opened or decided."""

    NO_LEAD = "no_lead"  # no such lead, or not one the principal may see
    NO_SALE = "no_sale"  # the lead was never offered to that buyer
    NOT_SOLD = "not_sold"  # the buyer did not buy it
    SEVERAL_BUYERS = "several_buyers"  # sold to several buyers, and none named
    NOT_PERMITTED = "not_permitted"  # the principal may not return this buyer's purchases
    NOT_ACCEPTED = "not_accepted"  # the campaign accepts no returns (window_days: 0)
    WINDOW_CLOSED = "window_closed"  # the sale is older than the campaign's window
    UNKNOWN_REASON = "unknown_reason"
    ALREADY_RETURNED = "already_returned"
    NO_RETURN = "no_return"
    NOT_OPERATOR = "not_operator"  # only operators approve or reject
    ALREADY_DECIDED = "already_decided"
    AMBIGUOUS = "ambiguous"  # a bulk row's key names several leads


_REFUSALS: dict[Problem, tuple[Code, str]] = {
    Problem.NO_LEAD: (Code.NOT_FOUND, "no lead {}"),
    Problem.NO_SALE: (Code.NOT_RETURNABLE, "the lead was not offered to that buyer"),
    Problem.NOT_SOLD: (Code.NOT_RETURNABLE, "the lead was not sold to that buyer"),
    Problem.SEVERAL_BUYERS: (
        Code.MISSING_PARAMETER,
        "the lead was sold to several buyers: name the buyer_id",
    ),
    Problem.NOT_PERMITTED: (Code.FORBIDDEN, "may not open returns of that buyer's purchases"),
    Problem.NOT_ACCEPTED: (Code.RETURN_WINDOW_CLOSED, "the campaign accepts no returns"),
    Problem.WINDOW_CLOSED: (
        Code.RETURN_WINDOW_CLOSED,
        "the sale is older than the campaign's return window",
    ),
    Problem.UNKNOWN_REASON: (Code.RETURN_REASON, "the reason is not one the campaign accepts"),
    Problem.ALREADY_RETURNED: (Code.ALREADY_RETURNED, "the sale has a return already"),
    Problem.NO_RETURN: (Code.NOT_FOUND, "no return {}"),
    Problem.NOT_OPERATOR: (Code.FORBIDDEN, "only an owner or admin approves or rejects returns"),
    Problem.ALREADY_DECIDED: (Code.ALREADY_DECIDED, "the return was decided already"),
    Problem.AMBIGUOUS: (Code.VALIDATION, "the key matches several leads"),
}


def refusal(problem: Problem, about: str = "") -> Refusal:
    """The answer to ``problem``; ``about`` names the lead or return not found."""
    code, message = _REFUSALS[problem]
    extra: dict[str, object] = {"reason": problem.value}
    return Refusal(code, message.format(about), extra=extra)


def message_of(problem: Problem) -> str:
    """What a bulk row's result says (no identifiers: the row number tells which)."""
    return _REFUSALS[problem][1].replace(" {}", "")


NOTE_MAX = 2000  # characters of a note


def note_problem(note: str) -> str | None:
    """What keeps ``note`` from being stored, if anything."""
    if len(note) > NOTE_MAX:
        return f"is longer than {NOTE_MAX} characters"
    if "\x00" in note:
        return "may not contain NUL characters"
    try:
        note.encode("utf-8")
    except UnicodeEncodeError:
        return "must be valid Unicode (no lone surrogates)"
    return None


@dataclass(frozen=True, slots=True)
class SaleOfLead:
    buyer_id: str
    bid_id: str
    status: SaleStatus
    sold_at: float  # epoch seconds: when the sale was made, where the window starts
    buyer_price_cents: int
    payout_cents: int  # the supplier's payout for this sale
    returned: bool  # a return exists for it, whatever its status


@dataclass(frozen=True, slots=True)
class LeadSales:
    """A lead and every sale (or attempt) of it."""

    lead_id: str
    campaign_id: str
    supplier_id: str
    sales: tuple[SaleOfLead, ...]

    @property
    def buyer_ids(self) -> frozenset[str]:
        return frozenset(s.buyer_id for s in self.sales)


class KeyKind(StrEnum):
    """What a key names a lead by; any of them is unique but a field's value."""

    LEAD_ID = "lead_id"
    PING_ID = "ping_id"
    BID_ID = "bid_id"  # one sale's bid: names the buyer too
    FIELD = "field"  # a personal lead field, matched exactly on its keyed hash


@dataclass(frozen=True, slots=True)
class LeadKey:
    kind: KeyKind
    value: str
    field: str | None = None  # KeyKind.FIELD: the field's name


@dataclass(frozen=True, slots=True)
class ReturnOpening:
    lead_id: str
    buyer_id: str
    reason: str
    note: str
    opened_by: str
    opened_at: float


@dataclass(frozen=True, slots=True)
class ReturnDecision:
    return_id: int
    status: ReturnStatus  # approved or rejected
    decided_by: str
    decided_at: float
    note: str
    credit_cents: int
    chargeback_cents: int


@dataclass(frozen=True, slots=True)
class ReturnRecord:
    return_id: int
    lead_id: str
    buyer_id: str
    campaign_id: str
    supplier_id: str
    reason: str
    note: str
    status: ReturnStatus
    opened_by: str
    opened_at: float
    decided_by: str | None
    decided_at: float | None
    decision_note: str
    credit_cents: int  # approved: the buyer's price, credited back to the buyer
    chargeback_cents: int  # approved: the supplier payout charged back, 0 when not

    def summary(self) -> dict[str, object]:
        """What the audit log keeps of it (no lead field values: there are none here)."""
        return {
            "status": self.status.value,
            "reason": self.reason,
            "credit_cents": self.credit_cents,
            "chargeback_cents": self.chargeback_cents,
        }


def choose_sale(
    principal: Principal, lead: LeadSales, buyer_id: str | None
) -> SaleOfLead | Problem:
    """The sale to return: the named buyer's, a buyer principal's own, or the only sold one."""
    if not principal.sees_lead(lead.supplier_id, lead.buyer_ids):
        return Problem.NO_LEAD
    buyer = buyer_id or principal.buyer_scope
    if buyer is None:
        sold = [s for s in lead.sales if s.status is SaleStatus.SOLD]
        if not sold:
            return Problem.NOT_SOLD
        if len(sold) > 1:
            return Problem.SEVERAL_BUYERS
        buyer = sold[0].buyer_id
    if not principal.may_open_return(buyer):
        return Problem.NOT_PERMITTED
    sale = next((s for s in lead.sales if s.buyer_id == buyer), None)
    return Problem.NO_SALE if sale is None else sale


def check_opening(
    sale: SaleOfLead, settings: ReturnsConfig | None, reason: str, now: float
) -> str | Problem:
    """The campaign's spelling of ``reason`` if the sale may be returned for it ``now``;
    ``settings`` None: the campaign is no longer served."""
    if sale.status is not SaleStatus.SOLD:
        return Problem.NOT_SOLD
    if sale.returned:
        return Problem.ALREADY_RETURNED
    if settings is None or settings.window_days == 0:
        return Problem.NOT_ACCEPTED
    if now - sale.sold_at > settings.window_days * DAY_S:
        return Problem.WINDOW_CLOSED
    wanted = reason.strip().casefold()
    return next((r for r in settings.reasons if r.casefold() == wanted), Problem.UNKNOWN_REASON)


def check_decision(principal: Principal, current: ReturnStatus) -> Problem | None:
    """Only an operator decides, and only a return still open."""
    if not principal.operates:
        return Problem.NOT_OPERATOR
    if current is not ReturnStatus.OPEN:
        return Problem.ALREADY_DECIDED
    return None


def amounts(sale: SaleOfLead, settings: ReturnsConfig | None) -> tuple[int, int]:
    """An approved return's credit to the buyer and chargeback to the supplier, in cents."""
    charges_back = settings is not None and settings.charge_back_supplier
    return sale.buyer_price_cents, sale.payout_cents if charges_back else 0


@dataclass(frozen=True, slots=True)
class ReturnPosition:
    """A return's place in the listing order, newest first: ``(opened_at, id)`` descending."""

    opened_at: datetime  # UTC
    return_id: int


@dataclass(frozen=True, slots=True)
class ReturnsQuery:
    """Every filter is optional; ``since`` (inclusive) and ``until`` (exclusive) bound
    ``opened_at``."""

    status: ReturnStatus | None = None
    campaign_id: str | None = None
    buyer_id: str | None = None
    supplier_id: str | None = None
    since: datetime | None = None  # UTC
    until: datetime | None = None  # UTC
    after: ReturnPosition | None = None
    limit: int = 100
    lead_id: str | None = None


@dataclass(frozen=True, slots=True)
class ReturnsPage:
    returns: Sequence[ReturnRecord]
    next: ReturnPosition | None  # None: nothing was left after this page when it was read
