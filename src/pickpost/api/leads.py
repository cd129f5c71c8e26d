"""``GET /api/v1/leads``: the lead list, filtered, newest first, a page at a time (JSON) or
all of it (``format=csv``, streamed)."""

import csv
import io
from collections.abc import AsyncIterator

from fastapi import APIRouter, Request, Response

from pickpost.api.answers import refused, unauthorised
from pickpost.api.auth import principal_of
from pickpost.api.report_query import bad_format, encode_lead_cursor, read_lead_query
from pickpost.api.reports import csv_stream
from pickpost.api.responses import json_response
from pickpost.api.state import runtime_of
from pickpost.domain.errors import Refusal

router = APIRouter(prefix="/api/v1")

CSV_COLUMNS = (
    "lead_id",
    "ping_id",
    "created_at",
    "campaign_id",
    "supplier_id",
    "status",
    "test",
    "revenue_cents",
    "cost_cents",
    "buyers",
)


async def csv_lines(leads: AsyncIterator[dict[str, object]]) -> AsyncIterator[str]:
    """The leads as CSV text, a line at a time: the header, then one row each."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    yield buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    async for lead in leads:
        sold = lead["sold_to"]
        buyers = ";".join(sold) if isinstance(sold, list) else ""
        writer.writerow([*(lead[c] for c in CSV_COLUMNS[:-1]), buyers])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()


@router.get("/leads")
async def list_leads(
    request: Request,
    lead_id: str | None = None,
    ping_id: str | None = None,
    phone: str | None = None,
    email: str | None = None,
    field_name: str | None = None,
    field_value: str | None = None,
    campaign: str | None = None,
    supplier: str | None = None,
    buyer: str | None = None,
    status: str | None = None,
    test: str | None = None,
    start_date: str | None = None,
    end_date: str | None = None,
    timezone: str | None = None,
    cursor: str | None = None,
    limit: int = 100,
    format: str = "json",
) -> Response:
    """Leads matching every filter given, newest first. ``phone``, ``email`` and
    ``field_name``/``field_value`` match a personal field exactly (after its normalisation)
    through keyed hashes, so they work with values encrypted at rest; the value is never
    logged nor echoed. ``next_cursor`` fetches the next page."""
    principal = await principal_of(request)
    if principal is None:
        return unauthorised()
    wrong_format = bad_format(format)
    if wrong_format is not None:
        return refused(wrong_format)
    query = read_lead_query(
        principal,
        lead_id=lead_id,
        ping_id=ping_id,
        phone=phone,
        email=email,
        field_name=field_name,
        field_value=field_value,
        campaign=campaign,
        supplier=supplier,
        buyer=buyer,
        status=status,
        test=test,
        start=start_date,
        end=end_date,
        timezone=timezone,
        cursor=cursor,
        limit=limit,
    )
    if isinstance(query, Refusal):
        return refused(query)
    leads = runtime_of(request).lead_list
    if format == "csv":
        return csv_stream(csv_lines(leads.stream(query)), "leads.csv")
    page = await leads.page(query)
    next_cursor = None if page.next is None else encode_lead_cursor(page.next)
    return json_response({"leads": page.leads, "next_cursor": next_cursor})
