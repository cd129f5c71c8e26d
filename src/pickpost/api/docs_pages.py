"""``/docs`` (Swagger UI) and ``/redoc`` with their assets served by this server, from the
``openapi-ui-bundles`` package: the pages work without internet access and load nothing from
another host (docs/supplier-api.md, "The server's own pages")."""

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from openapi_ui_bundles import redoc, swagger_ui
from starlette.responses import HTMLResponse
from starlette.staticfiles import StaticFiles

SWAGGER_ASSETS = "/docs/assets"
REDOC_ASSETS = "/redoc/assets"
# The browser may fetch nothing but from this server (and what the page makes itself): the
# bundles still name outside URLs – ReDoc's footer logo – and a browser asked to load one would
# call out from an operator's network.
_LOCAL_ONLY = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' "
        "'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; worker-src 'self' blob:; "
        "connect-src 'self'"
    )
}


def _local_only(page: HTMLResponse) -> HTMLResponse:
    page.headers.update(_LOCAL_ONLY)
    return page


def install(app: FastAPI) -> None:
    """Mount the assets and the two pages; ``app`` must have its own pages turned off."""
    app.mount(SWAGGER_ASSETS, StaticFiles(directory=swagger_ui.static_path), "swagger-assets")
    app.mount(REDOC_ASSETS, StaticFiles(directory=redoc.static_path), "redoc-assets")

    @app.get("/docs", include_in_schema=False)
    async def swagger(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "").rstrip("/")
        page = get_swagger_ui_html(
            openapi_url=f"{root}{app.openapi_url}",
            title=f"{app.title} – API",
            swagger_js_url=f"{root}{SWAGGER_ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{SWAGGER_ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{root}{SWAGGER_ASSETS}/favicon-32x32.png",
            oauth2_redirect_url=None,
            # Swagger UI would otherwise send the document to an online validator.
            swagger_ui_parameters={"validatorUrl": None},
        )
        return _local_only(page)

    @app.get("/redoc", include_in_schema=False)
    async def redoc_page(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "").rstrip("/")
        page = get_redoc_html(
            openapi_url=f"{root}{app.openapi_url}",
            title=f"{app.title} – API",
            redoc_js_url=f"{root}{REDOC_ASSETS}/redoc.standalone.js",
            redoc_favicon_url=f"{root}{SWAGGER_ASSETS}/favicon-32x32.png",
            with_google_fonts=False,
        )
        return _local_only(page)
