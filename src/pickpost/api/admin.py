"""The admin API (bearer token): read leads with their consent and buyer-call timeline."""

import hmac

from fastapi import APIRouter, Request, Response

from pickpost.api.responses import json_response
from pickpost.api.state import runtime_of

router = APIRouter(prefix="/api/v1")


def _authorised(request: Request, token: str | None) -> bool:
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    if token is None or scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(given.strip().encode(), token.encode())


@router.get("/leads/{lead_id}")
async def get_lead(lead_id: str, request: Request) -> Response:
    """A lead, its consent record and the timeline of every buyer call."""
    runtime = runtime_of(request)
    if not _authorised(request, runtime.admin_token):
        return json_response(
            {"error": "a valid admin bearer token is required"},
            status_code=401,
            headers={"WWW-Authenticate": "Bearer"},
        )
    # Logs of this process are written behind the response; make them visible first.
    await runtime.recorder.flush()
    view = await runtime.leads.lead_view(lead_id)
    if view is None:
        return json_response({"error": f"no lead {lead_id}"}, status_code=404)
    return json_response(view)
