"""The supplier API: ``/ping``, ``/post`` and ``/direct_post`` (docs/supplier-api.md)."""

import logging
import time
from collections.abc import Awaitable, Callable

import orjson
from fastapi import APIRouter, Request, Response

from pickpost.api import openapi
from pickpost.api.admission import Send, received_of
from pickpost.api.payload import read_payload
from pickpost.api.responses import json_response
from pickpost.api.state import runtime_of
from pickpost.domain.errors import Code, Refusal
from pickpost.domain.ids import is_id, new_id
from pickpost.domain.lead import RequestLog
from pickpost.domain.revocation import receipt_path
from pickpost.domain.traffic import Source, refusal_event
from pickpost.domain.workspace import CampaignType
from pickpost.services.intake import Admitted, SupplierRequest, admit
from pickpost.services.ports import Recorder
from pickpost.services.replies import Reply, envelope
from pickpost.services.runtime import Runtime

log = logging.getLogger(__name__)

UseCase = Callable[[SupplierRequest, Admitted], Awaitable[Reply]]


def _log(
    recorder: Recorder, request: SupplierRequest, reply: Reply, envelope_body: dict[str, object]
) -> None:
    lead_id = reply.body.get("lead_id")
    # The ping a request concerns: the one it made, or the one it names if that can be one of
    # ours. Any other text stays in the recorded request only, out of the indexed column
    # (PostgreSQL refuses index entries over ~2.7 kB, and the row would be lost).
    sent = request.text("lp_ping_id")
    ping_id = reply.body.get("ping_id") or (sent if sent and is_id("p", sent) else None)
    recorder.request(
        RequestLog(
            request_id=request.request_id,
            endpoint=request.endpoint,
            received_at=request.received_at,
            duration_ms=(time.monotonic() - request.arrived) * 1000,
            http_status=reply.code.http_status,
            code=int(reply.code),
            campaign_id=request.text("lp_campaign_id"),
            supplier_id=request.text("lp_supplier_id"),
            ping_id=str(ping_id) if ping_id else None,
            lead_id=str(lead_id) if lead_id else None,
            remote_addr=request.remote_addr,
            request=request.loggable(),
            response=_without_pick_token(envelope_body),
        )
    )


def _without_pick_token(body: dict[str, object]) -> dict[str, object]:
    """The answer as recorded: a PING's pick token (and the page URL holding it) withheld, as
    the token is what lets a browser record a consumer's pick."""
    pick = body.get("pick")
    if not isinstance(pick, dict):
        return body
    return {**body, "pick": {"expires_at": pick.get("expires_at"), "token": "[withheld]"}}


def _wrong_endpoint(endpoint: str, campaign_type: CampaignType) -> Refusal:
    hint = "/direct_post" if campaign_type is CampaignType.DIRECT_POST else "/ping and /post"
    return Refusal(
        Code.WRONG_ENDPOINT,
        f"{endpoint} does not serve {campaign_type.value} campaigns: use {hint}",
    )


router = APIRouter()
_PING_POST = frozenset({CampaignType.ONE_TO_ONE, CampaignType.EXCHANGE})
# Each endpoint: the campaign types it serves, and its use case.
_ENDPOINTS: dict[str, tuple[frozenset[CampaignType], Callable[[Runtime], UseCase]]] = {
    "/ping": (_PING_POST, lambda r: r.pings.ping),
    "/post": (_PING_POST, lambda r: r.posts.post),
    "/direct_post": (frozenset({CampaignType.DIRECT_POST}), lambda r: r.direct_posts.direct_post),
}
# Every path a supplier may POST to, and the endpoint it is: trailing slashes and the old
# ``/ingest`` name included.
PATHS = {
    **{path: path for path in _ENDPOINTS},
    **{f"{path}/": path for path in _ENDPOINTS},
    "/ingest": "/direct_post",
    "/ingest/": "/direct_post",
}
_JSON_TYPE = (b"content-type", b"application/json")


async def _answer(
    runtime: Runtime, http: Request, endpoint: str
) -> tuple[dict[str, object], int, dict[str, str] | None]:
    """The envelope, HTTP status and extra headers of a supplier request on ``endpoint``."""
    accepts, use_case = _ENDPOINTS[endpoint]
    # From when the server read the request, not when this handler started: time spent
    # waiting for the event loop comes out of the deadline and shows in /metrics.
    arrived = received_of(http.scope)
    request_id = new_id("r")
    payload = await read_payload(http)
    base_url = runtime.public_url or _base_url(http)
    request = SupplierRequest(
        request_id=request_id,
        endpoint=endpoint,
        arrived=arrived,
        received_at=time.time() - (time.monotonic() - arrived),
        data=payload if isinstance(payload, dict) else {},
        remote_addr=client[0] if (client := http.scope.get("client")) else None,
        base_url=base_url,
    )
    admitted: Admitted | None = None
    try:
        reply, admitted = await _decide(runtime, request, payload, accepts, use_case(runtime))
    except Exception:
        # A bug or an outage, never the input: answer in the envelope and keep the record.
        log.exception("request %s failed", request_id)
        reply = Reply(Code.INTERNAL, "internal error; it is logged under this request_id")
    body = envelope(reply, request_id)
    _log(runtime.recorder, request, reply, body)
    if Code.OK < reply.code < Code.NO_BIDS:
        _count_refusal(runtime, request, admitted, reply.code)
    lead_id = body.get("lead_id")
    if isinstance(lead_id, str):
        # Added after the answer is logged: the link is the consumer's, not a record's.
        body = {**body, "receipt_url": base_url + receipt_path(runtime.links, lead_id)}
    return body, reply.code.http_status, reply.headers


# The base URLs found for the parts of a request's scope they depend on: one per host name in
# practice, so the framework builds each once; bounded, as the Host header is the client's.
_BASE_URLS: dict[tuple[object, ...], str] = {}
_MAX_BASE_URLS = 64


def _base_url(http: Request) -> str:
    """``http.base_url`` without its trailing slash, as the framework writes it."""
    scope = http.scope
    host = next((value for key, value in scope["headers"] if key == b"host"), None)
    server = scope.get("server")
    key = (
        scope.get("scheme"),
        host,
        None if server is None else tuple(server),  # ASGI allows a list
        scope.get("root_path"),
        scope.get("app_root_path"),
    )
    found = _BASE_URLS.get(key)
    if found is None:
        if len(_BASE_URLS) >= _MAX_BASE_URLS:
            _BASE_URLS.clear()
        found = _BASE_URLS[key] = str(http.base_url).rstrip("/")
    return found


async def serve(runtime: Runtime, endpoint: str, http: Request, send: Send) -> None:
    """Answer a supplier request the application matched on its path alone (``PATHS``),
    without the framework's routing, middleware and response objects: the same answer as the
    routes below give, for less CPU per request (docs/benchmarks.md, "The server's own CPU
    per ping")."""
    body, status, headers = await _answer(runtime, http, endpoint)
    content = orjson.dumps(body)
    # As the routes' response object writes them: its own headers, then length and type.
    raw = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in (headers or {}).items()]
    raw += [(b"content-length", str(len(content)).encode()), _JSON_TYPE]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": content})


def _count_refusal(
    runtime: Runtime, request: SupplierRequest, admitted: Admitted | None, code: Code
) -> None:
    """A refused request, under its campaign and supplier once they are known to be ours
    (before that, under '': what a stranger sent names nothing)."""
    if admitted is None:
        source = Source("", "", False, request.received_at)
    else:
        campaign, supplier = admitted.campaign.id, admitted.supplier.id
        source = Source(campaign, supplier, admitted.test, request.received_at)
    runtime.traffic.count([refusal_event(source, request.endpoint, int(code))])


async def _decide(
    runtime: Runtime,
    request: SupplierRequest,
    payload: dict[str, object] | Refusal,
    accepts: frozenset[CampaignType],
    use_case: UseCase,
) -> tuple[Reply, Admitted | None]:
    if isinstance(payload, Refusal):
        return Reply.refused(payload), None
    admitted = admit(runtime.catalog, request)
    if isinstance(admitted, Refusal):
        return Reply.refused(admitted), None
    campaign_type = admitted.campaign.config.type
    if campaign_type not in accepts:
        return Reply.refused(_wrong_endpoint(request.endpoint, campaign_type)), admitted
    return await use_case(request, admitted), admitted


# Each endpoint also answers with a trailing slash, which suppliers' URLs sometimes have: the
# framework's default, a 307 redirect, is no envelope and names the host as this process saw it.
# The application serves these paths through ``serve`` before its routing (api/app.py); the
# routes describe them in the OpenAPI schema and answer alike where the router is mounted alone.
@router.post("/ping", openapi_extra=openapi.PING, responses=openapi.ENVELOPE)
@router.post("/ping/", include_in_schema=False)
async def ping(http: Request) -> Response:
    """PING: a partial lead; returns the bids (One-to-One)."""
    return json_response(*await _answer(runtime_of(http), http, "/ping"))


@router.post("/post", openapi_extra=openapi.POST, responses=openapi.ENVELOPE)
@router.post("/post/", include_in_schema=False)
async def post(http: Request) -> Response:
    """POST: the full lead for an earlier ping, sold to the consented bids."""
    return json_response(*await _answer(runtime_of(http), http, "/post"))


@router.post("/direct_post", openapi_extra=openapi.PING, responses=openapi.ENVELOPE)
@router.post("/direct_post/", include_in_schema=False)
@router.post("/ingest", include_in_schema=False)
@router.post("/ingest/", include_in_schema=False)
async def direct_post(http: Request) -> Response:
    """Direct Post: the full lead in one call."""
    return json_response(*await _answer(runtime_of(http), http, "/direct_post"))
