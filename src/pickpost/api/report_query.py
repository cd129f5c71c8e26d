"""The query strings of ``/api/v1/reports``, ``/api/v1/dashboard`` and ``/api/v1/leads`` read
into queries, and the lead list's opaque cursor: every invalid parameter named at once, none of
their values echoed."""

import base64
import binascii
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import TypeVar

from pickpost.domain.buckets import day_start, zone
from pickpost.domain.errors import Code, Refusal
from pickpost.domain.fields import FieldError
from pickpost.domain.lead import LeadStatus
from pickpost.domain.lead_query import LeadPosition, LeadQuery
from pickpost.domain.people import Principal
from pickpost.domain.reports import Grouping, LeadTestFilter, ReportQuery

MAX_DAYS = 366
MAX_IDS = 100
_GROUPINGS = ", ".join(g.value for g in Grouping)
_TESTS = ", ".join(t.value for t in LeadTestFilter)

_E = TypeVar("_E", Grouping, LeadTestFilter)


class Reader:
    """Collects the errors of the parameters it reads."""

    def __init__(self) -> None:
        self.errors: list[FieldError] = []

    def fail(self, name: str, message: str) -> None:
        self.errors.append(FieldError(name, message))

    def refusal(self) -> Refusal | None:
        if not self.errors:
            return None
        names = ", ".join(e.field for e in self.errors)
        return Refusal(Code.MALFORMED, f"invalid query parameters: {names}", tuple(self.errors))

    def day(self, name: str, text: str | None, default: date) -> date:
        if not text:
            return default
        try:
            if len(text) == 10:  # fromisoformat would take 20261127 too
                return date.fromisoformat(text)
        except ValueError:
            pass
        self.fail(name, "must be a date, YYYY-MM-DD")
        return default

    def ids(self, name: str, text: str | None) -> frozenset[str]:
        found = frozenset(part.strip() for part in (text or "").split(",") if part.strip())
        if len(found) > MAX_IDS or any(len(part) > 64 for part in found):
            self.fail(name, f"must be at most {MAX_IDS} comma-separated ids of 64 characters")
            return frozenset()
        return found

    def choice(self, name: str, text: str, kind: Callable[[str], _E], allowed: str) -> _E | None:
        try:
            return kind(text)
        except ValueError:
            self.fail(name, f"must be one of {allowed}")
            return None


def bad_format(text: str) -> Refusal | None:
    """``format`` must be ``json`` or ``csv``."""
    reader = Reader()
    if text not in ("json", "csv"):
        reader.fail("format", "must be json or csv")
    return reader.refusal()


def read_report_query(
    principal: Principal,
    now: datetime,
    *,
    start: str | None,
    end: str | None,
    timezone: str | None,
    group_by: str | None,
    campaign: str | None,
    supplier: str | None,
    buyer: str | None,
    test: str | None,
) -> ReportQuery | Refusal:
    """The report query as ``principal`` may ask it. ``start_date`` defaults to the day ``now``
    (aware) falls on in the query's zone (by default the principal's), ``end_date`` to that
    day or ``start_date``, whichever is later."""
    reader = Reader()
    tz = zone(timezone or principal.time_zone)
    if tz is None:
        reader.fail("timezone", "must be an IANA time zone such as America/New_York")
    current = now.astimezone(tz).date() if tz is not None else now.date()
    first = reader.day("start_date", start, current)
    last = reader.day("end_date", end, max(first, current))
    if last < first:
        reader.fail("end_date", "must not be before start_date")
    elif last - first > timedelta(days=MAX_DAYS - 1):
        reader.fail("end_date", f"must be within {MAX_DAYS} days of start_date")
    groups: list[Grouping] = []
    for part in (group_by or "").split(","):
        if part.strip():
            chosen = reader.choice("group_by", part.strip(), Grouping, _GROUPINGS)
            if chosen is not None and chosen not in groups:
                groups.append(chosen)
    if Grouping.DAY in groups and Grouping.HOUR in groups:
        reader.fail("group_by", "day and hour cannot both be chosen")
    tests = reader.choice("test", test or LeadTestFilter.EXCLUDE.value, LeadTestFilter, _TESTS)
    campaigns = reader.ids("campaign", campaign)
    suppliers = reader.ids("supplier", supplier)
    buyers = reader.ids("buyer", buyer)
    refusal = reader.refusal()
    if refusal is not None or tz is None or tests is None:
        assert refusal is not None
        return refusal
    query = ReportQuery(first, last, tz, tuple(groups), campaigns, suppliers, buyers, tests)
    return query.scoped(principal)


def read_lead_query(
    principal: Principal,
    *,
    lead_id: str | None,
    ping_id: str | None,
    phone: str | None,
    email: str | None,
    field_name: str | None,
    field_value: str | None,
    campaign: str | None,
    supplier: str | None,
    buyer: str | None,
    status: str | None,
    test: str | None,
    start: str | None,
    end: str | None,
    timezone: str | None,
    cursor: str | None,
    limit: int,
) -> LeadQuery | Refusal:
    """The lead list's query as ``principal`` may ask it; a date range needs no end (or no
    start), and its days are the zone's (by default the principal's)."""
    reader = Reader()
    fields: list[tuple[str, str]] = [
        (name, value) for name, value in (("phone", phone), ("email", email)) if value
    ]
    if bool(field_name) != bool(field_value):
        reader.fail("field_value" if field_name else "field_name", "name the field and its value")
    elif field_name and field_value:
        fields.append((field_name, field_value))
    if any(len(value) > 1000 or len(name) > 64 for name, value in fields):
        reader.fail("field_value", "must be at most 1000 characters")
    statuses = reader.ids("status", status)
    unknown = statuses - LEAD_STATUSES
    if unknown:
        reader.fail("status", f"must be among {', '.join(sorted(LEAD_STATUSES))}")
    tests = reader.choice("test", test or LeadTestFilter.INCLUDE.value, LeadTestFilter, _TESTS)
    tz = zone(timezone or principal.time_zone)
    if tz is None:
        reader.fail("timezone", "must be an IANA time zone such as America/New_York")
    first = reader.day("start_date", start, date.min) if start else None
    last = reader.day("end_date", end, date.min) if end else None
    after = decode_lead_cursor(cursor) if cursor else None
    if cursor and after is None:
        reader.fail("cursor", "is not a cursor this API returned")
    if not 1 <= limit <= 1000:
        reader.fail("limit", "must be from 1 to 1000")
    campaigns = reader.ids("campaign", campaign)
    suppliers = reader.ids("supplier", supplier)
    buyers = reader.ids("buyer", buyer)
    refusal = reader.refusal()
    if refusal is not None or tz is None or tests is None:
        assert refusal is not None
        return refusal
    query = LeadQuery(
        lead_id=lead_id or None,
        ping_id=ping_id or None,
        fields=tuple(fields),
        campaigns=campaigns,
        suppliers=suppliers,
        buyers=buyers,
        statuses=statuses,
        test=tests,
        since=None if first is None else day_start(first, tz),
        until=None if last is None else day_start(last + timedelta(days=1), tz),
        after=after,
        limit=limit,
    )
    return query.scoped(principal)


LEAD_STATUSES = frozenset(s.value for s in LeadStatus)


def encode_lead_cursor(position: LeadPosition) -> str:
    """Opaque to clients: the position of the last lead of a page."""
    text = f"{position.created_at.astimezone(UTC).isoformat()}|{position.lead_id}"
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_lead_cursor(cursor: str) -> LeadPosition | None:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        at, _, lead_id = text.partition("|")
        moment = datetime.fromisoformat(at)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return None
    if moment.tzinfo is None or not lead_id:
        return None
    return LeadPosition(moment.astimezone(UTC), lead_id)
