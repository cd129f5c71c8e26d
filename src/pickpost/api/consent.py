"""The consent evidence of a lead for operators (docs/consent.md): its consent record, its
consent ledger entries and the proof that they are the ones sealed, as JSON or as a printable
certificate."""

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response
from starlette.responses import HTMLResponse

from pickpost.api import openapi
from pickpost.api.answers import refused
from pickpost.api.auth import principal_of
from pickpost.api.consent_certificate import render
from pickpost.api.responses import json_response
from pickpost.api.state import runtime_of
from pickpost.domain.errors import Code, Refusal

router = APIRouter(prefix="/api/v1")
# The certificate is a page of its own: nothing it could load, nothing it could run.
_PAGE_HEADERS = {"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'"}


@router.get("/leads/{lead_id}/consent", responses=openapi.NOT_FOUND)
async def get_consent(
    lead_id: str,
    request: Request,
    output: Annotated[Literal["json", "html"] | None, Query(alias="format")] = None,
) -> Response:
    """The evidence bundle: what the consumer was shown and picked, the evidence, the lead's
    ledger entries with their hashes, and for each day they were appended on the day's root
    and each entry's inclusion path; ``verified`` says whether the ledger checks out.
    ``format=html`` (or a request that accepts HTML and not JSON): the printable certificate."""
    runtime = runtime_of(request)
    if await principal_of(request) is None:
        return refused(
            Refusal(
                Code.UNAUTHORIZED,
                "a valid admin bearer token is required",
                headers={"WWW-Authenticate": "Bearer"},
            )
        )
    found = await runtime.consent.bundle(lead_id)
    if found is None:
        return refused(Refusal(Code.NOT_FOUND, f"no consent record of lead {lead_id}"))
    found["revocations"] = await runtime.revocations.states(lead_id)
    accept = request.headers.get("accept", "")
    if output == "html" or (output is None and "text/html" in accept and "json" not in accept):
        return HTMLResponse(render(found), headers=_PAGE_HEADERS)
    return json_response(found)
