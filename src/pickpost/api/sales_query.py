"""``GET /api/v1/sales``'s query string read into a :class:`SalesQuery`, and its opaque cursor
(docs/supplier-api.md, "Admin API")."""

import base64
import binascii
from datetime import UTC, date, datetime, time, timedelta

from pickpost.domain.errors import Code, Refusal
from pickpost.domain.fields import FieldError
from pickpost.domain.lead import SaleStatus
from pickpost.domain.sales_query import SalePosition, SalesQuery

STATUSES = ", ".join(s.value for s in SaleStatus)


def read_sales_query(
    *,
    status: str | None,
    campaign: str | None,
    buyer: str | None,
    since: str | None,
    until: str | None,
    cursor: str | None,
    limit: int,
) -> SalesQuery | Refusal:
    """Every invalid parameter is named at once, none of their values echoed."""
    errors: list[FieldError] = []
    chosen: SaleStatus | None = None
    if status:
        try:
            chosen = SaleStatus(status)
        except ValueError:
            errors.append(FieldError("status", f"must be one of {STATUSES}"))
    start = moment(since, end_of_day=False)
    if since and start is None:
        errors.append(FieldError("since", DATE_FORMAT))
    end = moment(until, end_of_day=True)
    if until and end is None:
        errors.append(FieldError("until", DATE_FORMAT))
    after = decode_cursor(cursor) if cursor else None
    if cursor and after is None:
        errors.append(FieldError("cursor", "is not a cursor this API returned"))
    if errors:
        names = ", ".join(e.field for e in errors)
        return Refusal(Code.MALFORMED, f"invalid query parameters: {names}", tuple(errors))
    return SalesQuery(chosen, campaign or None, buyer or None, start, end, after, limit)


DATE_FORMAT = "must be an ISO date (2026-11-27) or date and time (2026-11-27T10:00:00Z)"


def moment(text: str | None, *, end_of_day: bool) -> datetime | None:
    """An ISO date or datetime as UTC; a time without a zone is UTC. A bare date is the day's
    start, or, for ``until``, its end: ``until=2026-11-30`` includes the 30th."""
    if not text:
        return None
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            start = datetime.combine(day, time(), UTC)
            return start + timedelta(days=1) if end_of_day else start
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def encode_cursor(position: SalePosition) -> str:
    """Opaque to clients: the position of the last sale of a page."""
    text = f"{position.created_at.astimezone(UTC).isoformat()}|{position.sale_id}"
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> SalePosition | None:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        at, _, sale_id = text.partition("|")
        moment = datetime.fromisoformat(at)
        if moment.tzinfo is None:
            return None
        return SalePosition(moment.astimezone(UTC), int(sale_id))
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return None
