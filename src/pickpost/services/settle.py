"""Settling leads whose POST died mid-sale (a crash, a kill): the ledger says what it can.

Such a lead stays ``selling``. It is settled – given a stored answer built from its consent and
sales, in its campaign's answer shape, so retries replay that – by a retry of its POST once the
sale cannot still be running (see :class:`~pickpost.services.post.ReplayWait`), or by a
periodic sweep. Sales that were mid-call become ``unknown``: the buyer may have taken the lead,
and an operator reconciles them with the buyer (``GET /api/v1/sales?status=unknown``).
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass

from pickpost.domain.catalog import Campaign
from pickpost.domain.lead import InterruptedLead, LeadStatus, SaleStatus, StoredOutcome
from pickpost.domain.money import Cents, to_cents
from pickpost.domain.sale_policy import SaleKind, SalePolicy
from pickpost.services.periodic import Periodic
from pickpost.services.ports import SYSTEM_CLOCK, Clock, LeadStore
from pickpost.services.replies import Attempt, SaleResult, SaleSummary, sale_reply
from pickpost.services.selling import response_fields

log = logging.getLogger(__name__)

UNKNOWN_REASON = "unknown: the sale was interrupted; the buyer may have taken the lead"
NOT_ATTEMPTED = "not attempted: the sale was interrupted"

CampaignLookup = Callable[[str], Campaign | None]
# For a campaign no longer in the catalog: the answer that lists every bid.
EVERY_BID = SalePolicy(SaleKind.CONSENTED, sell_limit=None)


def _attempts(lead: InterruptedLead, untried: bool) -> list[Attempt]:
    """The picked bids' sales as the ledger has them; bids never tried are listed as such
    when ``untried`` (answers that list every bid), else left out."""
    attempts = []
    for bid in lead.bids_picked:
        sale = lead.sales.get(str(bid["buyer_id"]))
        if sale is None and not untried:
            continue
        if sale is None:
            result, reason, payout = SaleResult.REJECTED, NOT_ATTEMPTED, 0
        elif sale.status is SaleStatus.SOLD:
            result, reason, payout = SaleResult.SOLD, "", sale.payout
        elif sale.status in (SaleStatus.PENDING, SaleStatus.UNKNOWN):
            result, reason, payout = SaleResult.UNKNOWN, UNKNOWN_REASON, sale.payout
        else:
            result, reason, payout = SaleResult.REJECTED, sale.reason, sale.payout
        attempts.append(
            Attempt(
                bid_id=str(bid["bid_id"]),
                buyer_id=str(bid["buyer_id"]),
                tcpa_entity_name=str(bid["tcpa_entity_name"]),
                result=result,
                reason=reason,
                payout=payout,
            )
        )
    return attempts


def interrupted_outcome(
    lead: InterruptedLead, campaign: Campaign | None
) -> tuple[StoredOutcome, Cents]:
    """The answer a retry gets for an interrupted lead, and the payout the ledger confirms.

    It has the shape of the campaign's own answers; a campaign no longer in the catalog gets
    the One-to-One shape, which lists every bid. Buyers' mapped fields are not stored, so sold
    bids carry none; the campaign's static response fields are kept.
    """
    policy = campaign.policy if campaign else EVERY_BID
    attempts = _attempts(lead, untried=policy.lists_bids)
    prices = [to_cents(str(bid["bid_price"])) for bid in lead.bids_shown]
    summary = SaleSummary(
        policy=policy,
        lead_id=lead.lead_id,
        attempts=attempts,
        total_bids=len(lead.bids_shown),
        max_bid_price=max(prices) if prices else None,
        picked=len(lead.bids_picked),
        buyers_priced=len(lead.bids_shown),
        response_fields=response_fields(campaign, attempts) if campaign else {},
        interrupted=True,
    )
    reply = sale_reply(summary)
    outcome = StoredOutcome(
        lead_id=lead.lead_id,
        campaign_id=lead.campaign_id,
        supplier_id=lead.supplier_id,
        status=LeadStatus.INTERRUPTED,
        code=int(reply.code),
        message=reply.message,
        body=reply.body,
    )
    return outcome, summary.payout


@dataclass(frozen=True, slots=True)
class SettlePolicy:
    """The sweep settles a lead once it has not changed for ``after_s``: far longer than any
    POST may legitimately sell, so no live POST is touched. (A retry of the lead's POST
    settles it sooner, from the campaign's own sale budget.)"""

    after_s: float = 900.0
    every_s: float = 60.0


class Settler:
    def __init__(
        self,
        leads: LeadStore,
        campaigns: CampaignLookup,
        policy: SettlePolicy = SettlePolicy(),
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        self._leads = leads
        self._campaigns = campaigns
        self._policy = policy
        # At start too: leads a crashed process left selling long ago are settled at once.
        self._sweep = Periodic(
            "settler", policy.every_s, lambda: self.settle(clock.now()), at_start=True
        )

    async def settle(self, now: float) -> int:
        """Settle what is stale at ``now``; returns how many leads this call settled."""
        before = now - self._policy.after_s
        settled = 0
        for lead in await self._leads.interrupted(before):
            settled += await self._finish(lead, before)
        return settled

    async def settle_lead(self, lead_id: str, unchanged_since: float) -> bool:
        """Settle one lead if it is still selling and unchanged since ``unchanged_since``."""
        found = await self._leads.interrupted(unchanged_since, limit=1, lead_id=lead_id)
        return bool(found) and await self._finish(found[0], unchanged_since)

    async def _finish(self, lead: InterruptedLead, stale_before: float) -> bool:
        outcome, payout = interrupted_outcome(lead, self._campaigns(lead.campaign_id))
        # Only if the lead made no progress since it was read: a sale that moved on is alive
        # (and another node settling it at the same moment: one update wins).
        if not await self._leads.finish_lead(outcome, payout, stale_before):
            return False
        log.warning("settled interrupted lead %s", lead.lead_id)
        return True

    def start(self) -> None:
        self._sweep.start()

    async def close(self) -> None:
        await self._sweep.close()
