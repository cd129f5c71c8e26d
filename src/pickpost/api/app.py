"""The ASGI application."""

import gc
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException

from pickpost import __version__
from pickpost.api import admin, specs, supplier
from pickpost.api.responses import json_response
from pickpost.domain.errors import Code
from pickpost.infra.metrics import exposition
from pickpost.services.replies import Reply, envelope
from pickpost.services.runtime import Runtime

log = logging.getLogger(__name__)

RuntimeFactory = Callable[[], AbstractAsyncContextManager[Runtime]]


def _error(code: Code, message: str, status: int) -> Response:
    return json_response(envelope(Reply(code, message), None), status_code=status)


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
            yield

    app = FastAPI(title="Pickpost", version=__version__, lifespan=lifespan)
    app.include_router(supplier.router)
    app.include_router(admin.router)
    app.include_router(specs.router)

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
        return _error(Code.MALFORMED, "malformed request", 400)

    @app.exception_handler(Exception)
    async def crash(request: Request, error: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return _error(Code.INTERNAL, "internal error; it has been logged", 500)

    return app
