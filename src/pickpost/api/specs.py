"""``GET /specs/{supplier_id}?key=…``: a supplier's integration spec, as HTML or JSON."""

from dataclasses import asdict
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response
from starlette.responses import HTMLResponse

from pickpost.api import openapi
from pickpost.api.responses import json_response
from pickpost.api.spec_content import supplier_spec
from pickpost.api.specs_page import render
from pickpost.api.state import runtime_of
from pickpost.domain.errors import Code
from pickpost.services.replies import Reply, envelope

router = APIRouter()

# The key travels in the URL: keep the page out of caches, Referer headers and search engines.
_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
}


def _refused(code: Code, message: str) -> Response:
    return json_response(envelope(Reply(code, message), None), code.http_status, _HEADERS)


def _wants_json(request: Request, output: str | None) -> bool:
    if output is not None:
        return output == "json"
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


@router.get("/specs/{supplier_id}", responses=openapi.SPEC_PAGE)
async def spec_page(
    request: Request,
    supplier_id: str,
    key: str | None = None,
    campaign: str | None = None,
    output: Annotated[Literal["html", "json"] | None, Query(alias="format")] = None,
) -> Response:
    """How a supplier integrates with each of its campaigns (``campaign``: only that one).

    Authenticated by the supplier's own ``key``. HTML unless ``format=json`` or the request
    accepts JSON and not HTML.
    """
    if not key:
        return _refused(Code.MISSING_PARAMETER, "missing required parameter: key")
    catalog = runtime_of(request).catalog
    if not catalog.key_matches(supplier_id, key):
        return _refused(Code.UNAUTHORIZED, "unknown supplier or wrong key")
    attached = [
        (c, c.suppliers[supplier_id])
        for c in catalog.campaigns.values()
        if supplier_id in c.suppliers and campaign in (None, c.id)
    ]
    if campaign is not None and any(c.archived for c, _ in attached):
        return _refused(Code.ARCHIVED, "campaign is archived")
    # An archived campaign takes no traffic: nothing to integrate with.
    attached = [(c, s) for c, s in attached if not c.archived]
    if not attached:
        return _refused(Code.FORBIDDEN, "supplier is not attached to this campaign")
    spec = supplier_spec(supplier_id, attached, str(request.base_url))
    if _wants_json(request, output):
        return json_response(asdict(spec), headers=_HEADERS)
    return HTMLResponse(render(spec), headers=_HEADERS)
