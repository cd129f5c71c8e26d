"""The consumer's pick: which offered bids may be sold, and in which order."""

from collections.abc import Mapping, Sequence

import orjson

from pickpost.domain.bids import OfferedBid
from pickpost.domain.fields import FieldError


class SelectionError(ValueError):
    """The pick cannot be honoured (API code 1013); the message says why."""


def parse_bid_ids(raw: object) -> list[str] | None:
    """Bid ids from ``lp_consent_bids``: a JSON array of strings or one comma-separated string;
    None when the value has neither shape.

    A string that itself holds a JSON array (as form posts carry it) is accepted too.
    """
    if isinstance(raw, str):
        text = raw.strip()
        if not text.startswith("["):
            return [part.strip() for part in text.split(",") if part.strip()]
        try:
            raw = orjson.loads(text)
        except orjson.JSONDecodeError:
            return None
    if isinstance(raw, list) and all(isinstance(item, str) for item in raw):
        return [item.strip() for item in raw]
    return None


def select_consented(
    offered: Sequence[OfferedBid], picked: Sequence[str], name: str = "lp_consent_bids"
) -> list[OfferedBid]:
    """The offered bids the consumer picked (the supplier, for ``lp_bid_ids`` of a shared
    exchange), in that order.

    Empty, unknown (including another ping's) and repeated ids are refused as a whole: selling
    to a subset of a malformed pick would guess at the consumer's intent.
    """
    if not picked:
        raise SelectionError(f"{name} is empty")
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


EVIDENCE_FIELDS = {
    "tcpa_text": 10_000,
    "ip_address": 64,
    "user_agent": 1_000,
    "landing_page_url": 2_048,
    "trustedform_cert_url": 2_048,
    "jornaya_leadid": 200,
}
"""Lead fields kept as consent evidence, with the longest value each may have."""


def evidence_errors(fields: Mapping[str, object]) -> tuple[FieldError, ...]:
    """Evidence must be text of a sane length, declared as a campaign field or not."""
    errors = []
    for name, longest in EVIDENCE_FIELDS.items():
        value = fields.get(name)
        if value is None:
            continue
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            errors.append(FieldError(name, "must be a single text value"))
        elif len(str(value)) > longest:
            errors.append(FieldError(name, f"must be at most {longest} characters"))
    return tuple(errors)


def collect_evidence(fields: Mapping[str, object]) -> dict[str, str]:
    """The consent evidence present in a lead (checked by ``evidence_errors`` first)."""
    return {name: str(fields[name]) for name in EVIDENCE_FIELDS if fields.get(name) is not None}
