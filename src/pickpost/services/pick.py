"""The Pick recorded by Pickpost: what the widget and the hosted page show for a pick token,
and recording the consumer's pick as first-party evidence (docs/consent.md, "The pick
widget")."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from pickpost.domain.catalog import Campaign
from pickpost.domain.errors import Code, Refusal
from pickpost.domain.ids import iso_utc
from pickpost.domain.pick import (
    NAMES,
    PickRefused,
    RecordedPick,
    disclosure,
    origin_allowed,
    picked_bids,
    ping_of,
    rendered_hash,
    shown_entries,
    token_matches,
)
from pickpost.domain.ping import PingRecord
from pickpost.domain.workspace import PickConfig
from pickpost.services.ports import SYSTEM_CLOCK, Clock, LeadStore, PickStore, PingStore

LONGEST_PAGE_URL = 2048
LONGEST_USER_AGENT = 1000


def token_refused(reason: str) -> Refusal:
    return Refusal(Code.PICK_TOKEN, f"pick token {reason}; the supplier must ping again")


ORIGIN_REFUSED = Refusal(Code.FORBIDDEN, "this page's origin may not show this campaign's pick")


@dataclass(frozen=True, slots=True)
class PickView:
    """A usable pick token: its ping and the campaign's pick settings."""

    token: str
    record: PingRecord
    settings: PickConfig

    def as_json(self) -> dict[str, object]:
        """What the widget renders: the bids in screen order, the disclosure template (its
        ``{names}`` replaced as boxes are ticked) and until when the token works."""
        return {
            "bids": shown_entries(self.record.bids),
            "disclosure": self.settings.disclosure,
            "placeholder": NAMES,
            "expires_at": iso_utc(self.record.pick_expires_at or self.record.expires_at),
        }


@dataclass(frozen=True, slots=True)
class Submitted:
    """A pick as the browser sent it, with where it came from."""

    picked: Sequence[str]  # bid ids in the consumer's order
    shown_disclosure: str | None  # the text the widget showed (None: the hosted page, ours)
    page_url: str | None
    ip_address: str | None
    user_agent: str | None


class PickService:
    def __init__(
        self,
        campaigns: Callable[[str], Campaign | None],
        pings: PingStore,
        picks: PickStore,
        leads: LeadStore,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        self._campaigns = campaigns
        self._pings = pings
        self._picks = picks
        self._leads = leads
        self._clock = clock

    async def open(self, token: str, origin: str | None, own_origin: str) -> PickView | Refusal:
        """The pick a token gives, if it still works and ``origin`` may show it."""
        ping_id = ping_of(token)
        if ping_id is None:
            return token_refused("unknown")
        record = await self._pings.get(ping_id)
        if record is None:
            # The ping store forgets a ping when it expires; the ledger still knows it was.
            stored = await self._leads.find_ping(ping_id)
            past = stored is not None and stored.expires_at <= self._clock.now()
            return token_refused("expired" if past else "unknown")
        if not token_matches(token, record.pick_token_sha256):
            return token_refused("unknown")
        campaign = self._campaigns(record.campaign_id)
        if campaign is None:
            return token_refused("unknown")
        settings = campaign.config.pick_settings
        if not origin_allowed(origin, settings.origins, own_origin):
            return ORIGIN_REFUSED
        if (record.pick_expires_at or 0) <= self._clock.now():
            return token_refused("expired")
        used = await self._picks.find(record.ping_id) is not None
        if used or await self._leads.find_outcome(record.ping_id) is not None:
            return token_refused("already used")
        return PickView(token, record, settings)

    async def record(
        self, token: str, origin: str | None, own_origin: str, submitted: Submitted
    ) -> RecordedPick | Refusal:
        """Record the consumer's pick, once per ping: what they were shown, read and picked,
        and from where."""
        view = await self.open(token, origin, own_origin)
        if isinstance(view, Refusal):
            return view
        record = view.record
        try:
            chosen = picked_bids(record.bids, submitted.picked)
        except PickRefused as error:
            return Refusal(Code.INVALID_BID_SELECTION, str(error))
        text = disclosure(view.settings.disclosure, [b.tcpa_entity_name for b in chosen])
        if submitted.shown_disclosure is not None and submitted.shown_disclosure != text:
            return Refusal(Code.MALFORMED, "the disclosure sent is not the one these picks show")
        page_url = submitted.page_url
        if page_url is not None and not _plain(page_url, LONGEST_PAGE_URL):
            return Refusal(
                Code.MALFORMED,
                f"page_url must be at most {LONGEST_PAGE_URL} characters, without control ones",
            )
        personal = {
            "ip_address": submitted.ip_address,
            "user_agent": (submitted.user_agent or "")[:LONGEST_USER_AGENT] or None,
            "landing_page_url": page_url,
        }
        pick = RecordedPick(
            ping_id=record.ping_id,
            campaign_id=record.campaign_id,
            recorded_at=self._clock.now(),
            disclosure=text,
            shown=tuple(b.bid_id for b in record.bids),
            picked=tuple(b.bid_id for b in chosen),
            rendered_sha256=rendered_hash(shown_entries(record.bids), text),
            personal={k: v for k, v in personal.items() if v},
        )
        if not await self._picks.record(pick):
            return token_refused("already used")
        return pick


def _plain(text: str, longest: int) -> bool:
    """Text of at most ``longest`` characters and no control character (no database stores
    NUL, and no URL holds one)."""
    return len(text) <= longest and not any(ord(c) < 32 for c in text)
