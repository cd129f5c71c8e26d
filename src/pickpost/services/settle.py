"""Settling leads whose POST died mid-sale (a crash, a kill): the ledger says what it can.

Such a lead stays ``selling``, and every retry of its POST would wait and answer 1014. A
sweep gives it a stored answer built from its consent and sales, so retries replay that, and
marks the sales that were mid-call ``unknown`` for an operator to reconcile with the buyer.
"""

import logging
import time
from dataclasses import dataclass

from pickpost.domain.errors import Code
from pickpost.domain.lead import InterruptedLead, LeadStatus, SaleStatus, StoredOutcome
from pickpost.domain.money import to_cents, to_json_number
from pickpost.services.periodic import Periodic
from pickpost.services.ports import LeadStore

log = logging.getLogger(__name__)

UNKNOWN_REASON = "unknown: the sale was interrupted"


def interrupted_outcome(lead: InterruptedLead) -> tuple[StoredOutcome, int]:
    """The answer a retry gets for an interrupted lead, and the payout the ledger confirms."""
    sold: list[dict[str, object]] = []
    rejected: list[dict[str, object]] = []
    for bid in lead.bids_picked:
        summary = {k: bid[k] for k in ("bid_id", "buyer_id", "tcpa_entity_name")}
        status, reason = lead.sales.get(str(bid["buyer_id"]), (None, "not attempted"))
        if status is SaleStatus.SOLD:
            sold.append(summary | {"bid_price": bid["bid_price"], "fields": {}})
        elif status in (SaleStatus.PENDING, SaleStatus.UNKNOWN):
            rejected.append(summary | {"reason": UNKNOWN_REASON})
        else:
            rejected.append(summary | {"reason": reason or UNKNOWN_REASON})
    payout = sum(to_cents(str(bid["bid_price"])) for bid in sold)
    prices = [to_cents(str(bid["bid_price"])) for bid in lead.bids_shown]
    body: dict[str, object] = {
        "lead_id": lead.lead_id,
        "payout": to_json_number(payout),
        "sold_bids": sold,
        "rejected_bids": rejected,
        "meta": {
            "total_bids": len(lead.bids_shown),
            "consented_bids": len(lead.bids_picked),
            "sold_count": len(sold),
            "max_bid_price": to_json_number(max(prices)) if prices else None,
            "execution_time_ms": None,
        },
    }
    code = Code.OK if sold else Code.NOT_SOLD
    message = "the sale was interrupted; this is what the ledger confirms"
    outcome = StoredOutcome(
        lead_id=lead.lead_id,
        campaign_id=lead.campaign_id,
        supplier_id=lead.supplier_id,
        status=LeadStatus.INTERRUPTED,
        code=int(code),
        message=message,
        body=body,
    )
    return outcome, payout


@dataclass(frozen=True, slots=True)
class SettlePolicy:
    """A lead is settled once it has not changed for ``after_s``: far longer than any POST
    may legitimately sell (the replay wait is capped at 120 s), so no live POST is touched."""

    after_s: float = 900.0
    every_s: float = 60.0


class Settler:
    def __init__(self, leads: LeadStore, policy: SettlePolicy = SettlePolicy()) -> None:
        self._leads = leads
        self._policy = policy
        # At start too: leads a crashed process left selling are settled without a wait.
        self._sweep = Periodic(
            "settler", policy.every_s, lambda: self.settle(time.time()), at_start=True
        )

    async def settle(self, now: float) -> int:
        """Settle what is stale at ``now``; returns how many leads this call settled."""
        settled = 0
        for lead in await self._leads.interrupted(now - self._policy.after_s):
            outcome, payout = interrupted_outcome(lead)
            # Another node may settle the same lead at the same moment; one update wins.
            if await self._leads.finish_lead(outcome, payout):
                settled += 1
                log.warning("settled interrupted lead %s", lead.lead_id)
        return settled

    def start(self) -> None:
        self._sweep.start()

    async def close(self) -> None:
        await self._sweep.close()
