"""The ASGI application."""

import gc
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from starlette._utils import get_route_path
from starlette.exceptions import HTTPException
from starlette.types import Receive, Scope, Send

from pickpost import __version__
from pickpost.api import (
    admin,
    consent,
    docs_pages,
    home,
    leads,
    openapi,
    pick,
    public,
    receipt,
    reports,
    returns,
    specs,
    supplier,
)
from pickpost.api.console import routes as console
from pickpost.api.responses import json_response
from pickpost.domain.errors import Code
from pickpost.domain.fields import FieldError
from pickpost.infra.metrics import exposition
from pickpost.services.replies import Reply, envelope
from pickpost.services.runtime import Runtime

log = logging.getLogger(__name__)

# (young, middle, old): see ``lifespan`` and docs/benchmarks.md.
GC_THRESHOLDS = (20_000, 20, 20)

RuntimeFactory = Callable[[], AbstractAsyncContextManager[Runtime]]


def _error(code: Code, message: str, status: int, errors: tuple[FieldError, ...] = ()) -> Response:
    return json_response(envelope(Reply(code, message, errors=errors), None), status_code=status)


def _invalid(error: RequestValidationError) -> tuple[FieldError, ...]:
    """The parameters FastAPI refused, by name, with its reason (never the value sent)."""
    found: dict[str, str] = {}
    for detail in error.errors():
        name = str(detail["loc"][-1]) if detail.get("loc") else "request"
        found.setdefault(name, str(detail.get("msg", "is invalid")))
    return tuple(FieldError(name, message) for name, message in found.items())


class _App(FastAPI):
    def openapi(self) -> dict[str, Any]:
        return openapi.finish(super().openapi())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The supplier endpoints straight to their handler: the framework's middleware,
        routing and response objects cost more CPU than the rest of a rejected request, and
        a PING's JSON answer needs none of them (docs/benchmarks.md, "The server's own CPU
        per ping"). Everything else, and any other method on these paths, goes through the
        framework."""
        if scope["type"] == "http" and scope["method"] == "POST":
            endpoint = supplier.PATHS.get(get_route_path(scope))
            if endpoint is not None:
                await _supplier(self, endpoint, scope, receive, send)
                return
        await super().__call__(scope, receive, send)


async def _supplier(
    app: FastAPI, endpoint: str, scope: Scope, receive: Receive, send: Send
) -> None:
    scope["app"] = app  # as the framework sets it, for whatever reads the request's app
    try:
        await supplier.serve(app.state.runtime, endpoint, Request(scope, receive), send)
    except Exception:
        # What the framework's last-resort handler (``crash`` below) answers.
        log.exception("unhandled error on POST %s", endpoint)
        await _error(Code.INTERNAL, "internal error; it has been logged", 500)(scope, receive, send)


def create_app(runtime_factory: RuntimeFactory) -> FastAPI:
    """An app whose runtime (stores, sessions, catalog) lives as long as the server."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with runtime_factory() as runtime:
            app.state.runtime = runtime
            # Everything built so far (modules, app, runtime) lives as long as the process:
            # out of the collector's sight, a full collection no longer scans it, which cut
            # pauses of 100–200 ms in the middle of pings (measured: docs/benchmarks.md).
            gc.freeze()
            # A PING allocates thousands of short-lived objects (requests to ten buyers, their
            # answers, the log rows), nearly all freed by reference counting. At the default
            # thresholds a bench run of ~1,800 pings made ~700 young and ~6 full collections;
            # at these, ~30–200 young and 0–2 full (docs/benchmarks.md).
            gc.set_threshold(*GC_THRESHOLDS)
            yield

    # The framework's /docs and /redoc load their assets from a CDN: ours are served here.
    app = _App(
        title="Pickpost", version=__version__, lifespan=lifespan, docs_url=None, redoc_url=None
    )
    app.include_router(supplier.router)
    app.include_router(admin.router)
    app.include_router(returns.router)
    app.include_router(reports.router)
    app.include_router(leads.router)
    app.include_router(consent.router)
    app.include_router(pick.router)
    app.include_router(receipt.router)
    app.include_router(public.router)
    app.include_router(specs.router)
    app.include_router(home.router)
    docs_pages.install(app)
    console.install(app)

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> Response:
        return json_response({"status": "ok"})

    @app.get("/metrics", include_in_schema=False)
    async def metrics() -> Response:
        body, content_type = exposition()
        return Response(body, media_type=content_type)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, error: HTTPException) -> Response:
        return _error(Code.MALFORMED, str(error.detail), error.status_code)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, error: RequestValidationError) -> Response:
        errors = _invalid(error)
        names = ", ".join(e.field for e in errors)
        return _error(Code.MALFORMED, f"malformed request: {names}", 400, errors)

    @app.exception_handler(Exception)
    async def crash(request: Request, error: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return _error(Code.INTERNAL, "internal error; it has been logged", 500)

    return app
