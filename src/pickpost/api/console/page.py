"""What every console page uses: templates, the signed-in principal, CSRF-checked forms.

A page handler asks ``signed_in(request, need)`` (or ``posted_form`` for a POST) and gets the
principal, or the response to return instead: a redirect to sign-in for a GET without a
session, 403 for a role that may not, 403 for a form without its session's CSRF token. It
answers with ``console_page(request, template, **context)``, which gives every template the
principal, its time zone, the nav it may see and the CSRF token its forms must carry.
"""

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.resources import files
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from pickpost.api.auth import Need, allows, is_https, principal_of, signed_in_session
from pickpost.api.sessions import SESSION_COOKIE, Session, csrf_matches, seal_session
from pickpost.api.state import runtime_of
from pickpost.domain.people import Principal

PREFIX = "/console"
SIGN_IN = f"{PREFIX}/sign-in"
STATIC = f"{PREFIX}/static"

# The browser may load nothing but from this server, run no inline script, and post forms
# only here; no other site may frame the console.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


@dataclass(frozen=True, slots=True)
class Section:
    label: str
    path: str
    need: Need


# The console's sections, in nav order; each shows only to the roles it allows.
NAV = (
    Section("Dashboard", PREFIX, Need.READ),
    Section("Reports", f"{PREFIX}/reports", Need.READ),
    Section("Leads", f"{PREFIX}/leads", Need.READ),
    Section("Campaigns", f"{PREFIX}/campaigns", Need.READ_ALL),
    Section("Buyers", f"{PREFIX}/buyers", Need.READ_ALL),
    Section("Suppliers", f"{PREFIX}/suppliers", Need.READ_ALL),
    Section("Returns", f"{PREFIX}/returns", Need.READ),
    Section("Audit", f"{PREFIX}/audit", Need.READ_ALL),
    Section("People", f"{PREFIX}/people", Need.MANAGE_PEOPLE),
)


def _asset_version(name: str) -> str:
    data = files("pickpost.api.console").joinpath("static", name).read_bytes()
    return hashlib.sha256(data).hexdigest()[:12]


def static_url(name: str) -> str:
    """An asset's URL with its content's hash: cached for a year, changed when it changes."""
    return f"{STATIC}/{name}?v={_VERSIONS.setdefault(name, _asset_version(name))}"


_VERSIONS: dict[str, str] = {}

templates = Environment(
    loader=PackageLoader("pickpost.api.console", "templates"),
    autoescape=select_autoescape(default=True),
    trim_blocks=True,
    lstrip_blocks=True,
)
templates.globals["static_url"] = static_url


def local_time(time_zone: str) -> Callable[[float | None], str]:
    """A formatter of epoch seconds in ``time_zone``, for templates."""
    zone = ZoneInfo(time_zone)

    def shown(epoch: float | None) -> str:
        if epoch is None:
            return "—"
        return datetime.fromtimestamp(epoch, UTC).astimezone(zone).strftime("%Y-%m-%d %H:%M")

    return shown


def set_session_cookie(request: Request, response: Response, session: Session) -> None:
    policy = runtime_of(request).sessions
    left = policy.absolute_s - (session.seen_at - session.issued_at)
    response.set_cookie(
        SESSION_COOKIE,
        seal_session(policy.key, session),
        max_age=max(int(left), 0),
        path=PREFIX,
        secure=is_https(request),
        httponly=True,
        samesite="lax",
    )


def console_page(
    request: Request, template: str, status_code: int = 200, **context: Any
) -> HTMLResponse:
    """A page in the console's layout; ``principal`` (when signed in) is taken from the
    request. Templates get ``principal``, ``nav``, ``csrf``, ``time_zone`` and ``when``."""
    principal: Principal | None = getattr(request.state, "principal", None)
    session = signed_in_session(request)
    time_zone = principal.time_zone if principal else "UTC"
    body = templates.get_template(template).render(
        principal=principal,
        nav=[s for s in NAV if principal is not None and allows(principal, s.need)],
        path=request.url.path,
        csrf=context.pop("csrf", None) or (session.csrf if session else ""),
        time_zone=time_zone,
        when=local_time(time_zone),
        **context,
    )
    response = HTMLResponse(body, status_code=status_code, headers=SECURITY_HEADERS)
    now = runtime_of(request).people.now()
    if session is not None and session.stale(now):
        set_session_cookie(request, response, session.seen(now))  # the idle clock restarts
    return response


def refused(request: Request, message: str, status_code: int = 403) -> HTMLResponse:
    return console_page(request, "refused.html", status_code, message=message)


def local_path(target: str | None, default: str = PREFIX) -> str:
    """``target`` if it is a path on this server, else ``default``: never another host."""
    if (
        not target
        or not target.startswith("/")
        or target.startswith("//")
        or "\\" in target
        or any(ord(c) < 0x20 for c in target)
    ):
        return default
    return target


def see_other(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=303, headers={"Cache-Control": "no-store"})


def to_sign_in(request: Request) -> RedirectResponse:
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return see_other(f"{SIGN_IN}?next={quote(here, safe='')}")


async def signed_in(request: Request, need: Need = Need.READ) -> Principal | Response:
    """The principal of a page, or where to send the browser instead."""
    principal = await principal_of(request)
    if principal is None:
        return to_sign_in(request)
    if not allows(principal, need):
        return refused(request, f"Your role ({principal.role}) may not {need.value}.")
    return principal


async def posted_form(
    request: Request, need: Need = Need.READ
) -> tuple[Principal, FormData] | Response:
    """The principal and fields of a console form, checked against the session's CSRF token
    first: a form without the token of a live session is refused (403), whoever sends it."""
    form = await request.form()
    principal = await principal_of(request)
    session = signed_in_session(request)
    token = form.get("csrf")
    if (
        principal is None
        or session is None
        or not csrf_matches(session.csrf, token if isinstance(token, str) else None)
    ):
        return refused(request, "This form has expired or did not come from this console. "
                       "Open the page again and resubmit.")  # fmt: skip
    if not allows(principal, need):
        return refused(request, f"Your role ({principal.role}) may not {need.value}.")
    return principal, form


def field(form: FormData, name: str) -> str:
    """A text field of a form, trimmed ('' when absent)."""
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def secret_field(form: FormData, name: str) -> str:
    """A password field as typed: never trimmed."""
    value = form.get(name)
    return value if isinstance(value, str) else ""
