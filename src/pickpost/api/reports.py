"""Reports and the dashboard over HTTP (docs/reports.md): JSON, or CSV streamed row by row.

Authorised by ``principal_of``; a scoped principal's query is narrowed to its own supplier or
buyer. Every error answers in the envelope, like the admin API.
"""

import csv
import io
from collections.abc import AsyncIterator, Iterable, Sequence
from datetime import UTC, datetime

from fastapi import APIRouter, Request, Response
from fastapi.responses import StreamingResponse

from pickpost.api.answers import refused, unauthorised
from pickpost.api.auth import principal_of
from pickpost.api.report_query import bad_format, read_report_query
from pickpost.api.responses import json_response
from pickpost.api.state import runtime_of
from pickpost.domain.errors import Refusal
from pickpost.domain.reports import Report, withheld_from

router = APIRouter(prefix="/api/v1")


@router.get("/reports")
async def report(
    request: Request,
    start_date: str | None = None,
    end_date: str | None = None,
    timezone: str | None = None,
    group_by: str | None = None,
    campaign: str | None = None,
    supplier: str | None = None,
    buyer: str | None = None,
    test: str | None = None,
    format: str = "json",
) -> Response:
    """One table grouped by any of campaign, supplier, buyer, day or hour (comma-separated)
    over the days ``start_date`` through ``end_date`` in ``timezone``, with totals."""
    principal = await principal_of(request)
    if principal is None:
        return unauthorised()
    wrong_format = bad_format(format)
    if wrong_format is not None:
        return refused(wrong_format)
    query = read_report_query(
        principal,
        datetime.now(UTC),
        start=start_date,
        end=end_date,
        timezone=timezone,
        group_by=group_by,
        campaign=campaign,
        supplier=supplier,
        buyer=buyer,
        test=test,
    )
    if isinstance(query, Refusal):
        return refused(query)
    found = await runtime_of(request).reports.report(query)
    if format == "csv":
        names = [g.value for g in query.group_by]
        return report_csv(report_lines(found, names, withheld_from(principal)), "report.csv")
    return json_response(
        {
            "start_date": query.start.isoformat(),
            "end_date": query.end.isoformat(),
            "timezone": query.tz.key,
            "group_by": [g.value for g in query.group_by],
            **found.as_json(withheld_from(principal)),
        }
    )


@router.get("/dashboard")
async def dashboard(
    request: Request,
    start_date: str | None = None,
    end_date: str | None = None,
    timezone: str | None = None,
    campaign: str | None = None,
    supplier: str | None = None,
    buyer: str | None = None,
    test: str | None = None,
) -> Response:
    """The summary of the range, a series over it (by hour for one day, by day for longer)
    and the top campaigns, suppliers and buyers by revenue."""
    principal = await principal_of(request)
    if principal is None:
        return unauthorised()
    query = read_report_query(
        principal,
        datetime.now(UTC),
        start=start_date,
        end=end_date,
        timezone=timezone,
        group_by=None,
        campaign=campaign,
        supplier=supplier,
        buyer=buyer,
        test=test,
    )
    if isinstance(query, Refusal):
        return refused(query)
    found = await runtime_of(request).reports.dashboard(query)
    return json_response(found.as_json(withheld_from(principal)))


def report_lines(
    found: Report, names: Sequence[str], withheld: frozenset[str] = frozenset()
) -> Iterable[list[object]]:
    """The report as CSV lines: a header, a line per row, and the totals (keys ``TOTAL``),
    without the ``withheld`` metrics."""
    metrics = found.totals.metrics(withheld)
    columns = [m for m, v in metrics.items() if not isinstance(v, dict)]
    yield [*names, *columns]
    for row in found.rows:
        values = row.tally.metrics()
        yield [*row.key.values(), *(_cell(values[c]) for c in columns)]
    yield [*(["TOTAL"] * len(names)), *(_cell(metrics[c]) for c in columns)]


def _cell(value: object) -> object:
    return "" if value is None else value


def report_csv(lines: Iterable[list[object]], filename: str) -> StreamingResponse:
    async def stream() -> AsyncIterator[str]:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        for line in lines:
            writer.writerow(line)
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()

    return csv_stream(stream(), filename)


def csv_stream(body: AsyncIterator[str], filename: str) -> StreamingResponse:
    return StreamingResponse(
        body,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
