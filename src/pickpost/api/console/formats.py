"""How the lead and returns pages show values: money exactly from cents, recorded bodies
pretty-printed, lead statuses as badges."""

import json
from datetime import datetime
from zoneinfo import ZoneInfo

from pickpost.api.console.page import templates


def money(cents: int | None) -> str:
    """``1234`` as ``$12.34``, exactly; ``—`` for no amount."""
    if cents is None:
        return "—"
    whole, part = divmod(abs(cents), 100)
    return f"{'-' if cents < 0 else ''}${whole:,}.{part:02d}"


def local(iso: str | None, time_zone: str, seconds: bool = False) -> str:
    """An ISO 8601 UTC time (as the views give them) in ``time_zone``."""
    if not iso:
        return "—"
    moment = datetime.fromisoformat(iso).astimezone(ZoneInfo(time_zone))
    return moment.strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")


def pretty(text: str) -> str:
    """A JSON body indented for reading; any other text as it is."""
    try:
        return json.dumps(json.loads(text), indent=2, ensure_ascii=False)
    except ValueError:
        return text


# What each lead, sale and return status means for the eye: good, bad, waiting or neutral.
_TONES = {
    **dict.fromkeys(("sold", "approved", "accepted", "bid", "matched"), "good"),
    **dict.fromkeys(("rejected", "error", "failed", "duplicate", "timeout", "not_sold"), "bad"),
    **dict.fromkeys(
        ("open", "pending", "unknown", "selling", "interrupted", "not_matched"), "wait"
    ),
}


def tone(status: str | None) -> str:
    return _TONES.get(status or "", "plain")


templates.filters["money"] = money
templates.filters["pretty"] = pretty
templates.filters["local"] = local
templates.filters["tone"] = tone
