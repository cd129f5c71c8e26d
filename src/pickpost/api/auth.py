"""Who a request acts for, and what it may do.

``principal_of`` reads, in order: a bearer token (the bootstrap ``PICKPOST_ADMIN_TOKEN``, an
owner; or a user's API token ``pp_<id>_<secret>``), then the console's signed session cookie.
Disabled users, revoked tokens and sessions of an older epoch (signed out everywhere) name no
one. The answer is kept on the request, so asking twice reads the database once.
"""

import hmac
from enum import Enum

from starlette.requests import Request

from pickpost.api.sessions import SESSION_COOKIE, Session, open_session
from pickpost.api.state import runtime_of
from pickpost.domain.people import BOOTSTRAP_OWNER, Principal


class Need(Enum):
    """What a route needs of its principal."""

    READ = "read"  # anyone signed in (scoped roles then see only their own)
    READ_ALL = "read everything"  # not a scoped role
    OPERATE = "operate"  # pause, resume, archive, decide returns: owner and admin
    MANAGE_PEOPLE = "manage people"  # owner


def allows(principal: Principal, need: Need) -> bool:
    if need is Need.OPERATE:
        return principal.operates
    if need is Need.MANAGE_PEOPLE:
        return principal.manages_people
    if need is Need.READ_ALL:
        return principal.sees_everything
    return True


def bearer_of(request: Request) -> str | None:
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    return given.strip() if scheme.lower() == "bearer" and given.strip() else None


def client_address(request: Request) -> str | None:
    """The client's address. Behind a trusted proxy (``PICKPOST_TRUSTED_PROXY``), the server
    has already taken it from the proxy's X-Forwarded-For."""
    return request.client.host if request.client else None


def is_https(request: Request) -> bool:
    """Whether the request came over HTTPS (behind a trusted proxy: X-Forwarded-Proto)."""
    return request.url.scheme == "https"


def session_of(request: Request) -> Session | None:
    """The genuine, unexpired session cookie of the request (its user not yet checked)."""
    value = request.cookies.get(SESSION_COOKIE)
    if not value:
        return None
    runtime = runtime_of(request)
    return open_session(runtime.sessions, value, runtime.people.now())


async def _principal(request: Request) -> Principal | None:
    runtime = runtime_of(request)
    given = bearer_of(request)
    if given is not None:
        token = runtime.admin_token
        if token is not None and hmac.compare_digest(given.encode(), token.encode()):
            return BOOTSTRAP_OWNER
        user = await runtime.people.token_user(given)
        return None if user is None else user.principal()
    session = session_of(request)
    if session is None:
        return None
    user = await runtime.people.session_user(session.user_id, session.epoch)
    if user is None:
        return None
    request.state.session = session
    return user.principal()


async def principal_of(request: Request) -> Principal | None:
    """The principal the request's credentials name, or None without valid ones."""
    if not hasattr(request.state, "principal"):
        request.state.principal = await _principal(request)
    found: Principal | None = request.state.principal
    return found


def signed_in_session(request: Request) -> Session | None:
    """The session ``principal_of`` accepted for this request, if it came by cookie."""
    found: Session | None = getattr(request.state, "session", None)
    return found
