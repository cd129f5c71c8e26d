"""Lead Prosper's public API, served by Pickpost (docs/data-api.md): the same paths, parameters
and answers, so a dashboard or sync job written for Lead Prosper works by changing its base
URL and token.

Every request needs a bearer token: a user's API token or the bootstrap token. Scoped users
see only their own supplier's or buyer's leads and numbers; pausing and resuming needs an
owner or admin. Errors answer ``{"status": "error", "code": <HTTP status>, "message": …}``
with the fields at fault named, never their values.
"""

import json
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request, Response

from pickpost.api.admin import shown_to
from pickpost.api.auth import Need, allows, bearer_of, client_address, principal_of
from pickpost.api.report_query import encode_lead_cursor, read_lead_query, read_report_query
from pickpost.api.responses import json_response
from pickpost.api.state import runtime_of
from pickpost.domain import lead_prosper as lp
from pickpost.domain.audit import AuditEntry
from pickpost.domain.catalog import Campaign, Catalog
from pickpost.domain.errors import Code, Refusal
from pickpost.domain.fields import FieldError
from pickpost.domain.lead_query import LeadQuery
from pickpost.domain.people import Principal
from pickpost.domain.reports import Grouping, Report, ReportQuery, Tally

router = APIRouter(prefix="/public", tags=["Lead Prosper's API"])

PAGE = 100  # leads per page of /public/leads, as Lead Prosper pages them
DEBUG_MAX = 5  # leads per /public/leads/debug
MAX_BODY = 64 * 1024  # of a JSON request body


def _error(status: int, message: str, errors: tuple[FieldError, ...] = ()) -> Response:
    body: dict[str, object] = {"status": "error", "code": status, "message": message}
    if errors:
        body["errors"] = [{"field": e.field, "message": e.message} for e in errors]
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return json_response(body, status, headers)


def _refused(refusal: Refusal) -> Response:
    return _error(refusal.code.http_status, refusal.message, refusal.errors)


async def _principal(request: Request) -> Principal | Response:
    principal = await principal_of(request) if bearer_of(request) is not None else None
    if principal is None:
        return _error(401, "a valid API token is required: Authorization: Bearer <token>")
    return principal


# -- stats -------------------------------------------------------------------------------------


@router.get("/stats")
async def stats(
    request: Request,
    start_date: str | None = None,
    end_date: str | None = None,
    timezone: str | None = None,
    campaign: str | None = None,
    supplier: str | None = None,
    buyer: str | None = None,
) -> Response:
    """Per campaign: its leads and money, with a breakdown per supplier and per buyer."""
    principal = await _principal(request)
    if isinstance(principal, Response):
        return principal
    query = _report_query(principal, start_date, end_date, timezone, campaign, supplier, buyer)
    if isinstance(query, Refusal):
        return _refused(query)
    reports = runtime_of(request).reports
    by_campaign = await reports.report(query.with_groups(Grouping.CAMPAIGN))
    by_supplier = await reports.report(query.with_groups(Grouping.CAMPAIGN, Grouping.SUPPLIER))
    by_buyer = await reports.report(query.with_groups(Grouping.CAMPAIGN, Grouping.BUYER))
    catalog = runtime_of(request).catalog
    answer = []
    for campaign_id in _campaign_ids(catalog, principal, query, by_campaign):
        found = catalog.campaigns.get(campaign_id)
        suppliers = _rows(by_supplier, "supplier", campaign_id)
        buyers = _rows(by_buyer, "buyer", campaign_id)
        answer.append(
            {
                "id": campaign_id,
                "name": _campaign_name(found, campaign_id),
                "public_name": _campaign_name(found, campaign_id),
                **lp.campaign_stats(_tally(by_campaign, {"campaign": campaign_id})),
                "suppliers": [
                    {"id": sid, "name": _supplier_name(catalog, sid), **lp.supplier_stats(t)}
                    for sid, t in suppliers
                ],
                "buyers": [
                    {"id": bid, "name": _buyer_name(catalog, bid), **lp.buyer_stats(t)}
                    for bid, t in buyers
                ],
            }
        )
    return json_response(answer)


@router.get("/stats/supplier")
async def supplier_stats(
    request: Request,
    start_date: str | None = None,
    end_date: str | None = None,
    timezone: str | None = None,
    campaign: str | None = None,
    supplier: str | None = None,
) -> Response:
    """Per supplier, across the campaigns asked for: its leads, PINGs and money."""
    principal = await _principal(request)
    if isinstance(principal, Response):
        return principal
    query = _report_query(principal, start_date, end_date, timezone, campaign, supplier, None)
    if isinstance(query, Refusal):
        return _refused(query)
    found = await runtime_of(request).reports.report(query.with_groups(Grouping.SUPPLIER))
    catalog = runtime_of(request).catalog
    return json_response(
        [
            {"id": sid, "name": _supplier_name(catalog, sid), **lp.supplier_stats(tally)}
            for sid, tally in _rows(found, "supplier", None)
        ]
    )


def _report_query(
    principal: Principal,
    start: str | None,
    end: str | None,
    timezone: str | None,
    campaign: str | None,
    supplier: str | None,
    buyer: str | None,
) -> ReportQuery | Refusal:
    return read_report_query(
        principal,
        datetime.now(UTC),
        start=start,
        end=end,
        timezone=timezone,
        group_by=None,
        campaign=campaign,
        supplier=supplier,
        buyer=buyer,
        test=None,
    )


def _campaign_ids(
    catalog: Catalog, principal: Principal, query: ReportQuery, found: Report
) -> list[str]:
    """The campaigns asked for that the principal takes part in, and any with numbers."""
    ids = {row.key["campaign"] for row in found.rows if row.key["campaign"]}
    for campaign in catalog.campaigns.values():
        if (not query.campaigns or campaign.id in query.campaigns) and _takes_part(
            principal, campaign
        ):
            ids.add(campaign.id)
    return sorted(ids, key=_id_order)


def _id_order(item_id: str) -> tuple[int, str]:
    """Numeric ids in numeric order, then the others."""
    return (int(item_id), "") if item_id.isdigit() else (2**63, item_id)


def _takes_part(principal: Principal, campaign: Campaign) -> bool:
    if principal.supplier_scope is not None:
        return principal.supplier_scope in campaign.suppliers
    if principal.buyer_scope is not None:
        return principal.buyer_scope in campaign.buyers
    return True


def _tally(report: Report, key: dict[str, str]) -> Tally:
    return next((row.tally for row in report.rows if row.key == key), Tally())


def _rows(report: Report, kind: str, campaign_id: str | None) -> list[tuple[str, Tally]]:
    """The rows of one kind (suppliers or buyers), of one campaign when it is named."""
    return [
        (row.key[kind], row.tally)
        for row in report.rows
        if row.key[kind] and (campaign_id is None or row.key["campaign"] == campaign_id)
    ]


def _campaign_name(campaign: Campaign | None, campaign_id: str) -> str:
    return (campaign.config.name if campaign is not None else "") or campaign_id


def _supplier_name(catalog: Catalog, supplier_id: str) -> str:
    for campaign in catalog.campaigns.values():
        found = campaign.suppliers.get(supplier_id)
        if found is not None and found.name:
            return found.name
    return supplier_id


def _buyer_name(catalog: Catalog, buyer_id: str) -> str:
    for campaign in catalog.campaigns.values():
        found = campaign.buyers.get(buyer_id)
        if found is not None and found.name:
            return found.name
    return buyer_id


# -- leads -------------------------------------------------------------------------------------


@router.get("/leads")
async def leads(
    request: Request,
    start_date: str | None = None,
    end_date: str | None = None,
    timezone: str | None = None,
    campaign: str | None = None,
    status: str | None = None,
    supplier: str | None = None,
    buyer: str | None = None,
    field_name: str | None = None,
    field_value: str | None = None,
    search_after: str | None = None,
) -> Response:
    """Leads newest first, 100 a page; ``search_after`` (the previous page's) fetches the next,
    and is empty after the last page."""
    principal = await _principal(request)
    if isinstance(principal, Response):
        return principal
    statuses = _statuses(status)
    if isinstance(statuses, Refusal):
        return _refused(statuses)
    query = read_lead_query(
        principal,
        lead_id=None,
        ping_id=None,
        phone=None,
        email=None,
        field_name=field_name,
        field_value=field_value,
        campaign=campaign,
        supplier=supplier,
        buyer=buyer,
        status=statuses,
        test=None,
        start=start_date,
        end=end_date,
        timezone=timezone,
        cursor=search_after,
        limit=PAGE,
    )
    if isinstance(query, Refusal):
        return _refused(_renamed(query, "cursor", "search_after"))
    found, after = await _leads(request, principal, query)
    return json_response({"leads": found, "search_after": after})


@router.get("/lead/{lead_id}")
async def lead(lead_id: str, request: Request) -> Response:
    """One lead, as ``/public/leads`` lists it."""
    principal = await _principal(request)
    if isinstance(principal, Response):
        return principal
    query = LeadQuery(lead_id=lead_id[:40], limit=1).scoped(principal)
    found, _ = await _leads(request, principal, query)
    if not found:
        return _error(404, "no such lead")
    return json_response(found[0])


def _statuses(text: str | None) -> str | Refusal | None:
    """Lead Prosper's status words (or Pickpost's) as Pickpost's statuses, comma-separated."""
    if not text:
        return None
    chosen: set[str] = set()
    for word in (part.strip() for part in text.split(",")):
        if not word:
            continue
        if word.upper() == lp.DUPLICATED:
            message = "DUPLICATED leads are refused before they are stored: see leads_duplicated"
            return _malformed(FieldError("status", message))
        found = lp.STATUS_FILTER.get(word.upper()) or lp.STATUS_FILTER.get(word.lower())
        if found is None:
            allowed = "ACCEPTED, ERROR, PENDING or a Pickpost lead status"
            return _malformed(FieldError("status", f"must be {allowed}"))
        chosen |= found
    return ",".join(sorted(chosen)) or None


def _malformed(error: FieldError) -> Refusal:
    return Refusal(Code.MALFORMED, f"invalid query parameters: {error.field}", (error,))


def _renamed(refusal: Refusal, ours: str, theirs: str) -> Refusal:
    """The refusal with the parameter ``ours`` called as the client named it."""
    errors = tuple(FieldError(theirs, e.message) if e.field == ours else e for e in refusal.errors)
    names = ", ".join(e.field for e in errors)
    return Refusal(refusal.code, f"invalid query parameters: {names}", errors)


async def _leads(
    request: Request, principal: Principal, query: LeadQuery
) -> tuple[list[dict[str, object]], str]:
    runtime = runtime_of(request)
    page = await runtime.lead_list.page(query)
    details = await runtime.lead_list.details([str(lead["lead_id"]) for lead in page.leads])
    catalog = runtime.catalog
    shown = [
        _lead(catalog, principal, lead, details[str(lead["lead_id"])])
        for lead in page.leads
        if str(lead["lead_id"]) in details
    ]
    return shown, "" if page.next is None else encode_lead_cursor(page.next)


def _lead(
    catalog: Catalog, principal: Principal, lead: dict[str, Any], detail: dict[str, Any]
) -> dict[str, object]:
    """A lead as Lead Prosper shows it. A buyer sees its own sale only and not the supplier's
    payout; a supplier does not see what buyers paid."""
    campaign_id = str(lead["campaign_id"])
    campaign = catalog.campaigns.get(campaign_id)
    sales = [
        s
        for s in detail["sales"]
        if principal.buyer_scope is None or s["buyer_id"] == principal.buyer_scope
    ]
    revenue = sum(s["price_cents"] for s in sales if s["status"] == "sold")
    returned = [
        r
        for r in detail["returns"]
        if principal.buyer_scope is None or r["buyer_id"] == principal.buyer_scope
    ]
    status = lp.lead_status(str(lead["status"]), detail["code"])
    failed = status not in (lp.ACCEPTED, lp.PENDING)
    hide_revenue = principal.supplier_scope is not None
    created = datetime.fromisoformat(str(lead["created_at"]))
    return {
        "id": lead["lead_id"],
        "lead_date_ms": int(created.timestamp() * 1000),
        "status": status,
        "error_code": detail["code"] if failed and detail["code"] else None,
        "error_message": detail["message"] if failed and detail["message"] else None,
        "test": lead["test"],
        "cost": None if principal.buyer_scope is not None else lp.dollars(lead["cost_cents"]),
        "revenue": None if hide_revenue else lp.dollars(revenue),
        "campaign_id": campaign_id,
        "campaign_name": _campaign_name(campaign, campaign_id),
        "lead_data": detail["fields"],
        "supplier": {
            "id": lead["supplier_id"],
            "name": _supplier_name(catalog, str(lead["supplier_id"])),
        },
        "buyers": [
            {
                "id": s["buyer_id"],
                "name": _buyer_name(catalog, s["buyer_id"]),
                "status": lp.sale_status(s["status"]),
                "error_code": None,
                "error_message": None if s["status"] == "sold" else (s["reason"] or None),
                "sell_price": None if hide_revenue else lp.dollars(s["price_cents"]),
            }
            for s in sales
        ],
        "returned": bool(returned),
        "return_reason": returned[0]["reason"] if returned else None,
    }


# -- campaigns ---------------------------------------------------------------------------------


@router.get("/campaigns")
async def campaigns(request: Request) -> Response:
    """Every campaign the caller takes part in: a bare array, as Lead Prosper answers."""
    principal = await _principal(request)
    if isinstance(principal, Response):
        return principal
    catalog = runtime_of(request).catalog
    found = [c for c in catalog.campaigns.values() if _takes_part(principal, c)]
    found.sort(key=lambda c: _id_order(c.id))
    return json_response([_campaign(principal, c) for c in found])


@router.get("/campaigns/{campaign_id}")
async def campaign(campaign_id: str, request: Request) -> Response:
    """One campaign with its suppliers and buyers."""
    principal = await _principal(request)
    if isinstance(principal, Response):
        return principal
    found = runtime_of(request).catalog.campaigns.get(campaign_id)
    if found is None or not _takes_part(principal, found):
        return _error(404, "no such campaign")
    return json_response(_campaign(principal, found))


def _campaign(principal: Principal, campaign: Campaign) -> dict[str, object]:
    """A campaign as the caller may see it: a scoped user sees itself, not the others."""
    config = campaign.config

    def status(paused: bool) -> str:
        return "paused" if paused else "active"

    suppliers = [
        {"id": s.id, "name": s.name or s.id, "status": status(s.paused)}
        for s in campaign.suppliers.values()
        if principal.buyer_scope is None and principal.supplier_scope in (None, s.id)
    ]
    buyers = [
        {"id": b.id, "name": b.name or b.id, "status": status(b.paused)}
        for b in campaign.buyers.values()
        if principal.supplier_scope is None and principal.buyer_scope in (None, b.id)
    ]
    return {
        "id": campaign.id,
        "name": _campaign_name(campaign, campaign.id),
        "public_name": _campaign_name(campaign, campaign.id),
        "type": config.type.value,
        "status": "archived" if campaign.archived else status(config.paused),
        "timezone": config.timezone,
        "suppliers": suppliers,
        "buyers": buyers,
    }


@router.get("/campaigns/{campaign_id}/pause_buyer/{buyer_id}")
async def pause_buyer(campaign_id: str, buyer_id: str, request: Request) -> Response:
    """Stop sending the campaign's leads to one buyer (owners and admins); audited."""
    return await _switch(request, campaign_id, buyer_id, paused=True)


@router.get("/campaigns/{campaign_id}/resume_buyer/{buyer_id}")
async def resume_buyer(campaign_id: str, buyer_id: str, request: Request) -> Response:
    """Send the campaign's leads to the buyer again (owners and admins); audited."""
    return await _switch(request, campaign_id, buyer_id, paused=False)


async def _switch(request: Request, campaign_id: str, buyer_id: str, paused: bool) -> Response:
    principal = await _principal(request)
    if isinstance(principal, Response):
        return principal
    if not allows(principal, Need.OPERATE):
        return _error(403, f"the {principal.role} role may not pause or resume buyers")
    runtime = runtime_of(request)
    missing = await runtime.control.set_paused(campaign_id, "buyer", buyer_id, paused)
    if missing is not None:
        return _error(404, f"no such {missing}")
    entry = AuditEntry(
        principal.name, "pause" if paused else "resume",
        f"campaign {campaign_id}/buyer {buyer_id}", runtime.people.now(),
        {"paused": not paused}, {"paused": paused}, client_address(request),
    )  # fmt: skip
    await runtime.audit.record(entry)
    return json_response(
        {"status": "ok", "campaign_id": campaign_id, "buyer_id": buyer_id, "paused": paused}
    )


# -- returns and debug logs --------------------------------------------------------------------


async def _body(request: Request) -> dict[str, Any] | Response:
    """The request's JSON object, or the refusal of a body that is not one."""
    raw = await request.body()
    if len(raw) > MAX_BODY:
        return _error(413, f"the body is larger than {MAX_BODY // 1024} KiB")
    try:
        found = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return _error(400, "the body must be a JSON object")
    if not isinstance(found, dict):
        return _error(400, "the body must be a JSON object")
    return found


def _text(body: dict[str, Any], name: str, limit: int, errors: list[FieldError]) -> str | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, str | int) or isinstance(value, bool):
        errors.append(FieldError(name, "must be text"))
        return None
    text = str(value)
    if not 1 <= len(text) <= limit or "\x00" in text:
        errors.append(FieldError(name, f"must be 1 to {limit} characters"))
        return None
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        errors.append(FieldError(name, "must be valid Unicode"))
        return None
    return text


@router.post("/lead/return")
async def return_lead(request: Request) -> Response:
    """Open a return: ``{"lead_id", "reason"}``, and ``buyer_id`` when an operator returns a
    lead sold to several buyers (a buyer's token returns its own purchase)."""
    principal = await _principal(request)
    if isinstance(principal, Response):
        return principal
    body = await _body(request)
    if isinstance(body, Response):
        return body
    errors: list[FieldError] = []
    lead_id = _text(body, "lead_id", 40, errors)
    reason = _text(body, "reason", 100, errors)
    buyer_id = _text(body, "buyer_id", 64, errors)
    note = body.get("note", "")
    if not isinstance(note, str):
        errors.append(FieldError("note", "must be text"))
    for name, value in (("lead_id", lead_id), ("reason", reason)):
        if value is None and name not in {e.field for e in errors}:
            errors.append(FieldError(name, "is required"))
    if errors or lead_id is None or reason is None or not isinstance(note, str):
        names = ", ".join(e.field for e in errors)
        return _error(400, f"malformed request: {names}", tuple(errors))
    opened = await runtime_of(request).returns.open(
        principal, lead_id, reason, note, buyer_id, client_address(request)
    )
    if isinstance(opened, Refusal):
        return _refused(opened)
    return json_response(
        {
            "status": "ok",
            "return_id": opened.return_id,
            "lead_id": opened.lead_id,
            "buyer_id": opened.buyer_id,
            "reason": opened.reason,
            "return_status": opened.status.value,
        }
    )


@router.post("/leads/debug")
async def debug(request: Request) -> Response:
    """The buyer calls of up to 5 leads: each ping and post sent, with its request and response
    headers and bodies as recorded (secrets withheld, bodies capped at 16 KiB)."""
    principal = await _principal(request)
    if isinstance(principal, Response):
        return principal
    body = await _body(request)
    if isinstance(body, Response):
        return body
    ids = body.get("lead_ids")
    if (
        not isinstance(ids, list)
        or not ids
        or not all(isinstance(i, str) and 0 < len(i) <= 40 for i in ids)
    ):
        error = FieldError("lead_ids", "must be a list of lead ids")
        return _error(400, "malformed request: lead_ids", (error,))
    if len(ids) > DEBUG_MAX:
        error = FieldError("lead_ids", f"at most {DEBUG_MAX} leads at a time")
        return _error(400, "malformed request: lead_ids", (error,))
    runtime = runtime_of(request)
    await runtime.recorder.flush()  # logs are written behind the answers
    found = []
    for lead_id in dict.fromkeys(ids):
        view = await runtime.views.lead(lead_id)
        shown = None if view is None else shown_to(principal, view)
        if shown is None:
            continue
        found.append({"lead_id": lead_id, "calls": shown["timeline"]})
    return json_response({"leads": found})
