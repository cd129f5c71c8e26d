"""Links that need no login (docs/consent.md): the consumer's receipt and its withdrawal, and
each buyer's own view of a lead's consent certificate. A link is only as good as its signature:
any other (a forged, cut or mistyped one) answers the same 404 page as a lead that is not there.
"""

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response
from starlette.responses import HTMLResponse, RedirectResponse

from pickpost.api.consent_certificate import render
from pickpost.api.receipt_page import confirm_page, not_found_page, receipt_page, refused_page
from pickpost.api.responses import json_response
from pickpost.api.state import runtime_of
from pickpost.domain.receipt import Receipt, buyer_view, receipt_of
from pickpost.domain.revocation import LinkKind, receipt_path

router = APIRouter(include_in_schema=False)
# Nothing to load, nothing to run; never framed; the address (the receipt) never leaves.
_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
    "form-action 'self'; frame-ancestors 'none'",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "X-Robots-Tag": "noindex",
}
_CROSS_SITE = frozenset({"cross-site", "same-site"})


def _html(markup: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(markup, status, headers=_HEADERS)


def _not_found() -> HTMLResponse:
    return _html(not_found_page(), 404)


async def _receipt(request: Request, lead_id: str, mac: str) -> Receipt | None:
    runtime = runtime_of(request)
    if not runtime.links.valid(mac, LinkKind.RECEIPT, lead_id):
        return None
    bundle = await runtime.consent.bundle(lead_id)
    if bundle is None:
        return None
    return receipt_of(bundle, await runtime.revocations.states(lead_id))


@router.get("/receipt/{lead_id}/{mac}")
async def receipt(lead_id: str, mac: str, request: Request) -> Response:
    found = await _receipt(request, lead_id, mac)
    if found is None:
        return _not_found()
    withdrawn = request.query_params.get("withdrawn") == "1"
    return _html(receipt_page(found, f"{request.url.path}/withdraw", withdrawn))


@router.get("/receipt/{lead_id}/{mac}/withdraw")
async def confirm_withdrawal(lead_id: str, mac: str, request: Request) -> Response:
    found = await _receipt(request, lead_id, mac)
    if found is None:
        return _not_found()
    runtime = runtime_of(request)
    back = receipt_path(runtime.links, lead_id)
    if found.withdrawn_at is not None:
        return RedirectResponse(back, 303, headers=_HEADERS)
    token = runtime.links.sign(LinkKind.WITHDRAW, lead_id)
    return _html(confirm_page(found, back, request.url.path, token))


def _cross_site(request: Request) -> bool:
    """A form posted from another site: the browser says so (Sec-Fetch-Site), or, from a
    browser that does not, its Origin is another server's. (Under this page's no-referrer
    policy a browser sends ``Origin: null`` for its own forms: the form's token decides.)"""
    fetch_site = request.headers.get("sec-fetch-site")
    if fetch_site is not None:
        return fetch_site in _CROSS_SITE
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        return False
    return origin != f"{request.url.scheme}://{request.url.netloc}"


@router.post("/receipt/{lead_id}/{mac}/withdraw")
async def withdraw(lead_id: str, mac: str, request: Request) -> Response:
    """Record the withdrawal (once, however often it is posted) and show the receipt."""
    runtime = runtime_of(request)
    if not runtime.links.valid(mac, LinkKind.RECEIPT, lead_id):
        return _not_found()
    form = await request.form()
    token = form.get("token")
    if (
        _cross_site(request)
        or not isinstance(token, str)
        or not runtime.links.valid(token, LinkKind.WITHDRAW, lead_id)
        or form.get("confirm") != "yes"
    ):
        message = "This form did not come from your receipt. Open your receipt and try again."
        return _html(refused_page(message), 403)
    if not await runtime.revocations.withdraw(lead_id):
        return _not_found()
    return RedirectResponse(
        f"{receipt_path(runtime.links, lead_id)}?withdrawn=1", 303, headers=_HEADERS
    )


@router.get("/certificate/{lead_id}/{buyer_id}/{mac}")
async def buyer_certificate(
    lead_id: str,
    buyer_id: str,
    mac: str,
    request: Request,
    output: Annotated[Literal["json", "html"] | None, Query(alias="format")] = None,
) -> Response:
    """A buyer's view of the consent certificate: what concerns that buyer, no other buyer."""
    runtime = runtime_of(request)
    if not runtime.links.valid(mac, LinkKind.CERTIFICATE, lead_id, buyer_id):
        return _not_found()
    bundle = await runtime.consent.bundle(lead_id)
    if bundle is None:
        return _not_found()
    bundle["revocations"] = await runtime.revocations.states(lead_id)
    view = buyer_view(bundle, buyer_id)
    if view is None:
        return _not_found()
    if output == "json":
        return json_response(view, headers=_HEADERS)
    return _html(render(view))
