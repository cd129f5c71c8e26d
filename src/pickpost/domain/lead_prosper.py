"""Lead Prosper's words for Pickpost's numbers and statuses: what ``/public/*`` answers
(docs/data-api.md maps every field to its definition in docs/reports.md).

Pure: money in, money out as integer cents turned into JSON dollars at the very end.
"""

from pickpost.domain.errors import Code
from pickpost.domain.lead import LeadStatus, SaleStatus
from pickpost.domain.money import to_json_number
from pickpost.domain.reports import Tally

ACCEPTED = "ACCEPTED"
DUPLICATED = "DUPLICATED"
ERROR = "ERROR"
PENDING = "PENDING"
REJECTED = "REJECTED"

# A ``status`` filter of ``/public/leads``: Lead Prosper's word, or Pickpost's own status.
STATUS_FILTER: dict[str, frozenset[str]] = {
    ACCEPTED: frozenset({LeadStatus.SOLD}),
    ERROR: frozenset({LeadStatus.NOT_SOLD, LeadStatus.UNKNOWN, LeadStatus.INTERRUPTED}),
    PENDING: frozenset({LeadStatus.SELLING}),
    **{s.value: frozenset({s.value}) for s in LeadStatus},
}

_SALE_STATUS = {
    SaleStatus.SOLD: ACCEPTED,
    SaleStatus.REJECTED: REJECTED,
    SaleStatus.ERROR: ERROR,
    SaleStatus.PENDING: PENDING,
    SaleStatus.UNKNOWN: PENDING,  # the buyer's answer never came: an operator settles it
}


def dollars(cents: int) -> float:
    """Dollars as Lead Prosper gives them: a JSON number, exactly the ledger's cents."""
    return to_json_number(cents)


def lead_status(status: str, code: int) -> str:
    """A lead's status: ACCEPTED (sold), DUPLICATED (answered 1008), PENDING (still selling)
    or ERROR (not sold, unknown or interrupted)."""
    if status == LeadStatus.SOLD:
        return ACCEPTED
    if code == Code.DUPLICATE:
        return DUPLICATED
    if status == LeadStatus.SELLING:
        return PENDING
    return ERROR


def sale_status(status: str) -> str:
    """A buyer's status on a lead: ACCEPTED, REJECTED, ERROR or PENDING."""
    return _SALE_STATUS.get(SaleStatus(status), ERROR)


def _duplicated(tally: Tally) -> int:
    return tally.refused_by_code.get(str(int(Code.DUPLICATE)), 0)


def campaign_stats(tally: Tally) -> dict[str, object]:
    """A campaign's (or a supplier's) lead counts and gross money."""
    return {
        "leads_total": tally.leads,
        "leads_accepted": tally.sold,
        "leads_duplicated": _duplicated(tally),
        "leads_failed": tally.leads - tally.sold,
        "total_buy": dollars(tally.cost_cents),
        "total_sell": dollars(tally.revenue_cents),
        "profit": dollars(tally.revenue_cents - tally.cost_cents),
    }


def _money(tally: Tally) -> dict[str, object]:
    gross_profit = tally.revenue_cents - tally.cost_cents
    returned_profit = tally.returned_revenue_cents - tally.returned_cost_cents
    return {
        "leads_returned": tally.returns,
        "gross_cost": dollars(tally.cost_cents),
        "returned_cost": dollars(tally.returned_cost_cents),
        "net_cost": dollars(tally.cost_cents - tally.returned_cost_cents),
        "gross_revenue": dollars(tally.revenue_cents),
        "returned_revenue": dollars(tally.returned_revenue_cents),
        "net_revenue": dollars(tally.revenue_cents - tally.returned_revenue_cents),
        "gross_profit": dollars(gross_profit),
        "returned_profit": dollars(returned_profit),
        "net_profit": dollars(gross_profit - returned_profit),
    }


# Pickpost has no pre-ping step: these are always 0, kept for tools that read them.
NO_PREPINGS = {"prepings_total": 0, "prepings_accepted": 0, "prepings_failed": 0}


def _avg_bid(tally: Tally) -> float:
    if tally.bids == 0:
        return 0.0
    return dollars((2 * tally.bid_cents + tally.bids) // (2 * tally.bids))


def supplier_stats(tally: Tally) -> dict[str, object]:
    """A supplier's breakdown: its leads and PINGs, and the money of their sales."""
    return {
        **campaign_stats(tally),
        **_money(tally),
        "net_leads_accepted": tally.sold - tally.returns,
        "pings_total": tally.pings,
        "pings_accepted": tally.pings_with_bids,
        "pings_failed": tally.pings - tally.pings_with_bids,
        "pings_avg_bid": _avg_bid(tally),
        **NO_PREPINGS,
    }


def buyer_stats(tally: Tally) -> dict[str, object]:
    """A buyer's breakdown: the leads posted to it and the pings sent to it."""
    return {
        "leads_total": tally.posts,
        "leads_accepted": tally.sales,
        "leads_duplicated": 0,
        "leads_failed": tally.posts - tally.sales,
        "total_buy": dollars(tally.cost_cents),
        "total_sell": dollars(tally.revenue_cents),
        "profit": dollars(tally.revenue_cents - tally.cost_cents),
        **_money(tally),
        "net_leads_accepted": tally.sales - tally.returns,
        "pings_total": tally.buyer_pings,
        "pings_accepted": tally.bids,
        "pings_failed": tally.buyer_pings - tally.bids,
        "pings_avg_bid": _avg_bid(tally),
        **NO_PREPINGS,
    }
