"""``/console/leads/{id}``: everything recorded about one lead – its fields, consent record,
the timeline of every step (the supplier's requests and our answers, each buyer call with
what went over the wire), its sales and returns – and "Open a return" on a sold sale.

A scoped user sees only what the admin API shows it (``shown_to``): a lead not its own is
404, as if it did not exist."""

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request, Response

from pickpost.api.admin import shown_to
from pickpost.api.auth import Need, client_address
from pickpost.api.console import formats  # noqa: F401  (the pages' template filters)
from pickpost.api.console.page import (
    PREFIX,
    console_page,
    field,
    posted_form,
    refused,
    see_other,
    signed_in,
)
from pickpost.api.state import runtime_of
from pickpost.domain.errors import Refusal
from pickpost.domain.people import Principal
from pickpost.domain.returns import ReturnsQuery

router = APIRouter(prefix=PREFIX, include_in_schema=False)
RETURNS_SHOWN = 100  # of one lead: one per sale at most, so every one


def _moment(iso: object) -> datetime:
    return datetime.fromisoformat(str(iso))


def timeline(lead: dict[str, Any]) -> list[dict[str, Any]]:
    """The supplier's requests and the buyer calls, in the order they happened."""
    steps = [{"kind": "supplier", "at": r["received_at"], **r} for r in lead["requests"]]
    steps += [{"kind": "buyer", "at": c["started_at"], **c} for c in lead["timeline"]]
    return sorted(steps, key=lambda step: _moment(step["at"]))


def sees_fields(principal: Principal, lead: dict[str, Any]) -> bool:
    """Personal values are for operators, the lead's supplier and a buyer that bought it."""
    if principal.buyer_scope is None:
        return True
    return any(
        s["buyer_id"] == principal.buyer_scope and s["status"] == "sold" for s in lead["sales"]
    )


async def _page(
    request: Request, principal: Principal, lead_id: str, error: str | None = None,
    status_code: int = 200,
) -> Response:  # fmt: skip
    runtime = runtime_of(request)
    # Logs of this process are written behind the responses; make them visible first.
    await runtime.recorder.flush()
    found = await runtime.views.lead(lead_id)
    lead: dict[str, Any] | None = None if found is None else shown_to(principal, found)
    if lead is None:
        return refused(request, "There is no such lead, or it is not one you may see.", 404)
    returns = await runtime.returns.listing(
        principal, ReturnsQuery(lead_id=lead_id, limit=RETURNS_SHOWN)
    )
    returned = {r.buyer_id for r in returns.returns}
    campaign = runtime.catalog.campaigns.get(str(lead["campaign_id"]))
    settings = None if campaign is None else campaign.config.returns
    sold = [s for s in lead["sales"] if s["status"] == "sold"]
    returnable = [
        s["buyer_id"]
        for s in sold
        if s["buyer_id"] not in returned and principal.may_open_return(s["buyer_id"])
    ]
    # A buyer's user sees its own revocations only, as it sees only its own sales.
    revocations = [
        r
        for r in await runtime.revocations.states(lead_id)
        if principal.buyer_scope in (None, r["buyer_id"])
    ]
    return console_page(
        request,
        "lead.html",
        status_code,
        lead=lead,
        revocations=revocations,
        steps=timeline(lead),
        shows_fields=sees_fields(principal, lead),
        returns=returns.returns,
        returnable=returnable if settings is not None and settings.window_days > 0 else [],
        reasons=() if settings is None else settings.reasons,
        window_days=None if settings is None else settings.window_days,
        totals={
            "price": sum(s["buyer_price_cents"] for s in sold),
            "payout": sum(s["payout_cents"] for s in sold),
        },
        opened=request.query_params.get("opened", ""),
        error=error,
    )


@router.get("/leads/{lead_id}")
async def lead_page(lead_id: str, request: Request) -> Response:
    principal = await signed_in(request, Need.READ)
    if isinstance(principal, Response):
        return principal
    return await _page(request, principal, lead_id)


@router.post("/leads/{lead_id}/returns")
async def open_return(lead_id: str, request: Request) -> Response:
    """Open a return of the lead's sale to ``buyer_id``: the returns service decides whether
    the reason and the window allow it, and its refusal is shown as it says it."""
    posted = await posted_form(request, Need.READ)
    if isinstance(posted, Response):
        return posted
    principal, form = posted
    result = await runtime_of(request).returns.open(
        principal,
        lead_id,
        field(form, "reason"),
        field(form, "note"),
        field(form, "buyer_id") or None,
        client_address(request),
    )
    if isinstance(result, Refusal):
        message = f"The return was not opened: {result.message}."
        return await _page(request, principal, lead_id, message, result.code.http_status)
    return see_other(f"{PREFIX}/leads/{lead_id}?opened={result.return_id}#returns")
