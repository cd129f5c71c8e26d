"""The consent evidence of a lead for operators (docs/consent.md): its consent record, its
consent ledger entries and the proof that they are the ones sealed."""

from fastapi import APIRouter, Request, Response

from pickpost.api import openapi
from pickpost.api.auth import principal_of
from pickpost.api.responses import json_response
from pickpost.api.state import runtime_of
from pickpost.domain.errors import Code, Refusal
from pickpost.services.replies import Reply, envelope

router = APIRouter(prefix="/api/v1")


def _refused(refusal: Refusal) -> Response:
    """In the admin API's envelope, ``request_id: null`` (api/admin.py)."""
    reply = Reply.refused(refusal)
    return json_response(envelope(reply, None), refusal.code.http_status, reply.headers)


@router.get("/leads/{lead_id}/consent", responses=openapi.NOT_FOUND)
async def get_consent(lead_id: str, request: Request) -> Response:
    """The evidence bundle: what the consumer was shown and picked, the evidence, the lead's
    ledger entries with their hashes, and for each day they were appended on the day's root
    and each entry's inclusion path; ``verified`` says whether the ledger checks out."""
    runtime = runtime_of(request)
    if await principal_of(request) is None:
        return _refused(
            Refusal(
                Code.UNAUTHORIZED,
                "a valid admin bearer token is required",
                headers={"WWW-Authenticate": "Bearer"},
            )
        )
    found = await runtime.consent.bundle(lead_id)
    if found is None:
        return _refused(Refusal(Code.NOT_FOUND, f"no consent record of lead {lead_id}"))
    return json_response(found)
