"""The pick widget (``/pick.js``), the JSON it reads and posts to, and the hosted pick page
(docs/consent.md, "The pick widget"). Nobody signs in: the pick token is the authority, and
the campaign's allowed origins say which pages may use it."""

from importlib.resources import files
from urllib.parse import urlencode, urlsplit, urlunsplit

import orjson
from fastapi import APIRouter, Request, Response
from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.responses import HTMLResponse, RedirectResponse

from pickpost.api.auth import client_address
from pickpost.api.responses import json_response
from pickpost.api.state import runtime_of
from pickpost.domain.errors import Code, Refusal
from pickpost.domain.ids import iso_utc, new_id
from pickpost.domain.pick import NAMES, RecordedPick, shown_entries
from pickpost.services.pick import PickView, Submitted
from pickpost.services.replies import Reply, envelope

router = APIRouter()

_ASSETS = files("pickpost.api").joinpath("pick_assets")
_SCRIPT = _ASSETS.joinpath("pick.js").read_bytes()
_STYLES = _ASSETS.joinpath("pick.css").read_bytes()
_ASSET_HEADERS = {"Cache-Control": "public, max-age=300", "X-Content-Type-Options": "nosniff"}
_pages = Environment(
    loader=PackageLoader("pickpost.api", "pick_assets"),
    autoescape=select_autoescape(default=True),
    trim_blocks=True,
    lstrip_blocks=True,
)
LONGEST_BODY = 64 * 1024
NONE_PICKED = "the companies you select"


@router.get("/pick.js", include_in_schema=False)
async def pick_script() -> Response:
    return Response(_SCRIPT, media_type="text/javascript; charset=utf-8", headers=_ASSET_HEADERS)


@router.get("/pick.css", include_in_schema=False)
async def pick_styles() -> Response:
    return Response(_STYLES, media_type="text/css; charset=utf-8", headers=_ASSET_HEADERS)


def _own_origin(request: Request) -> str:
    return f"{request.url.scheme}://{request.url.netloc}"


def _answer(request: Request, reply: Reply, allowed: bool) -> Response:
    """The envelope; a browser on an allowed page may read it. A refusal tells nothing but
    why, so any page may read that (the widget shows it)."""
    origin = request.headers.get("origin")
    headers = {"Vary": "Origin", "Cache-Control": "no-store"}
    if reply.code is not Code.OK:
        headers["Access-Control-Allow-Origin"] = "*"
    elif origin is not None and allowed:
        headers["Access-Control-Allow-Origin"] = origin
    return json_response(envelope(reply, new_id("r")), reply.code.http_status, headers)


@router.get("/pick/{token}/bids", include_in_schema=False)
async def pick_bids(request: Request, token: str) -> Response:
    """What the widget renders for a token."""
    picks = runtime_of(request).picks
    view = await picks.open(token, request.headers.get("origin"), _own_origin(request))
    if isinstance(view, Refusal):
        return _answer(request, Reply.refused(view), False)
    return _answer(request, Reply(Code.OK, "", view.as_json()), True)


def _submitted(raw: bytes, request: Request) -> Submitted | Refusal:
    """The widget's pick: ``{"picked": [bid ids in order], "disclosure": text shown,
    "page_url": …}``."""
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError:
        data = None
    picked = data.get("picked") if isinstance(data, dict) else None
    if not isinstance(picked, list) or not all(isinstance(i, str) for i in picked):
        return Refusal(Code.MALFORMED, "the body must be JSON with picked: a list of bid ids")
    assert isinstance(data, dict)
    text, page = data.get("disclosure"), data.get("page_url")
    if not isinstance(text, str) or not (page is None or isinstance(page, str)):
        return Refusal(Code.MALFORMED, "disclosure must be the text shown; page_url a URL")
    return Submitted(
        picked=picked,
        shown_disclosure=text,
        page_url=page or request.headers.get("referer"),
        ip_address=client_address(request),
        user_agent=request.headers.get("user-agent"),
    )


def _recorded(pick: RecordedPick) -> dict[str, object]:
    return {
        "lp_consent_bids": list(pick.picked),
        "disclosure": pick.disclosure,
        "rendered_sha256": pick.rendered_sha256,
        "recorded_at": iso_utc(pick.recorded_at),
    }


@router.post("/pick/{token}/submit", include_in_schema=False)
async def pick_submit(request: Request, token: str) -> Response:
    """Record the widget's pick (the body is JSON, sent as text/plain: no preflight)."""
    raw = await request.body()
    if len(raw) > LONGEST_BODY:
        return _answer(request, Reply(Code.TOO_LARGE, "the body is too large"), False)
    submitted = _submitted(raw, request)
    if isinstance(submitted, Refusal):
        return _answer(request, Reply.refused(submitted), False)
    origin, own = request.headers.get("origin"), _own_origin(request)
    pick = await runtime_of(request).picks.record(token, origin, own, submitted)
    if isinstance(pick, Refusal):
        return _answer(request, Reply.refused(pick), False)
    return _answer(request, Reply(Code.OK, "", _recorded(pick)), True)


# --- the hosted page ---------------------------------------------------------------------


def _page_headers(origins: tuple[str, ...]) -> dict[str, str]:
    """Nothing but this server's script and styles (logos are the buyers' images); forms
    post here and return only to the campaign's pages, which alone may frame it."""
    ancestors = " ".join(origins) or "'none'"
    actions = " ".join(("'self'", *origins))
    return {
        "Content-Security-Policy": (
            "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' https: "
            f"data:; form-action {actions}; frame-ancestors {ancestors}; base-uri 'none'"
        ),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "Cache-Control": "no-store",
    }


def _return_url(value: str | None, view: PickView) -> str | Refusal | None:
    """Where the page sends the consumer back: a page of an origin the campaign allows."""
    if not value:
        return None
    if len(value) > 2048 or any(ord(c) < 32 for c in value):
        return Refusal(Code.MALFORMED, "return_url must be a URL of at most 2048 characters")
    parts = urlsplit(value)
    origin = f"{parts.scheme}://{parts.netloc}".lower()
    if parts.scheme not in ("http", "https") or origin not in view.settings.origins:
        return Refusal(Code.MALFORMED, "return_url must be a page of an origin the campaign allows")
    return value


def _message_page(title: str, message: str, status: int, origins: tuple[str, ...] = ()) -> Response:
    html = _pages.get_template("pick.html").render(title=title, message=message, view=None)
    return HTMLResponse(html, status, headers=_page_headers(origins))


def _refused_page(refusal: Refusal) -> Response:
    return _message_page("This choice is not available", refusal.message, refusal.code.http_status)


def _form_page(
    request: Request, view: PickView, return_url: str | None, problem: str = "", status: int = 200
) -> Response:
    template = view.settings.disclosure
    html = _pages.get_template("pick.html").render(
        title="Choose who may contact you",
        view=view,
        action=str(request.url.path),
        bids=shown_entries(view.record.bids),
        template=template,
        placeholder=NAMES,
        preview=template.replace(NAMES, NONE_PICKED),
        return_url=return_url or "",
        problem=problem,
    )
    return HTMLResponse(html, status, headers=_page_headers(view.settings.origins))


@router.get("/pick/{token}", include_in_schema=False)
async def pick_page(request: Request, token: str) -> Response:
    """The hosted pick page, for suppliers who redirect to it or frame it."""
    view = await runtime_of(request).picks.open(token, None, _own_origin(request))
    if isinstance(view, Refusal):
        return _refused_page(view)
    back = _return_url(request.query_params.get("return_url"), view)
    if isinstance(back, Refusal):
        return _refused_page(back)
    return _form_page(request, view, back)


@router.post("/pick/{token}", include_in_schema=False)
async def pick_page_submit(request: Request, token: str) -> Response:
    """The hosted page's form: boxes ticked (in the order kept by its script, else in the
    order on screen), then back to ``return_url`` with ``lp_consent_bids`` or a thank-you."""
    # The form is this server's own page, whose no-referrer policy makes browsers send
    # ``Origin: null``: the token is the authority here, and only the campaign's pages may
    # frame the page (its Content-Security-Policy).
    picks, own = runtime_of(request).picks, _own_origin(request)
    view = await picks.open(token, None, own)
    if isinstance(view, Refusal):
        return _refused_page(view)
    form = await request.form()
    ticked = [str(v) for v in form.getlist("bid")]
    kept = [i for i in str(form.get("order") or "").split(",") if i]
    back = _return_url(str(form.get("return_url") or ""), view)
    if isinstance(back, Refusal):
        return _refused_page(back)
    if kept and sorted(kept) != sorted(ticked):
        return _form_page(request, view, back, "Your choices changed; pick again.", 400)
    submitted = Submitted(
        picked=kept or ticked,
        shown_disclosure=None,
        page_url=f"{own}/pick/[token]",  # the hosted page; its token is not kept
        ip_address=client_address(request),
        user_agent=request.headers.get("user-agent"),
    )
    pick = await picks.record(token, None, own, submitted)
    if isinstance(pick, Refusal):
        if pick.code is Code.INVALID_BID_SELECTION:
            return _form_page(request, view, back, pick.message, 400)
        return _refused_page(pick)
    if back is not None:
        return RedirectResponse(_with_pick(back, pick), 303, headers=_page_headers(()))
    by_id = {b.bid_id: b for b in view.record.bids}
    names = [by_id[bid_id].tcpa_entity_name for bid_id in pick.picked]
    html = _pages.get_template("pick.html").render(
        title="Thank you",
        message="Your choice is recorded. You can close this page.",
        view=None,
        picked=names,
        disclosure=pick.disclosure,
    )
    return HTMLResponse(html, headers=_page_headers(view.settings.origins))


def _with_pick(url: str, pick: RecordedPick) -> str:
    """``url`` with ``lp_consent_bids`` (the picks in order) and ``pick=recorded`` added."""
    parts = urlsplit(url)
    added = urlencode({"lp_consent_bids": ",".join(pick.picked), "pick": "recorded"})
    query = f"{parts.query}&{added}" if parts.query else added
    return urlunsplit(parts._replace(query=query))
