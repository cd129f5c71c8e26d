"""The world of the pick tests: One-to-One campaigns with the pick widget's settings over the
simulated fleet, a server of their own, and helpers to use a pick token as a browser does."""

import base64
import itertools
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from tests.support.databases import deployment_urls
from tests.support.fleet import ThreadedFleet
from tests.support.server import ServerProcess
from tests.support.system import System, workspace

DATA_KEY = base64.b64encode(os.urandom(32)).decode()
DISCLOSURE = "I agree that {names} may call and text me about solar panels."
PICK = "3100"  # a pick recorded when there is one
REQUIRED = "3101"  # a pick required
SHORT = "3102"  # pings (and so pick tokens) that last a second
BUYERS = ("alpha", "beta", "gamma")
_PHONES = itertools.count(100)


def pick_workspace(urls: dict[str, str], origins: list[str]) -> dict[str, Any]:
    base = next(c for c in workspace(urls)["campaigns"] if c["id"] == "100")
    buyers = [b for b in base["buyers"] if b["id"] in BUYERS]
    buyers[1]["additional_data"] = {"display_name": "Beta", "description": "Panels since 1999"}
    settings = {"disclosure": DISCLOSURE, "origins": origins}
    return {
        "campaigns": [
            {**base, "id": PICK, "buyers": buyers, "pick": settings},
            {**base, "id": REQUIRED, "buyers": buyers, "pick": {**settings, "required": True}},
            {**base, "id": SHORT, "buyers": buyers, "ping_ttl_s": 1},
        ]
    }


@contextmanager
def pick_system(
    backend: str, fleet: ThreadedFleet, directory: Path, origins: list[str]
) -> Iterator[System]:
    """A server over the pick campaigns, encrypting personal values."""
    path = directory / "workspace.json"
    path.write_text(json.dumps(pick_workspace(fleet.base_urls, origins)))
    with deployment_urls(backend, directory) as (database_url, redis_url):
        server = ServerProcess(
            path, database_url, directory / "server.log", redis_url,
            env={"PICKPOST_DATA_KEY": DATA_KEY},
        )  # fmt: skip
        with server, httpx.Client(base_url=server.base_url, timeout=30) as http:
            yield System(server, fleet, database_url, http)


def new_phone() -> str:
    """A consumer of their own for each lead (no duplicate check trips)."""
    return f"(512) 555-{next(_PHONES):04d}"


def names(*entities: str) -> str:
    """The campaigns' disclosure with ``entities`` picked, as the widget shows it."""
    joined = entities[0] if len(entities) == 1 else f"{', '.join(entities[:-1])} and {entities[-1]}"
    return DISCLOSURE.replace("{names}", joined)
