"""The admin API (bearer token): leads and pings with everything recorded about them, the
sales an operator must settle, and pause/resume switches.

Every error answers in the supplier envelope (docs/supplier-api.md, "Admin API") with
``request_id: null``: admin calls are not recorded as supplier requests. Reads are open to
every role, a scoped role seeing only its own supplier's or buyer's leads (anything else is
404, as if it did not exist); changes need a role that operates (owner, admin), and are
audited. Changes take a bearer token only: a browser's session cookie, which a page of
another site could make the browser send, is not enough.
"""

import dataclasses
from collections.abc import Awaitable, Callable
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response

from pickpost.api import openapi
from pickpost.api.answers import refused, unauthorised
from pickpost.api.auth import Need, allows, bearer_of, client_address, principal_of
from pickpost.api.responses import json_response
from pickpost.api.sales_query import encode_cursor, read_sales_query
from pickpost.api.state import runtime_of
from pickpost.domain.audit import AuditEntry
from pickpost.domain.errors import Code, Refusal
from pickpost.domain.people import Principal
from pickpost.services.ports import PausableKind

router = APIRouter(prefix="/api/v1")
Action = Literal["pause", "resume"]


def _not_found(what: str) -> Response:
    return refused(Refusal(Code.NOT_FOUND, f"no {what}"))


async def _allowed(request: Request, need: Need) -> Principal | Response:
    """The request's principal if it may do what ``need`` names, else the refusal."""
    principal = await principal_of(request)
    if principal is None:
        return unauthorised()
    if not allows(principal, need):
        message = f"the {principal.role} role may not {need.value}"
        return refused(Refusal(Code.NOT_PERMITTED, message))
    return principal


def shown_to(principal: Principal, found: dict[str, object]) -> dict[str, object] | None:
    """What a scoped principal may see of a lead or ping view, or None if nothing.

    A supplier sees its own leads whole. A buyer sees the leads offered or sold to it, and of
    them only its own bids, sales and calls: not the supplier's requests nor other buyers'."""
    if principal.sees_everything:
        return found
    if principal.supplier_scope is not None:
        return found if found.get("supplier_id") == principal.supplier_scope else None

    def mine(key: str) -> list[object]:
        items = found.get(key)
        listed = items if isinstance(items, list) else []
        return [
            i for i in listed if isinstance(i, dict) and i.get("buyer_id") == principal.scope_id
        ]

    trimmed = {**found, "requests": []}
    for key in ("sales", "bids", "timeline"):
        if key in found:
            trimmed[key] = mine(key)
    if not mine("sales") and not mine("bids"):
        return None
    return trimmed


async def _view(
    request: Request,
    kind: str,
    key: str,
    read: Callable[[str], Awaitable[dict[str, object] | None]],
) -> Response:
    runtime = runtime_of(request)
    principal = await _allowed(request, Need.READ)
    if isinstance(principal, Response):
        return principal
    # Logs of this process are written behind the responses; make them visible first.
    await runtime.recorder.flush()
    found = await read(key)
    shown = None if found is None else shown_to(principal, found)
    if shown is None:
        return _not_found(f"{kind} {key}")
    return json_response(shown)


@router.get("/leads/{lead_id}", responses=openapi.NOT_FOUND)
async def get_lead(lead_id: str, request: Request) -> Response:
    """A lead, its consent record, sales, requests and the timeline of every buyer call."""
    return await _view(request, "lead", lead_id, runtime_of(request).views.lead)


@router.get("/pings/{ping_id}", responses=openapi.NOT_FOUND)
async def get_ping(ping_id: str, request: Request) -> Response:
    """A ping as received, the bids offered, its buyer calls and the lead it became, if any."""
    return await _view(request, "ping", ping_id, runtime_of(request).views.ping)


@router.get("/sales")
async def list_sales(
    request: Request,
    status: str | None = None,
    campaign: str | None = None,
    buyer: str | None = None,
    since: str | None = None,
    until: str | None = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> Response:
    """Sales in the order they were started, every status unless ``status`` is given;
    ``since``/``until``: ISO dates or datetimes (UTC), ``since`` inclusive, ``until``
    exclusive (a bare date: through that day). ``next_cursor`` fetches the next page. A buyer
    user sees its own sales; a supplier user those of its leads (pages may come shorter)."""
    runtime = runtime_of(request)
    principal = await _allowed(request, Need.READ)
    if isinstance(principal, Response):
        return principal
    query = read_sales_query(
        status=status,
        campaign=campaign,
        buyer=buyer,
        since=since,
        until=until,
        cursor=cursor,
        limit=limit,
    )
    if isinstance(query, Refusal):
        return refused(query)
    if principal.buyer_scope is not None:
        query = dataclasses.replace(query, buyer_id=principal.buyer_scope)
    page = await runtime.views.sales(query)
    sales = list(page.sales)
    if principal.supplier_scope is not None:
        sales = [s for s in sales if s.get("supplier_id") == principal.supplier_scope]
    next_cursor = None if page.next is None else encode_cursor(page.next)
    return json_response({"sales": sales, "next_cursor": next_cursor})


async def _audit(
    request: Request,
    principal: Principal,
    action: str,
    target: str,
    before: dict[str, object],
    after: dict[str, object],
) -> None:
    runtime = runtime_of(request)
    entry = AuditEntry(
        principal.name, action, target, runtime.people.now(), before, after,
        client_address(request),
    )  # fmt: skip
    await runtime.audit.record(entry)


async def _operator(request: Request) -> Principal | Response:
    """The principal of a change: by bearer token only, with a role that operates."""
    if bearer_of(request) is None:
        return unauthorised()
    return await _allowed(request, Need.OPERATE)


async def switch(
    request: Request,
    principal: Principal,
    campaign_id: str,
    kind: PausableKind,
    item_id: str,
    paused: bool,
) -> PausableKind | None:
    """Pause or resume a campaign, or one of its buyers or suppliers, and audit it (the API
    and the console alike); what does not exist, if anything (then nothing changed)."""
    missing = await runtime_of(request).control.set_paused(campaign_id, kind, item_id, paused)
    if missing is not None:
        return missing
    target = f"campaign {campaign_id}" + ("" if kind == "campaign" else f"/{kind} {item_id}")
    await _audit(
        request,
        principal,
        "pause" if paused else "resume",
        target,
        # The switch is idempotent: "before" is what was asked to change, not a read.
        {"paused": not paused},
        {"paused": paused},
    )
    return None


async def _switch(
    request: Request, campaign_id: str, kind: PausableKind, item_id: str, paused: bool
) -> Response:
    principal = await _operator(request)
    if isinstance(principal, Response):
        return principal
    missing = await switch(request, principal, campaign_id, kind, item_id, paused)
    if missing == "campaign":
        return _not_found(f"campaign {campaign_id}")
    if missing is not None:
        return _not_found(f"{missing} {item_id} in campaign {campaign_id}")
    return json_response({"campaign_id": campaign_id, kind: item_id, "paused": paused})


@router.post("/campaigns/{campaign_id}/archive", responses=openapi.CHANGE)
async def archive_campaign(campaign_id: str, request: Request) -> Response:
    """Archive a campaign: every node refuses its traffic (1021) from its next catalog refresh;
    its leads, sales and pings stay."""
    return await _archive(request, campaign_id, archived=True)


@router.post("/campaigns/{campaign_id}/restore", responses=openapi.CHANGE)
async def restore_campaign(campaign_id: str, request: Request) -> Response:
    """Serve an archived campaign again."""
    return await _archive(request, campaign_id, archived=False)


async def _archive(request: Request, campaign_id: str, archived: bool) -> Response:
    runtime = runtime_of(request)
    principal = await _operator(request)
    if isinstance(principal, Response):
        return principal
    if not await runtime.control.set_archived(campaign_id, archived):
        return _not_found(f"campaign {campaign_id}")
    await _audit(
        request,
        principal,
        "archive" if archived else "restore",
        f"campaign {campaign_id}",
        {"archived": not archived},
        {"archived": archived},
    )
    return json_response({"campaign_id": campaign_id, "archived": archived})


@router.post("/campaigns/{campaign_id}/{action}", responses=openapi.CHANGE)
async def switch_campaign(campaign_id: str, action: Action, request: Request) -> Response:
    """Pause or resume a campaign; every node serves the change within a catalog refresh."""
    return await _switch(request, campaign_id, "campaign", campaign_id, action == "pause")


@router.post("/campaigns/{campaign_id}/buyers/{buyer_id}/{action}", responses=openapi.CHANGE)
async def switch_buyer(
    campaign_id: str, buyer_id: str, action: Action, request: Request
) -> Response:
    """Pause or resume one buyer of a campaign."""
    return await _switch(request, campaign_id, "buyer", buyer_id, action == "pause")


@router.post("/campaigns/{campaign_id}/suppliers/{supplier_id}/{action}", responses=openapi.CHANGE)
async def switch_supplier(
    campaign_id: str, supplier_id: str, action: Action, request: Request
) -> Response:
    """Pause or resume one supplier of a campaign."""
    return await _switch(request, campaign_id, "supplier", supplier_id, action == "pause")
