"""``/console/returns``: the returns queue (filtered by status, campaign and buyer, a page at
a time) where operators approve or reject, and ``/console/returns/bulk``: returns opened from
a CSV file in two steps – upload it, then map its columns – with each row's result."""

import base64
import binascii
import csv
import io
from urllib.parse import urlencode

from fastapi import APIRouter, Request, Response
from starlette.datastructures import FormData, UploadFile

from pickpost.api.auth import Need, client_address
from pickpost.api.console import formats  # noqa: F401  (the pages' template filters)
from pickpost.api.console.page import (
    PREFIX,
    console_page,
    field,
    local_path,
    posted_form,
    refused,
    see_other,
    signed_in,
)
from pickpost.api.returns import MAX_BYTES, decode_return_cursor, encode_return_cursor
from pickpost.api.state import runtime_of
from pickpost.domain.errors import Refusal
from pickpost.domain.people import Principal
from pickpost.domain.return_csv import CsvMapping, RowOutcome
from pickpost.domain.returns import KeyKind, ReturnsQuery, ReturnStatus
from pickpost.infra.csv_file import CsvFile

router = APIRouter(prefix=PREFIX, include_in_schema=False)
PAGE_SIZE = 50
PREVIEW_ROWS = 5  # of an uploaded file, shown under its mapping
QUEUE = f"{PREFIX}/returns"
BULK = f"{PREFIX}/returns/bulk"


@router.get("/returns")
async def returns_page(request: Request) -> Response:
    principal = await signed_in(request, Need.READ)
    if isinstance(principal, Response):
        return principal
    return await _queue(request, principal)


async def _queue(
    request: Request, principal: Principal, error: str | None = None, status_code: int = 200
) -> Response:
    params = request.query_params
    filters = {name: params.get(name, "").strip()[:64] for name in ("status", "campaign", "buyer")}
    status = next((s for s in ReturnStatus if s.value == filters["status"]), None)
    cursor = params.get("cursor", "")
    query = ReturnsQuery(
        status=status,
        campaign_id=filters["campaign"] or None,
        buyer_id=filters["buyer"] or None,
        after=decode_return_cursor(cursor) if cursor else None,
        limit=PAGE_SIZE,
    )
    page = await runtime_of(request).returns.listing(principal, query)
    next_query = None
    if page.next is not None:
        shown = {name: value for name, value in filters.items() if value}
        next_query = urlencode({**shown, "cursor": encode_return_cursor(page.next)})
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return console_page(
        request, "returns.html", status_code, returns=page.returns, filters=filters,
        statuses=[s.value for s in ReturnStatus], next_query=next_query, here=here,
        decided=params.get("decided", ""), error=error,
    )  # fmt: skip


@router.post("/returns/{return_id:int}/{action}")
async def decide(return_id: int, action: str, request: Request) -> Response:
    """Approve or reject an open return (owners and admins), with an optional note."""
    posted = await posted_form(request, Need.OPERATE)
    if isinstance(posted, Response):
        return posted
    principal, form = posted
    returns = runtime_of(request).returns
    if action not in ("approve", "reject"):
        return refused(request, "A return is approved or rejected, nothing else.", 404)
    choice = returns.approve if action == "approve" else returns.reject
    result = await choice(principal, return_id, field(form, "note"), client_address(request))
    if isinstance(result, Refusal):
        message = f"Return {return_id} was not {action}d: {result.message}."
        return await _queue(request, principal, message, result.code.http_status)
    back = local_path(field(form, "back"), QUEUE)
    joiner = "&" if "?" in back else "?"
    return see_other(f"{back}{joiner}decided={return_id}-{result.status.value}")


def _may_open(principal: Principal) -> bool:
    return principal.operates or principal.buyer_scope is not None


@router.get("/returns/bulk")
async def bulk_page(request: Request) -> Response:
    principal = await signed_in(request, Need.READ)
    if isinstance(principal, Response):
        return principal
    if not _may_open(principal):
        return refused(request, "Returns are opened by operators and buyer users.")
    return console_page(request, "returns_bulk.html", step="upload", error=None)


@router.post("/returns/bulk")
async def bulk_upload(request: Request) -> Response:
    """Step one: the file is read and its header and first rows shown for mapping."""
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > MAX_BYTES + 64 * 1024:
        return _bulk_error(request, f"The file is larger than {MAX_BYTES // 2**20} MB.", 413)
    posted = await posted_form(request, Need.READ)
    if isinstance(posted, Response):
        return posted
    principal, form = posted
    if not _may_open(principal):
        return refused(request, "Returns are opened by operators and buyer users.")
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        return _bulk_error(request, "Choose a CSV file to upload.")
    data = await upload.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        return _bulk_error(request, f"The file is larger than {MAX_BYTES // 2**20} MB.", 413)
    rows = _preview(data)
    if isinstance(rows, str):
        return _bulk_error(request, rows)
    return console_page(
        request, "returns_bulk.html", step="map", header=rows[0], preview=rows[1:],
        data=base64.b64encode(data).decode(), kinds=_key_choices(request),
        reasons=_reasons(request), operator=principal.operates, error=None, chosen={},
    )  # fmt: skip


def _preview(data: bytes) -> list[list[str]] | str:
    """The header and first rows of a CSV file, or why it cannot be read."""
    try:
        text = data.decode("utf-8-sig")
        rows = []
        for row in csv.reader(io.StringIO(text, newline="")):
            rows.append(row)
            if len(rows) > PREVIEW_ROWS:
                break
    except (UnicodeDecodeError, csv.Error):
        return "The file is not CSV text in UTF-8."
    if not rows or not any(cell.strip() for cell in rows[0]):
        return "The file is empty: its first row must name the columns."
    return rows


def _key_choices(request: Request) -> list[tuple[str, str]]:
    """What a key column may hold: an id, or the value of a field leads are indexed by."""
    catalog = runtime_of(request).catalog
    fields = sorted({spec.name for c in catalog.campaigns.values() for spec in c.personal.indexed})
    return [
        ("lead_id", "Lead id"),
        ("ping_id", "Ping id"),
        ("bid_id", "Bid id"),
        *((f"field:{name}", f"Lead field: {name}") for name in fields),
    ]


def _reasons(request: Request) -> list[str]:
    """Every campaign's return reasons, for the fixed reason's suggestions."""
    found: dict[str, None] = {}
    for campaign in runtime_of(request).catalog.campaigns.values():
        found.update(dict.fromkeys(campaign.config.returns.reasons))
    return list(found)


def _bulk_error(request: Request, message: str, status_code: int = 400) -> Response:
    return console_page(request, "returns_bulk.html", status_code, step="upload", error=message)


def mapping_of(form: FormData) -> CsvMapping | str:
    """The column mapping the form chose, or what is missing from it."""
    key = field(form, "key")
    kind = next((k for k in KeyKind if k.value == key.partition(":")[0]), None)
    if not field(form, "key_column") or kind is None:
        return "Choose the key column and what kind of key it holds."
    reason_column, reason = field(form, "reason_column"), field(form, "reason")
    if not reason_column and not reason:
        return "Choose the reason column, or give one reason for every row."
    return CsvMapping(
        key_column=field(form, "key_column"),
        key_kind=kind,
        key_field=key.partition(":")[2] or None,
        reason_column=reason_column or None,
        reason=None if reason_column else reason,
        buyer_column=field(form, "buyer_column") or None,
        note=field(form, "note"),
    )


@router.post("/returns/bulk/open")
async def bulk_open(request: Request) -> Response:
    """Step two: a return opened for each row as mapped; each row's result shown."""
    posted = await posted_form(request, Need.READ)
    if isinstance(posted, Response):
        return posted
    principal, form = posted
    try:
        data = base64.b64decode(field(form, "data"), validate=True)
    except (binascii.Error, ValueError):
        return _bulk_error(request, "The upload was lost on the way: upload the file again.")
    rows = _preview(data)
    if isinstance(rows, str):
        return _bulk_error(request, rows)
    mapping = mapping_of(form)
    result = (
        mapping
        if isinstance(mapping, str)
        else await runtime_of(request).returns.bulk(
            principal, CsvFile(io.BytesIO(data)), mapping, client_address(request)
        )
    )
    if isinstance(result, str | Refusal):
        message = result if isinstance(result, str) else _refusal_text(result)
        return console_page(
            request, "returns_bulk.html", 400, step="map", header=rows[0], preview=rows[1:],
            data=field(form, "data"), kinds=_key_choices(request), reasons=_reasons(request),
            operator=principal.operates, error=message, chosen=dict(form),
        )  # fmt: skip
    counts = {outcome.value: result.count(outcome) for outcome in RowOutcome}
    return console_page(request, "returns_bulk.html", step="done", report=result, counts=counts)


_PARAMETERS = {
    "key_column": "the key column",
    "key_field": "the key's field",
    "reason_column": "the reason column",
    "buyer_column": "the buyer column",
    "note": "the note",
}


def _refusal_text(refusal: Refusal) -> str:
    if not refusal.errors:
        return f"The file was not read: {refusal.message}."
    parts = [f"{_PARAMETERS.get(e.field, e.field)} {e.message}" for e in refusal.errors]
    return "The mapping does not fit the file: " + "; ".join(parts) + "."
