"""``/console/audit``: the audit log, newest first, filtered by actor, action and dates (days
in the reader's time zone), a page at a time."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request, Response

from pickpost.api.auth import Need
from pickpost.api.console.page import PREFIX, console_page, signed_in
from pickpost.api.state import runtime_of
from pickpost.domain.audit import AuditQuery

router = APIRouter(prefix=PREFIX, include_in_schema=False)
PAGE_SIZE = 50


def day_start(text: str, time_zone: str) -> float | None:
    """Epoch seconds of the start of day ``text`` (YYYY-MM-DD) in ``time_zone``; None if
    ``text`` is not such a date."""
    try:
        day = date.fromisoformat(text)
    except ValueError:
        return None
    return datetime.combine(day, time(), ZoneInfo(time_zone)).timestamp()


@router.get("/audit")
async def audit_page(request: Request) -> Response:
    principal = await signed_in(request, Need.READ_ALL)
    if isinstance(principal, Response):
        return principal
    params = request.query_params
    actor, action = params.get("actor", "").strip(), params.get("action", "").strip()
    since_text, until_text = params.get("from", ""), params.get("to", "")
    errors = []
    since = day_start(since_text, principal.time_zone) if since_text else None
    if since_text and since is None:
        errors.append("“From” must be a date (YYYY-MM-DD).")
    until_day = day_start(until_text, principal.time_zone) if until_text else None
    if until_text and until_day is None:
        errors.append("“To” must be a date (YYYY-MM-DD).")
    # "To" is inclusive: up to the start of the next day in the reader's zone.
    until = None
    if until_day is not None:
        next_day = date.fromisoformat(until_text) + timedelta(days=1)
        until = day_start(next_day.isoformat(), principal.time_zone)
    before = params.get("before", "")
    query = AuditQuery(
        actor=actor or None,
        action=action or None,
        since=since,
        until=until,
        before_id=int(before) if before.isdigit() else None,
        limit=PAGE_SIZE,
    )
    page = await runtime_of(request).audit.read(query)
    filters = {"actor": actor, "action": action, "from": since_text, "to": until_text}
    return console_page(
        request, "audit.html", 400 if errors else 200, entries=page.entries,
        next_before=page.next_before_id, filters=filters, errors=errors,
    )  # fmt: skip
