"""Duplicate marks: the one owner of every mark that keeps a lead from being taken twice.

Three kinds, all kept in the counter store (so they outlive a process and hold across nodes):
the same request body of a Direct Post within the campaign's ``payload_dupe_s``; a lead the
campaign saw within its ``dupe_check`` days (scope ``campaign``: the whole lead is refused); a
lead a buyer bought within those days (scope ``buyer``: only that buyer is skipped). Test leads
are neither checked nor marked: they must not turn live leads away.
"""

from collections.abc import Mapping

from pickpost.domain.catalog import Campaign
from pickpost.domain.dupes import dupe_keys, payload_fingerprint
from pickpost.domain.errors import Code, Refusal
from pickpost.domain.workspace import BuyerConfig
from pickpost.services.intake import Admitted, SupplierRequest
from pickpost.services.ports import CounterStore

# A repeated ping is harmless (it sells nothing) and a repeated POST replays; a repeated
# direct post would sell the lead again.
_PAYLOAD_CHECKED = frozenset({"/direct_post"})
_DAY_S = 86_400


def same_payload(window_s: int) -> Refusal:
    return Refusal(
        Code.DUPLICATE, f"duplicate: the same request was received in the last {window_s} s"
    )


def duplicate_lead(days: int) -> Refusal:
    return Refusal(Code.DUPLICATE, f"duplicate lead: already received in the last {days} days")


def _payload_key(admitted: Admitted, request: SupplierRequest) -> str:
    return payload_fingerprint(admitted.campaign.id, admitted.supplier.id, request.data)


def _checks_payload(admitted: Admitted, request: SupplierRequest) -> bool:
    return bool(admitted.campaign.config.payload_dupe_s) and request.endpoint in _PAYLOAD_CHECKED


class DuplicateMarks:
    def __init__(self, counters: CounterStore) -> None:
        self._counters = counters

    async def mark_request(self, admitted: Admitted, request: SupplierRequest) -> Refusal | None:
        """Mark a Direct Post's body; a refusal when the same body came within the window."""
        if not _checks_payload(admitted, request):
            return None
        window = admitted.campaign.config.payload_dupe_s
        if await self._counters.first_seen(_payload_key(admitted, request), window):
            return None
        return same_payload(window)

    async def unmark_request(self, admitted: Admitted, request: SupplierRequest) -> None:
        """Unmark a request refused before it made a lead, so the supplier may send it again."""
        if _checks_payload(admitted, request):
            await self._counters.forget(_payload_key(admitted, request))

    @staticmethod
    def marks_lead(admitted: Admitted) -> bool:
        """Whether :meth:`mark_lead` marks this lead (the campaign's check, scope
        ``campaign``)."""
        check = admitted.campaign.config.dupe_check
        return check is not None and check.scope == "campaign" and not admitted.test

    @staticmethod
    def marks_for_buyers(campaign: Campaign, test: bool) -> bool:
        """Whether :meth:`mark_for_buyer` marks a lead (the campaign's check, scope
        ``buyer``)."""
        check = campaign.config.dupe_check
        return check is not None and check.scope == "buyer" and not test

    async def mark_lead(self, admitted: Admitted, lead: Mapping[str, object]) -> Refusal | None:
        """Mark a stored lead under the campaign's duplicate check (scope ``campaign``); a
        refusal when it was marked already."""
        check = admitted.campaign.config.dupe_check
        if check is None or not self.marks_lead(admitted):
            return None
        campaign = admitted.campaign
        for key in dupe_keys(check, campaign.id, lead, None, campaign.field_types):
            if not await self._counters.first_seen(key, check.days * _DAY_S):
                return duplicate_lead(check.days)
        return None

    async def mark_for_buyer(
        self, campaign: Campaign, buyer: BuyerConfig, lead: Mapping[str, object], test: bool
    ) -> tuple[list[str], str | None]:
        """Mark the lead for a buyer with a per-buyer duplicate check: the marks made, and
        why the buyer may not have it (a duplicate of one it bought) or None."""
        check = campaign.config.dupe_check
        if check is None or not self.marks_for_buyers(campaign, test):
            return [], None
        marked: list[str] = []
        try:
            for key in dupe_keys(check, campaign.id, lead, buyer.id, campaign.field_types):
                if not await self._counters.first_seen(key, check.days * _DAY_S):
                    await self.release(marked)
                    return [], f"duplicate for this buyer: bought in the last {check.days} days"
                marked.append(key)
        except Exception:
            await self.release(marked)
            raise
        return marked, None

    async def release(self, marks: list[str]) -> None:
        """Remove the marks of a sale that did not happen."""
        for key in marks:
            await self._counters.forget(key)
