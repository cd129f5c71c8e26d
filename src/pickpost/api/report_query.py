"""The query strings of ``/api/v1/reports``, ``/api/v1/dashboard`` and ``/api/v1/leads`` read
into queries: every invalid parameter named at once, none of their values echoed."""

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import TypeVar

from pickpost.domain.buckets import zone
from pickpost.domain.errors import Code, Refusal
from pickpost.domain.fields import FieldError
from pickpost.domain.people import Principal
from pickpost.domain.reports import Grouping, ReportQuery, TestLeads

MAX_DAYS = 366
MAX_IDS = 100
_GROUPINGS = ", ".join(g.value for g in Grouping)
_TESTS = ", ".join(t.value for t in TestLeads)

_E = TypeVar("_E", Grouping, TestLeads)


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
            return date.fromisoformat(text) if len(text) == 10 else _bad()
        except ValueError:
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


def _bad() -> date:
    raise ValueError


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
    tests = reader.choice("test", test or TestLeads.EXCLUDE.value, TestLeads, _TESTS)
    campaigns = reader.ids("campaign", campaign)
    suppliers = reader.ids("supplier", supplier)
    buyers = reader.ids("buyer", buyer)
    refusal = reader.refusal()
    if refusal is not None or tz is None or tests is None:
        assert refusal is not None
        return refusal
    query = ReportQuery(first, last, tz, tuple(groups), campaigns, suppliers, buyers, tests)
    return query.scoped(principal)
