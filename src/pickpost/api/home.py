"""``/``: where a person who opens the server's address finds their way (docs/supplier-api.md,
"The server's own pages"). A JSON client gets the same index as JSON."""

from fastapi import APIRouter, Request, Response
from starlette.responses import HTMLResponse

from pickpost import __version__
from pickpost.api.responses import json_response

router = APIRouter()

# (path, what it is); paths with a placeholder are patterns, not links.
PAGES: tuple[tuple[str, str], ...] = (
    ("/console/sign-in", "the operator console (its first user: pickpost users add)"),
    ("/docs", "the API, interactive (Swagger UI; works offline)"),
    ("/redoc", "the API, to read (ReDoc)"),
    ("/openapi.json", "the OpenAPI document"),
    ("/specs/{supplier_id}?key=YOUR_KEY", "a supplier's integration spec, for its own key"),
    ("/healthz", "liveness"),
    ("/metrics", "Prometheus metrics"),
)
PROJECT_DOCS = (
    "The project's documentation is in its source tree under docs/: supplier-api.md, "
    "buyer-protocol.md, configuration.md, deploy.md, architecture.md."
)

_HEADERS = {"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'"}


def _wants_json(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


def _item(path: str, about: str) -> str:
    shown = f"<code>{path}</code>" if "{" in path else f'<a href="{path}"><code>{path}</code></a>'
    return f"<li>{shown}: {about}</li>"


_PAGE = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Pickpost</title>
<style>body{{font-family:sans-serif;max-width:42rem;margin:2rem auto;line-height:1.5}}</style>
</head><body>
<h1>Pickpost {__version__}</h1>
<p>A lead exchange: suppliers send leads to <code>POST /ping</code>, <code>/post</code> and
<code>/direct_post</code>; buyers bid and buy them in real time.</p>
<ul>
{"".join(_item(path, about) for path, about in PAGES)}
</ul>
<p>{PROJECT_DOCS}</p>
</body></html>
"""


@router.get("/", include_in_schema=False)
async def home(request: Request) -> Response:
    if _wants_json(request):
        return json_response(
            {
                "name": "pickpost",
                "version": __version__,
                "links": dict(PAGES),
                "docs": PROJECT_DOCS,
            }
        )
    return HTMLResponse(_PAGE, headers=_HEADERS)
