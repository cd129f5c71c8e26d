"""The answer of a sale – a POST, a Direct Post, their replays, and a lead settled after its
POST died – written in one place, so a replay can never drift from the first answer.

A buyer that took the lead is *sold*; one that said no (or could not have seen the lead) is
*rejected*; one whose answer never came or could not be read is *unknown*: it may have bought
the lead. Unknown bids are listed apart and never called rejected (docs/supplier-api.md,
"When a buyer's answer is unknown").
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from pickpost.domain.errors import Code
from pickpost.domain.money import Cents, to_json_number
from pickpost.domain.workspace import CampaignConfig, CampaignType
from pickpost.services.intake import Reply

NOT_SOLD_MESSAGE = "not sold: every attempted buyer rejected"
NO_BUYERS_MESSAGE = "no eligible buyers for this lead"
UNKNOWN_MESSAGE = (
    "not confirmed: a buyer did not answer in time or could not be understood and may have "
    "bought the lead; see unknown bids"
)
INTERRUPTED_MESSAGE = "the sale was interrupted; this is what the ledger confirms"


class AnswerShape(StrEnum):
    """How a campaign's sale answer looks."""

    CONSENTED = "consented"  # One-to-One: every bid picked, sold or not
    CHOSEN = "chosen"  # shared exchange: every bid the supplier named
    EXCLUSIVE = "exclusive"  # exclusive exchange: one buyer, maybe after fallbacks
    DIRECT = "direct"  # Direct Post: counts, no bids

    @property
    def lists_bids(self) -> bool:
        return self in (AnswerShape.CONSENTED, AnswerShape.CHOSEN)


def shape_of(config: CampaignConfig) -> AnswerShape:
    if config.type is CampaignType.ONE_TO_ONE:
        return AnswerShape.CONSENTED
    if config.type is CampaignType.DIRECT_POST:
        return AnswerShape.DIRECT
    return AnswerShape.CHOSEN if config.exchange.mode == "shared" else AnswerShape.EXCLUSIVE


def shows_rejected(config: CampaignConfig) -> bool:
    """Whether the answer lists rejected bids (a One-to-One campaign may turn it off)."""
    return config.type is not CampaignType.ONE_TO_ONE or config.one_to_one.show_rejected_bids


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
    """What an answer is made of."""

    shape: AnswerShape
    lead_id: str
    attempts: Sequence[Attempt]
    total_bids: int = 0  # bids the ping offered (bids shapes)
    max_bid_price: Cents | None = None  # the highest offered (bids shapes)
    picked: int = 0  # bids the supplier named (bids shapes)
    buyers_priced: int = 0  # Direct Post
    show_rejected: bool = True
    response_fields: Mapping[str, object] = field(default_factory=dict)
    execution_ms: int | None = None
    interrupted: bool = False

    @property
    def payout(self) -> Cents:
        """What the supplier earns: confirmed sales only."""
        return sum(a.payout for a in self.attempts if a.sold)


def sale_reply(summary: SaleSummary) -> Reply:
    attempts = summary.attempts
    sold = [a for a in attempts if a.sold]
    unknown = [a for a in attempts if a.unknown]
    body: dict[str, object] = {
        "lead_id": summary.lead_id,
        "payout": to_json_number(summary.payout),
    }
    counts = {"sold_count": len(sold), "unknown_count": len(unknown)}
    meta: dict[str, object]
    if summary.shape.lists_bids:
        body["sold_bids"] = [
            a.summary() | {"bid_price": to_json_number(a.payout), "fields": dict(a.fields)}
            for a in sold
        ]
        if summary.show_rejected:
            body["rejected_bids"] = [
                a.summary() | {"reason": a.reason} for a in attempts if not a.may_have_sold
            ]
        body["unknown_bids"] = [a.summary() | {"reason": a.reason} for a in unknown]
        picked = "consented_bids" if summary.shape is AnswerShape.CONSENTED else "chosen_bids"
        max_price = summary.max_bid_price
        meta = {
            "total_bids": summary.total_bids,
            picked: summary.picked,
            **counts,
            "max_bid_price": None if max_price is None else to_json_number(max_price),
        }
    elif summary.shape is AnswerShape.EXCLUSIVE:
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
    if summary.shape is AnswerShape.DIRECT and not summary.attempts:
        return Code.NO_BIDS, NO_BUYERS_MESSAGE
    return Code.NOT_SOLD, NOT_SOLD_MESSAGE


def first_sold_fields(attempts: Sequence[Attempt]) -> Mapping[str, object]:
    """The fields of the first sold bid: what a campaign's ``response_fields`` may copy."""
    return next((a.fields for a in attempts if a.sold), {})
