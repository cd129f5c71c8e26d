"""Error answers of the operators' APIs, in the supplier envelope with ``request_id: null``."""

from starlette.responses import Response

from pickpost.api.responses import json_response
from pickpost.domain.errors import Code, Refusal
from pickpost.services.replies import Reply, envelope


def refused(refusal: Refusal) -> Response:
    reply = Reply.refused(refusal)
    return json_response(envelope(reply, None), refusal.code.http_status, reply.headers)


def unauthorised() -> Response:
    return refused(
        Refusal(
            Code.UNAUTHORIZED,
            "a valid admin bearer token is required",
            headers={"WWW-Authenticate": "Bearer"},
        )
    )
