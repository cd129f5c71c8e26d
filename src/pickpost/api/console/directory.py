"""``/console/campaigns``, ``/console/buyers``, ``/console/suppliers`` and their pages: status
and today's numbers, the configuration as the workspace file states it (secrets masked), live
health from recent buyer calls, caps used against their limits, and pause/resume for operators
(the admin API's switch, audited alike). The workspace file stays the source of truth: every
other change is made there and loaded with ``pickpost load``."""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal
from urllib.parse import quote
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request, Response

from pickpost.api.admin import switch
from pickpost.api.auth import Need
from pickpost.api.console.config_view import as_yaml
from pickpost.api.console.insight import names_of, today_in
from pickpost.api.console.page import (
    PREFIX,
    console_page,
    posted_form,
    refused,
    see_other,
    signed_in,
)
from pickpost.api.state import runtime_of
from pickpost.domain.buckets import day_start
from pickpost.domain.catalog import Campaign, Catalog
from pickpost.domain.people import Principal
from pickpost.domain.reports import Grouping, ReportQuery
from pickpost.services.runtime import Runtime

router = APIRouter(prefix=PREFIX, include_in_schema=False)
Status = Literal["live", "paused", "archived"]
Metrics = dict[str, object]
Side = Literal["buyer", "supplier"]


def campaign_status(campaign: Campaign) -> Status:
    if campaign.archived:
        return "archived"
    return "paused" if campaign.config.paused else "live"


def member_status(campaign: Campaign, paused: bool) -> Status:
    """A buyer's or supplier's status in a campaign: the campaign's, unless that is live."""
    status = campaign_status(campaign)
    return "paused" if status == "live" and paused else status


@dataclass(frozen=True, slots=True)
class Membership:
    """A buyer or supplier in one campaign."""

    campaign: Campaign
    status: Status
    config_yaml: str


def memberships(catalog: Catalog, side: Side, item_id: str) -> list[Membership]:
    found = []
    for campaign in sorted(catalog.campaigns.values(), key=lambda c: c.id):
        items = campaign.buyers if side == "buyer" else campaign.suppliers
        item = items.get(item_id)
        if item is not None:
            found.append(Membership(campaign, member_status(campaign, item.paused), as_yaml(item)))
    return found


def sides(catalog: Catalog, side: Side) -> dict[str, list[Campaign]]:
    """Every buyer's (or supplier's) id and the campaigns it belongs to."""
    found: dict[str, list[Campaign]] = {}
    for campaign in sorted(catalog.campaigns.values(), key=lambda c: c.id):
        for item_id in campaign.buyers if side == "buyer" else campaign.suppliers:
            found.setdefault(item_id, []).append(campaign)
    return dict(sorted(found.items()))


async def today(
    runtime: Runtime,
    principal: Principal,
    groups: Iterable[Grouping],
    campaign: str | None = None,
    buyer: str | None = None,
    supplier: str | None = None,
) -> dict[str, Metrics]:
    """Today's metrics (reader's time zone, test leads left out) keyed by the groups' values
    joined with '/'; '' for the totals."""
    day = today_in(principal)
    query = ReportQuery(
        day, day, ZoneInfo(principal.time_zone), tuple(groups),
        campaigns=frozenset({campaign}) if campaign else frozenset(),
        buyers=frozenset({buyer}) if buyer else frozenset(),
        suppliers=frozenset({supplier}) if supplier else frozenset(),
    )  # fmt: skip
    report = await runtime.reports.report(query)
    found = {"/".join(row.key.values()): row.tally.metrics() for row in report.rows}
    found[""] = report.totals.metrics()
    return found


async def health(runtime: Runtime, principal: Principal) -> dict[str, object]:
    """Every buyer's health over the last hour and today, from its recent calls."""
    await runtime.recorder.flush()  # calls are written behind the responses
    hour, hour_capped = await runtime.health.buyers(runtime.health.last_hour())
    start = day_start(today_in(principal), ZoneInfo(principal.time_zone)).timestamp()
    day, day_capped = await runtime.health.buyers(start)
    return {"hour": hour, "day": day, "capped": hour_capped or day_capped}


def _missing(request: Request, what: str) -> Response:
    return refused(request, f"There is no {what}.", 404)


@router.get("/campaigns")
async def campaigns(request: Request) -> Response:
    principal = await signed_in(request, Need.READ_ALL)
    if isinstance(principal, Response):
        return principal
    runtime = runtime_of(request)
    listed = sorted(runtime.catalog.campaigns.values(), key=lambda c: c.id)
    numbers = await today(runtime, principal, [Grouping.CAMPAIGN])
    rows = [(c, campaign_status(c), numbers.get(c.id, {})) for c in listed]
    return console_page(request, "campaigns.html", rows=rows, totals=numbers[""])


@router.get("/campaigns/{campaign_id}")
async def campaign_page(request: Request, campaign_id: str) -> Response:
    principal = await signed_in(request, Need.READ_ALL)
    if isinstance(principal, Response):
        return principal
    runtime = runtime_of(request)
    campaign = runtime.catalog.campaigns.get(campaign_id)
    if campaign is None:
        return _missing(request, f"campaign {campaign_id}")
    buyers = await today(runtime, principal, [Grouping.BUYER], campaign=campaign_id)
    suppliers = await today(runtime, principal, [Grouping.SUPPLIER], campaign=campaign_id)
    caps = {
        ("buyer", b): await runtime.health.caps(campaign, "buyer", b) for b in campaign.buyers
    } | {
        ("supplier", s): await runtime.health.caps(campaign, "supplier", s)
        for s in campaign.suppliers
    }
    return console_page(
        request, "campaign.html", campaign=campaign, status=campaign_status(campaign),
        config_yaml=as_yaml(campaign.config), totals=buyers[""], buyers=buyers,
        suppliers=suppliers, caps=caps, health=await health(runtime, principal),
        member_status=member_status, done=request.query_params.get("done", ""),
        names=names_of(runtime.catalog),
    )  # fmt: skip


async def _side_list(request: Request, side: Side) -> Response:
    principal = await signed_in(request, Need.READ_ALL)
    if isinstance(principal, Response):
        return principal
    runtime = runtime_of(request)
    grouping = Grouping.BUYER if side == "buyer" else Grouping.SUPPLIER
    numbers = await today(runtime, principal, [grouping])
    items = sides(runtime.catalog, side)
    statuses = {
        item_id: [
            (c, member_status(c, (c.buyers if side == "buyer" else c.suppliers)[item_id].paused))
            for c in in_campaigns
        ]
        for item_id, in_campaigns in items.items()
    }
    return console_page(
        request, f"{side}s.html", side=side, statuses=statuses, numbers=numbers,
        names=names_of(runtime.catalog),
        health=await health(runtime, principal) if side == "buyer" else None,
    )  # fmt: skip


@router.get("/buyers")
async def buyers(request: Request) -> Response:
    return await _side_list(request, "buyer")


@router.get("/suppliers")
async def suppliers(request: Request) -> Response:
    return await _side_list(request, "supplier")


async def _side_page(request: Request, side: Side, item_id: str) -> Response:
    principal = await signed_in(request, Need.READ_ALL)
    if isinstance(principal, Response):
        return principal
    runtime = runtime_of(request)
    found = memberships(runtime.catalog, side, item_id)
    if not found:
        return _missing(request, f"{side} {item_id}")
    per_campaign = await today(
        runtime, principal, [Grouping.CAMPAIGN],
        buyer=item_id if side == "buyer" else None,
        supplier=item_id if side == "supplier" else None,
    )  # fmt: skip
    caps = {m.campaign.id: await runtime.health.caps(m.campaign, side, item_id) for m in found}
    return console_page(
        request, "member.html", side=side, item_id=item_id,
        name=names_of(runtime.catalog)[side].get(item_id, item_id), memberships=found,
        numbers=per_campaign, caps=caps,
        health=await health(runtime, principal) if side == "buyer" else None,
        done=request.query_params.get("done", ""),
    )  # fmt: skip


@router.get("/buyers/{buyer_id}")
async def buyer_page(request: Request, buyer_id: str) -> Response:
    return await _side_page(request, "buyer", buyer_id)


@router.get("/suppliers/{supplier_id}")
async def supplier_page(request: Request, supplier_id: str) -> Response:
    return await _side_page(request, "supplier", supplier_id)


_ACTIONS = {"pause": True, "resume": False}


async def _switch(
    request: Request, campaign_id: str, kind: Literal["campaign", "buyer", "supplier"],
    item_id: str, action: str,
) -> Response:  # fmt: skip
    checked = await posted_form(request, Need.OPERATE)
    if isinstance(checked, Response):
        return checked
    principal, form = checked
    if action not in _ACTIONS:
        return _missing(request, f"action {action}")
    missing = await switch(request, principal, campaign_id, kind, item_id, _ACTIONS[action])
    if missing is not None:
        return _missing(request, f"{missing} {item_id if missing != 'campaign' else campaign_id}")
    back = form.get("back")
    page = (
        f"{PREFIX}/{kind}s/{quote(item_id)}"
        if back == kind
        else f"{PREFIX}/campaigns/{quote(campaign_id)}"
    )
    return see_other(f"{page}?done={action}d")


@router.post("/campaigns/{campaign_id}/{action}")
async def switch_campaign(request: Request, campaign_id: str, action: str) -> Response:
    return await _switch(request, campaign_id, "campaign", campaign_id, action)


@router.post("/campaigns/{campaign_id}/buyers/{buyer_id}/{action}")
async def switch_buyer(request: Request, campaign_id: str, buyer_id: str, action: str) -> Response:
    return await _switch(request, campaign_id, "buyer", buyer_id, action)


@router.post("/campaigns/{campaign_id}/suppliers/{supplier_id}/{action}")
async def switch_supplier(
    request: Request, campaign_id: str, supplier_id: str, action: str
) -> Response:
    return await _switch(request, campaign_id, "supplier", supplier_id, action)
