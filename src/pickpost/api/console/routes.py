"""The console's routes and assets, installed into the app."""

from importlib.resources import files
from typing import Any

from fastapi import FastAPI, Response
from starlette.staticfiles import StaticFiles

from pickpost.api.console import (
    audit_page,
    directory,
    insight,
    lead_page,
    leads_page,
    people_pages,
    returns_pages,
    sign_in,
)
from pickpost.api.console.page import STATIC


class _Assets(StaticFiles):
    """The console's CSS and scripts: their URLs carry a content hash (``static_url``), so
    browsers may keep them a year."""

    def file_response(self, *args: Any, **kwargs: Any) -> Response:
        response = super().file_response(*args, **kwargs)
        response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response


def install(app: FastAPI) -> None:
    app.include_router(insight.router)
    app.include_router(directory.router)
    app.include_router(sign_in.router)
    app.include_router(people_pages.router)
    app.include_router(audit_page.router)
    app.include_router(leads_page.router)
    app.include_router(lead_page.router)
    app.include_router(returns_pages.router)
    assets = str(files("pickpost.api.console").joinpath("static"))
    app.mount(STATIC, _Assets(directory=assets), "console-static")
