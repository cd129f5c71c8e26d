"""``/console/leads``: the lead list, searched by id, ping id, phone, email, campaign,
supplier, buyer, status, test and days (in the reader's time zone), a page at a time, and
the same search as CSV (``/console/leads.csv``, streamed). A supplier or buyer user's search
is scoped to its own leads, whatever it asks."""

from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Request, Response

from pickpost.api.auth import Need
from pickpost.api.console import formats  # noqa: F401  (the pages' template filters)
from pickpost.api.console.page import PREFIX, console_page, signed_in
from pickpost.api.leads import csv_lines
from pickpost.api.report_query import encode_lead_cursor, read_lead_query
from pickpost.api.reports import csv_stream
from pickpost.api.state import runtime_of
from pickpost.domain.errors import Refusal
from pickpost.domain.lead_query import LeadQuery
from pickpost.domain.people import Principal

router = APIRouter(prefix=PREFIX, include_in_schema=False)
PAGE_SIZE = 50
# The search form's fields, as the query string names them.
FILTERS = (
    "lead_id", "ping_id", "phone", "email", "campaign", "supplier", "buyer", "status", "test",
    "from", "to",
)  # fmt: skip


def search_of(params: Mapping[str, str]) -> dict[str, str]:
    """The search form's values (trimmed; '' when not given)."""
    return {name: params.get(name, "").strip() for name in FILTERS}


def lead_query(
    principal: Principal, search: Mapping[str, str], cursor: str | None, limit: int
) -> LeadQuery | Refusal:
    """The lead list's query as ``principal`` may ask it (scoped to its own leads)."""
    return read_lead_query(
        principal,
        lead_id=search["lead_id"],
        ping_id=search["ping_id"],
        phone=search["phone"],
        email=search["email"],
        field_name=None,
        field_value=None,
        campaign=search["campaign"],
        supplier=search["supplier"],
        buyer=search["buyer"],
        status=search["status"],
        test=search["test"],
        start=search["from"],
        end=search["to"],
        timezone=None,
        cursor=cursor,
        limit=limit,
    )


_LABELS = {"start_date": "From", "end_date": "To", "cursor": "Next page"}


def errors_of(refusal: Refusal) -> list[str]:
    """What is wrong with a search, in the form's words (never the values typed)."""
    return [f"{_LABELS.get(e.field, e.field)}: {e.message}" for e in refusal.errors]


@router.get("/leads")
async def leads_page(request: Request) -> Response:
    principal = await signed_in(request, Need.READ)
    if isinstance(principal, Response):
        return principal
    search = search_of(request.query_params)
    query = lead_query(principal, search, request.query_params.get("cursor") or None, PAGE_SIZE)
    context: dict[str, Any] = {"search": search, "statuses": STATUSES}
    if isinstance(query, Refusal):
        return console_page(request, "leads.html", 400, errors=errors_of(query), **context)
    page = await runtime_of(request).lead_list.page(query)
    next_cursor = None if page.next is None else encode_lead_cursor(page.next)
    return console_page(
        request, "leads.html", leads=page.leads, next_cursor=next_cursor, errors=[], **context
    )


@router.get("/leads.csv")
async def leads_csv(request: Request) -> Response:
    """Every lead the search finds, as CSV, streamed in pages (constant memory)."""
    principal = await signed_in(request, Need.READ)
    if isinstance(principal, Response):
        return principal
    query = lead_query(principal, search_of(request.query_params), None, PAGE_SIZE)
    if isinstance(query, Refusal):
        context = {"search": search_of(request.query_params), "statuses": STATUSES}
        return console_page(request, "leads.html", 400, errors=errors_of(query), **context)
    response = csv_stream(csv_lines(runtime_of(request).lead_list.stream(query)), "leads.csv")
    response.headers["Cache-Control"] = "no-store"
    return response


STATUSES = ("sold", "not_sold", "selling", "unknown", "interrupted")
