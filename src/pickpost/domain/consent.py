"""The consumer's pick: which offered bids may be sold, and in which order."""

from collections.abc import Sequence

import orjson

from pickpost.domain.bids import OfferedBid


class SelectionError(ValueError):
    """The pick cannot be honoured (API code 1013); the message says why."""


def parse_bid_ids(raw: object) -> list[str]:
    """Bid ids from ``lp_consent_bids``: a JSON array of strings or one comma-separated string.

    A string that itself holds a JSON array (as form posts carry it) is accepted too.
    """
    if isinstance(raw, str):
        text = raw.strip()
        if text.startswith("["):
            try:
                raw = orjson.loads(text)
            except orjson.JSONDecodeError:
                raise SelectionError("lp_consent_bids is not a valid JSON array") from None
        else:
            return [part.strip() for part in text.split(",") if part.strip()]
    if isinstance(raw, list) and all(isinstance(item, str) for item in raw):
        return [item.strip() for item in raw]
    raise SelectionError("lp_consent_bids must be a JSON array of bid ids or a comma string")


def select_consented(offered: Sequence[OfferedBid], picked: Sequence[str]) -> list[OfferedBid]:
    """The offered bids the consumer picked, in the consumer's order.

    Empty, unknown (including another ping's) and repeated ids are refused as a whole: selling
    to a subset of a malformed pick would guess at the consumer's intent.
    """
    if not picked:
        raise SelectionError("lp_consent_bids is empty")
    by_id = {bid.bid_id: bid for bid in offered}
    seen: set[str] = set()
    chosen = []
    for bid_id in picked:
        if bid_id in seen:
            raise SelectionError(f"bid id {bid_id!r} is repeated")
        seen.add(bid_id)
        bid = by_id.get(bid_id)
        if bid is None:
            raise SelectionError(f"bid id {bid_id!r} was not offered for this ping")
        chosen.append(bid)
    return chosen
