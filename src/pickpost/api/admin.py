"""The admin API (bearer token): leads and pings with everything recorded about them, the
sales an operator must settle, and pause/resume switches.

Every error answers in the supplier envelope (docs/supplier-api.md, "Admin API") with
``request_id: null``: admin calls are not recorded as supplier requests.
"""

from collections.abc import Awaitable, Callable
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response

from pickpost.api import openapi
from pickpost.api.auth import principal_of
from pickpost.api.responses import json_response
from pickpost.api.sales_query import encode_cursor, read_sales_query
from pickpost.api.state import runtime_of
from pickpost.domain.errors import Code, Refusal
from pickpost.services.ports import PausableKind
from pickpost.services.replies import Reply, envelope

router = APIRouter(prefix="/api/v1")
Action = Literal["pause", "resume"]


def _refused(refusal: Refusal) -> Response:
    reply = Reply.refused(refusal)
    return json_response(envelope(reply, None), refusal.code.http_status, reply.headers)


def _unauthorised() -> Response:
    return _refused(
        Refusal(
            Code.UNAUTHORIZED,
            "a valid admin bearer token is required",
            headers={"WWW-Authenticate": "Bearer"},
        )
    )


def _not_found(what: str) -> Response:
    return _refused(Refusal(Code.NOT_FOUND, f"no {what}"))


async def _view(
    request: Request, kind: str, key: str, read: Callable[[str], Awaitable[object | None]]
) -> Response:
    runtime = runtime_of(request)
    if await principal_of(request) is None:
        return _unauthorised()
    # Logs of this process are written behind the responses; make them visible first.
    await runtime.recorder.flush()
    found = await read(key)
    if found is None:
        return _not_found(f"{kind} {key}")
    return json_response(found)


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
    exclusive (a bare date: through that day). ``next_cursor`` fetches the next page."""
    runtime = runtime_of(request)
    if await principal_of(request) is None:
        return _unauthorised()
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
        return _refused(query)
    page = await runtime.views.sales(query)
    next_cursor = None if page.next is None else encode_cursor(page.next)
    return json_response({"sales": list(page.sales), "next_cursor": next_cursor})


async def _switch(
    request: Request, campaign_id: str, kind: PausableKind, item_id: str, paused: bool
) -> Response:
    runtime = runtime_of(request)
    if await principal_of(request) is None:
        return _unauthorised()
    missing = await runtime.control.set_paused(campaign_id, kind, item_id, paused)
    if missing == "campaign":
        return _not_found(f"campaign {campaign_id}")
    if missing is not None:
        return _not_found(f"{missing} {item_id} in campaign {campaign_id}")
    return json_response({"campaign_id": campaign_id, kind: item_id, "paused": paused})


@router.post("/campaigns/{campaign_id}/archive", responses=openapi.NOT_FOUND)
async def archive_campaign(campaign_id: str, request: Request) -> Response:
    """Archive a campaign: every node refuses its traffic (1021) from its next catalog refresh;
    its leads, sales and pings stay."""
    return await _archive(request, campaign_id, archived=True)


@router.post("/campaigns/{campaign_id}/restore", responses=openapi.NOT_FOUND)
async def restore_campaign(campaign_id: str, request: Request) -> Response:
    """Serve an archived campaign again."""
    return await _archive(request, campaign_id, archived=False)


async def _archive(request: Request, campaign_id: str, archived: bool) -> Response:
    runtime = runtime_of(request)
    if await principal_of(request) is None:
        return _unauthorised()
    if not await runtime.control.set_archived(campaign_id, archived):
        return _not_found(f"campaign {campaign_id}")
    return json_response({"campaign_id": campaign_id, "archived": archived})


@router.post("/campaigns/{campaign_id}/{action}", responses=openapi.NOT_FOUND)
async def switch_campaign(campaign_id: str, action: Action, request: Request) -> Response:
    """Pause or resume a campaign; every node serves the change within a catalog refresh."""
    return await _switch(request, campaign_id, "campaign", campaign_id, action == "pause")


@router.post("/campaigns/{campaign_id}/buyers/{buyer_id}/{action}", responses=openapi.NOT_FOUND)
async def switch_buyer(
    campaign_id: str, buyer_id: str, action: Action, request: Request
) -> Response:
    """Pause or resume one buyer of a campaign."""
    return await _switch(request, campaign_id, "buyer", buyer_id, action == "pause")


@router.post(
    "/campaigns/{campaign_id}/suppliers/{supplier_id}/{action}", responses=openapi.NOT_FOUND
)
async def switch_supplier(
    campaign_id: str, supplier_id: str, action: Action, request: Request
) -> Response:
    """Pause or resume one supplier of a campaign."""
    return await _switch(request, campaign_id, "supplier", supplier_id, action == "pause")
