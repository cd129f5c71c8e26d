"""Who a request acts for: ``principal_of`` reads its credentials.

Today: the bootstrap owner token (``PICKPOST_ADMIN_TOKEN``) as a bearer token.
"""

import hmac

from starlette.requests import Request

from pickpost.api.state import runtime_of
from pickpost.domain.people import BOOTSTRAP_OWNER, Principal


def _bearer(request: Request) -> str | None:
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    return given.strip() if scheme.lower() == "bearer" and given.strip() else None


async def principal_of(request: Request) -> Principal | None:
    """The principal the request's credentials name, or None without valid ones."""
    given = _bearer(request)
    token = runtime_of(request).admin_token
    if (
        given is not None
        and token is not None
        and hmac.compare_digest(given.encode(), token.encode())
    ):
        return BOOTSTRAP_OWNER
    return None
