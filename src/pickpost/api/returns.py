"""Returns over HTTP (docs/returns.md): open one or many (CSV upload), approve or reject, list
and read them. Who may do what is the principal's: a buyer's opens returns of its own
purchases, only operators decide. Every refusal answers in the envelope, ``request_id: null``.
"""

import base64
import binascii
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request, Response
from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from starlette.datastructures import FormData, UploadFile

from pickpost.api import openapi
from pickpost.api.answers import refused, unauthorised
from pickpost.api.auth import principal_of
from pickpost.api.responses import json_response
from pickpost.api.sales_query import DATE_FORMAT, moment
from pickpost.api.state import runtime_of
from pickpost.domain.errors import Code, Refusal
from pickpost.domain.fields import FieldError
from pickpost.domain.return_csv import BulkReport, CsvMapping, RowOutcome
from pickpost.domain.returns import (
    NOTE_MAX,
    KeyKind,
    ReturnPosition,
    ReturnRecord,
    ReturnsQuery,
    ReturnStatus,
)
from pickpost.infra.csv_file import CsvFile

router = APIRouter(prefix="/api/v1")

MAX_BYTES = 5 * 1024 * 1024  # of a bulk file
_FORM_OVERHEAD = 64 * 1024  # the multipart framing and mapping fields around the file


def _storable(text: str) -> str:
    """Text every database stores: no NUL, no lone surrogate (a ``"\\ud800"`` JSON escape)."""
    if "\x00" in text:
        raise ValueError("NUL characters are not allowed")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("text must be valid Unicode (no lone surrogates)") from None
    return text


Text = Annotated[str, AfterValidator(_storable)]
ReturnId = Annotated[int, Path(ge=1, le=2**63 - 1)]


class _Opening(BaseModel):
    model_config = ConfigDict(extra="forbid")

    lead_id: Annotated[Text, Field(min_length=1, max_length=40)]
    buyer_id: Annotated[Text, Field(min_length=1, max_length=64)] | None = None
    reason: Annotated[Text, Field(min_length=1, max_length=100)]
    note: Annotated[Text, Field(max_length=NOTE_MAX)] = ""


class _Decision(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: Annotated[Text, Field(max_length=NOTE_MAX)] = ""


def _remote(request: Request) -> str | None:
    return request.client.host if request.client else None


def _iso(epoch: float | None) -> str | None:
    if epoch is None:
        return None
    return datetime.fromtimestamp(epoch, UTC).isoformat().replace("+00:00", "Z")


def shown(record: ReturnRecord) -> dict[str, object]:
    """A return as the API shows it; amounts in dollars like every admin answer."""
    return {
        "id": record.return_id,
        "lead_id": record.lead_id,
        "buyer_id": record.buyer_id,
        "campaign_id": record.campaign_id,
        "supplier_id": record.supplier_id,
        "reason": record.reason,
        "note": record.note,
        "status": record.status.value,
        "opened_by": record.opened_by,
        "opened_at": _iso(record.opened_at),
        "decided_by": record.decided_by,
        "decided_at": _iso(record.decided_at),
        "decision_note": record.decision_note,
        "credit": record.credit_cents / 100,
        "chargeback": record.chargeback_cents / 100,
    }


def _answer(result: ReturnRecord | Refusal) -> Response:
    return refused(result) if isinstance(result, Refusal) else json_response(shown(result))


@router.post("/returns")
async def open_return(opening: _Opening, request: Request) -> Response:
    """Open a return of a sold lead: ``buyer_id`` names the sale (a buyer's token: its own;
    omitted: the lead's only sale). Answers the return, status ``open``."""
    principal = await principal_of(request)
    if principal is None:
        return unauthorised()
    result = await runtime_of(request).returns.open(
        principal,
        opening.lead_id,
        opening.reason,
        opening.note,
        opening.buyer_id,
        _remote(request),
    )
    return _answer(result)


@router.get("/returns")
async def list_returns(
    request: Request,
    status: str | None = None,
    campaign: Annotated[Text | None, Query(max_length=64)] = None,
    buyer: Annotated[Text | None, Query(max_length=64)] = None,
    supplier: Annotated[Text | None, Query(max_length=64)] = None,
    since: str | None = None,
    until: str | None = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> Response:
    """Returns, newest opened first; ``since``/``until`` bound when they were opened (ISO
    dates or datetimes, UTC; ``until`` exclusive, a bare date: through that day).
    ``next_cursor`` fetches the next page."""
    principal = await principal_of(request)
    if principal is None:
        return unauthorised()
    errors: list[FieldError] = []
    chosen = None
    if status:
        try:
            chosen = ReturnStatus(status)
        except ValueError:
            statuses = ", ".join(s.value for s in ReturnStatus)
            errors.append(FieldError("status", f"must be one of {statuses}"))
    start, end = moment(since, end_of_day=False), moment(until, end_of_day=True)
    if since and start is None:
        errors.append(FieldError("since", DATE_FORMAT))
    if until and end is None:
        errors.append(FieldError("until", DATE_FORMAT))
    after = decode_return_cursor(cursor) if cursor else None
    if cursor and after is None:
        errors.append(FieldError("cursor", "is not a cursor this API returned"))
    if errors:
        names = ", ".join(e.field for e in errors)
        return refused(Refusal(Code.MALFORMED, f"invalid query parameters: {names}", tuple(errors)))
    query = ReturnsQuery(
        chosen, campaign or None, buyer or None, supplier or None, start, end, after, limit
    )
    page = await runtime_of(request).returns.listing(principal, query)
    next_cursor = None if page.next is None else encode_return_cursor(page.next)
    return json_response({"returns": [shown(r) for r in page.returns], "next_cursor": next_cursor})


@router.get("/returns/{return_id}", responses=openapi.NOT_FOUND)
async def get_return(return_id: ReturnId, request: Request) -> Response:
    """One return."""
    principal = await principal_of(request)
    if principal is None:
        return unauthorised()
    return _answer(await runtime_of(request).returns.get(principal, return_id))


@router.post("/returns/{return_id}/{action}", responses=openapi.NOT_FOUND)
async def decide_return(
    return_id: ReturnId,
    action: Literal["approve", "reject"],
    request: Request,
    decision: _Decision | None = None,
) -> Response:
    """Approve or reject an open return (owners and admins). Approving credits the buyer
    its price and, when the campaign charges back, takes back the supplier's payout."""
    principal = await principal_of(request)
    if principal is None:
        return unauthorised()
    returns = runtime_of(request).returns
    decide = returns.approve if action == "approve" else returns.reject
    note = decision.note if decision is not None else ""
    return _answer(await decide(principal, return_id, note, _remote(request)))


_BULK_FIELDS: dict[str, Any] = {
    "file": {"type": "string", "format": "binary", "description": "the CSV file"},
    "key_column": {"type": "string", "example": "Phone"},
    "key_kind": {"type": "string", "enum": [k.value for k in KeyKind]},
    "key_field": {"type": "string", "example": "phone"},
    "reason_column": {"type": "string", "example": "Reason"},
    "reason": {"type": "string", "example": "Wrong number"},
    "buyer_column": {"type": "string", "example": "Buyer"},
    "note": {"type": "string"},
}
_BULK_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": _BULK_FIELDS,
                    "required": ["file", "key_column", "key_kind"],
                }
            }
        },
    }
}
_TEXT_LIMITS = {
    "key_column": 200,
    "key_field": 64,
    "reason_column": 200,
    "reason": 100,
    "buyer_column": 200,
    "note": NOTE_MAX,
}


@router.post("/returns/bulk", openapi_extra=_BULK_BODY)
async def bulk_returns(request: Request) -> Response:
    """Open returns from a CSV file (UTF-8, first row the column names, at most 5 MB and
    10 000 rows): ``key_column`` holds a ``key_kind`` (``lead_id``, ``ping_id``, ``bid_id``,
    or ``field`` with ``key_field``: a personal lead field's value); the reason is
    ``reason_column``'s or one fixed ``reason``; ``buyer_column`` names the buyer of a lead
    sold to several. Answers counts and one result per row. The body is read only once the
    token is known good."""
    principal = await principal_of(request)
    if principal is None:
        return unauthorised()
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > MAX_BYTES + _FORM_OVERHEAD:
        return _too_large()
    async with request.form(max_files=1, max_fields=len(_BULK_FIELDS)) as form:
        upload, mapping = form.get("file"), _mapping(form)
        if not isinstance(upload, UploadFile):
            missing = [FieldError("file", "is required")]
            return _malformed(missing + (mapping if isinstance(mapping, list) else []))
        if isinstance(mapping, list):
            return _malformed(mapping)
        if upload.size is not None and upload.size > MAX_BYTES:
            return _too_large()
        result = await runtime_of(request).returns.bulk(
            principal, CsvFile(upload.file), mapping, _remote(request)
        )
    if isinstance(result, Refusal):
        return refused(result)
    return json_response(_report(result))


def _mapping(form: FormData) -> CsvMapping | list[FieldError]:
    """The column mapping of a bulk upload's form fields, or what is wrong with them."""
    errors: list[FieldError] = []
    text: dict[str, str | None] = {}
    for name, limit in _TEXT_LIMITS.items():
        value = form.get(name)
        if value is not None and not isinstance(value, str):
            errors.append(FieldError(name, "must be text"))
        elif value is not None and len(value) > limit:
            errors.append(FieldError(name, f"is longer than {limit} characters"))
        else:
            try:
                text[name] = _storable(value) if value else None
            except ValueError as error:
                errors.append(FieldError(name, str(error)))
    raw_kind = form.get("key_kind")
    kind = next((k for k in KeyKind if k.value == raw_kind), None)
    if kind is None:
        kinds = ", ".join(k.value for k in KeyKind)
        errors.append(FieldError("key_kind", f"must be one of {kinds}"))
    if not text.get("key_column") and "key_column" not in {e.field for e in errors}:
        errors.append(FieldError("key_column", "is required"))
    if errors or kind is None:
        return errors
    return CsvMapping(
        key_column=text["key_column"] or "",
        key_kind=kind,
        key_field=text["key_field"],
        reason_column=text["reason_column"],
        reason=text["reason"],
        buyer_column=text["buyer_column"],
        note=text["note"] or "",
    )


def _malformed(errors: list[FieldError]) -> Response:
    names = ", ".join(e.field for e in errors)
    return refused(Refusal(Code.MALFORMED, f"malformed request: {names}", tuple(errors)))


def _too_large() -> Response:
    return refused(Refusal(Code.TOO_LARGE, f"the file is larger than {_MB} MB"))


_MB = MAX_BYTES // (1024 * 1024)


def _report(report: BulkReport) -> dict[str, object]:
    return {
        "matched": report.count(RowOutcome.MATCHED),
        "not_matched": report.count(RowOutcome.NOT_MATCHED),
        "failed": report.count(RowOutcome.FAILED),
        "rows": [
            {
                "row": r.row,
                "outcome": r.outcome.value,
                "message": r.message,
                "problem": r.problem,
                "lead_id": r.lead_id,
                "return_id": r.return_id,
            }
            for r in report.rows
        ],
    }


def encode_return_cursor(position: ReturnPosition) -> str:
    """Opaque to clients: the position of the last return of a page."""
    text = f"{position.opened_at.astimezone(UTC).isoformat()}|{position.return_id}"
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_return_cursor(cursor: str) -> ReturnPosition | None:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        at, _, return_id = text.partition("|")
        opened_at = datetime.fromisoformat(at)
        if opened_at.tzinfo is None:
            return None
        return ReturnPosition(opened_at.astimezone(UTC), int(return_id))
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return None
