"""The Pick recorded first-hand (docs/consent.md, "The pick widget"): the token a PING hands
out for its bids, the disclosure the consumer reads with the names they tick, what is hashed as
rendered, and whether a POST's consent is the pick that was recorded.

Pure: stdlib and the domain's bids and ledger encoding.
"""

import hashlib
import hmac
import re
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from pickpost.domain.bids import OfferedBid
from pickpost.domain.consent_ledger import canonical, sha256_hex
from pickpost.domain.ids import is_id

NAMES = "{names}"
"""Where a disclosure template takes the names the consumer picked."""

SOURCE = "pickpost"
"""The ``source`` of a pick Pickpost recorded itself (what the consent record and ledger say)."""

DISPLAY_KEYS = ("display_name", "logo_url", "description")
"""The keys of a bid's ``additional_data`` the widget shows."""


# --- the token ------------------------------------------------------------------------------


def new_token(ping_id: str) -> str:
    """A pick token for ``ping_id``: the ping's id (to find it) and 192 random bits. Only its
    hash is kept, with the ping."""
    return f"{ping_id}.{secrets.token_urlsafe(24)}"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


_SECRET = re.compile(r"[A-Za-z0-9_-]{16,64}")


def ping_of(token: str) -> str | None:
    """The ping a token names, or None when the text is no token's shape."""
    ping_id, _, secret = token.partition(".")
    if not is_id("p", ping_id) or _SECRET.fullmatch(secret) is None:
        return None
    return ping_id


def token_matches(token: str, stored_hash: str | None) -> bool:
    return stored_hash is not None and hmac.compare_digest(token_hash(token), stored_hash)


def origin_allowed(origin: str | None, allowed: Sequence[str], own: str) -> bool:
    """Whether a browser request from ``origin`` may use a pick: none given (not a
    cross-origin browser request: the token is the authority), this server's own, or one the
    campaign allows."""
    if origin is None:
        return True
    origin = origin.lower().rstrip("/")
    return origin == own.lower().rstrip("/") or origin in allowed


# --- the disclosure -------------------------------------------------------------------------


def join_names(names: Sequence[str]) -> str:
    """``A``, ``A and B``, ``A, B and C``: the picked names, in the consumer's order."""
    if len(names) <= 1:
        return "".join(names)
    return f"{', '.join(names[:-1])} and {names[-1]}"


def disclosure(template: str, names: Sequence[str]) -> str:
    """The disclosure as the consumer reads it: the template with the picked names in place of
    every ``{names}`` (the widget does the same, as boxes are ticked)."""
    return template.replace(NAMES, join_names(names))


# --- what was shown, and what was picked ----------------------------------------------------


def display(bid: OfferedBid) -> dict[str, str]:
    """The display data of a bid the widget shows (text only, from ``additional_data``)."""
    data = bid.additional_data
    return {key: str(data[key]) for key in DISPLAY_KEYS if data.get(key) not in (None, "")}


def shown_entries(bids: Sequence[OfferedBid]) -> list[dict[str, object]]:
    """The bids as the widget and the hosted page render them, in the order on screen."""
    return [
        {"bid_id": b.bid_id, "tcpa_entity_name": b.tcpa_entity_name, "display": display(b)}
        for b in bids
    ]


class PickRefused(ValueError):
    """A submitted pick that cannot be recorded (the message says why; API code 1013)."""


def picked_bids(bids: Sequence[OfferedBid], picked_ids: Sequence[str]) -> list[OfferedBid]:
    """The bids the consumer ticked, in the order they ticked them: at least one, each shown,
    none twice."""
    if not picked_ids:
        raise PickRefused("pick at least one company")
    by_id = {b.bid_id: b for b in bids}
    chosen: list[OfferedBid] = []
    for bid_id in picked_ids:
        bid = by_id.get(bid_id)
        if bid is None:
            raise PickRefused("a picked company was not shown for this ping")
        if bid in chosen:
            raise PickRefused("a company is picked twice")
        chosen.append(bid)
    return chosen


def rendered_hash(shown: Sequence[Mapping[str, object]], text: str) -> str:
    """SHA-256 of canonical ``{"disclosure", "shown"}``: what the consumer had on screen when
    they submitted (the entities with their display data in order, and the disclosure)."""
    return sha256_hex(canonical({"disclosure": text, "shown": [dict(s) for s in shown]}))


@dataclass(frozen=True, slots=True)
class RecordedPick:
    """A pick Pickpost recorded itself. ``facts`` hold no personal value (they go into the
    consent record and the ledger as they are); ``personal`` holds the IP, user agent and page
    URL (sealed and purged as consent evidence is)."""

    ping_id: str
    campaign_id: str
    recorded_at: float  # epoch seconds
    disclosure: str
    shown: tuple[str, ...]  # bid ids in the order on screen
    picked: tuple[str, ...]  # bid ids in the consumer's order
    rendered_sha256: str
    personal: Mapping[str, str]  # ip_address, user_agent, landing_page_url (as given)

    def facts(self) -> dict[str, object]:
        """The non-personal facts of the pick the consent record and the ledger keep."""
        return {
            "source": SOURCE,
            "recorded_at": self.recorded_at_ms,
            "disclosure_sha256": sha256_hex(self.disclosure.encode()),
            "rendered_sha256": self.rendered_sha256,
            "shown": list(self.shown),
            "picked": list(self.picked),
        }

    @property
    def recorded_at_ms(self) -> int:
        return round(self.recorded_at * 1000)

    def evidence(self) -> dict[str, str]:
        """The consent evidence it gives first-hand: the exact disclosure shown and the
        consumer's IP, user agent and page (over what the supplier's POST says)."""
        return {"tcpa_text": self.disclosure, **self.personal}


def consent_differs(recorded: Sequence[str], posted: Sequence[str]) -> str | None:
    """Why a POST's ``lp_consent_bids`` is not the recorded pick (other bids, or another
    order), or None when it is exactly the pick."""
    if list(recorded) == list(posted):
        return None
    if set(recorded) != set(posted):
        return "lp_consent_bids names other bids than the consumer picked"
    return "lp_consent_bids lists the consumer's picks in another order than they picked them"
