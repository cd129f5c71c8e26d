"""Sign-in, sign-out and sign-out-everywhere.

The sign-in form is protected from cross-site posts by a pre-session: a signed cookie with a
random CSRF secret, set with the form, that the posted form must match.
"""

import secrets

from fastapi import APIRouter, Request, Response

from pickpost.api.auth import client_address, is_https, principal_of
from pickpost.api.console.page import (
    PREFIX,
    SIGN_IN,
    console_page,
    field,
    local_path,
    posted_form,
    refused,
    secret_field,
    see_other,
    set_session_cookie,
)
from pickpost.api.sessions import (
    PRESESSION_COOKIE,
    PRESESSION_S,
    SESSION_COOKIE,
    csrf_matches,
    new_session,
    open_presession,
    seal_presession,
)
from pickpost.api.state import runtime_of
from pickpost.services.people import SIGN_IN_LIMITS, SignedIn

router = APIRouter(prefix=PREFIX, include_in_schema=False)

WRONG = "That name and password do not match an active account."
THROTTLED = (
    f"Too many failed sign-ins. Wait {SIGN_IN_LIMITS.per_name.window_s // 60} minutes and "
    "try again, or ask an owner to check your account."
)


def _form(
    request: Request, next_path: str, error: str = "", status_code: int = 200, name: str = ""
) -> Response:
    runtime = runtime_of(request)
    now = runtime.people.now()
    given = request.cookies.get(PRESESSION_COOKIE)
    csrf = None if given is None else open_presession(runtime.sessions.key, given, now)
    fresh = csrf is None
    csrf = csrf or secrets.token_urlsafe(24)
    page = console_page(
        request, "sign_in.html", status_code, csrf=csrf, next=next_path, error=error,
        name=name,
    )  # fmt: skip
    if fresh:
        page.set_cookie(
            PRESESSION_COOKIE,
            seal_presession(runtime.sessions.key, csrf, now),
            max_age=PRESESSION_S,
            path=SIGN_IN,
            secure=is_https(request),
            httponly=True,
            samesite="lax",
        )
    return page


@router.get("/sign-in")
async def sign_in_form(request: Request, next: str | None = None) -> Response:
    target = local_path(next)
    if await principal_of(request) is not None and request.cookies.get(SESSION_COOKIE):
        return see_other(target)
    return _form(request, target)


@router.post("/sign-in")
async def sign_in(request: Request) -> Response:
    runtime = runtime_of(request)
    form = await request.form()
    token = form.get("csrf")
    given = request.cookies.get(PRESESSION_COOKIE)
    expected = (
        None
        if given is None
        else open_presession(runtime.sessions.key, given, runtime.people.now())
    )
    if not csrf_matches(expected, token if isinstance(token, str) else None):
        return refused(request, "This sign-in form has expired. Open the sign-in page again.")
    target = local_path(field(form, "next"))
    name, password = field(form, "name"), secret_field(form, "password")
    if not name or not password:
        return _form(request, target, WRONG, 401, name)
    outcome = await runtime.people.sign_in(name, password, client_address(request))
    if not isinstance(outcome, SignedIn):
        if outcome.throttled:
            return _form(request, target, THROTTLED, 429, name)
        return _form(request, target, WRONG, 401, name)
    user = outcome.user
    response = see_other(target)
    set_session_cookie(
        request, response, new_session(user.id, user.session_epoch, runtime.people.now())
    )
    response.delete_cookie(PRESESSION_COOKIE, path=SIGN_IN)
    return response


def _signed_out() -> Response:
    response = see_other(SIGN_IN)
    response.delete_cookie(SESSION_COOKIE, path=PREFIX)
    return response


@router.post("/sign-out")
async def sign_out(request: Request) -> Response:
    checked = await posted_form(request)
    if isinstance(checked, Response):
        return checked
    principal, _ = checked
    await runtime_of(request).people.signed_out(principal.name, client_address(request))
    return _signed_out()


@router.post("/sign-out-everywhere")
async def sign_out_everywhere(request: Request) -> Response:
    checked = await posted_form(request)
    if isinstance(checked, Response):
        return checked
    principal, _ = checked
    people = runtime_of(request).people
    await people.sign_out_everywhere(principal.name, principal.name, client_address(request))
    return _signed_out()
