"""Behind a TLS-terminating proxy the operator trusts (PICKPOST_TRUSTED_PROXY), the console's
cookies are Secure and sign-in throttling counts the forwarded client address."""

import json
from pathlib import Path

import httpx
import sqlalchemy as sa

from tests.support.cli import pickpost
from tests.support.console import PASSWORD, csrf_of
from tests.support.databases import deployment_urls
from tests.support.fleet import ThreadedFleet
from tests.support.server import ServerProcess
from tests.support.system import workspace


def test_a_trusted_proxys_https_makes_the_cookies_secure(
    fleet: ThreadedFleet, tmp_path: Path
) -> None:
    path = tmp_path / "workspace.json"
    path.write_text(json.dumps(workspace(fleet.base_urls)))
    with deployment_urls("sqlite", tmp_path) as (database_url, _):
        server = ServerProcess(
            path, database_url, tmp_path / "server.log", env={"PICKPOST_TRUSTED_PROXY": "true"}
        )
        with server:
            added = pickpost("users", "add", "ana", "--role", "admin", "--password-stdin",
                             "--database", database_url, input=f"{PASSWORD}\n")  # fmt: skip
            assert added.returncode == 0, added.stderr
            proxy = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"}
            with httpx.Client(base_url=server.base_url, headers=proxy) as client:
                form = client.get("/console/sign-in")
                assert "Secure" in form.headers["set-cookie"]
                # The client sent it over HTTPS to the proxy: pass it on as the proxy would.
                cookie = form.headers["set-cookie"].split(";")[0]
                signed = client.post(
                    "/console/sign-in",
                    data={"csrf": csrf_of(form), "name": "ana", "password": PASSWORD},
                    headers={"Cookie": cookie},
                )
                assert signed.status_code == 303, signed.text
                assert "Secure" in signed.headers["set-cookie"]
            assert _sign_in_addresses(database_url) == ["203.0.113.9"]


def _sign_in_addresses(database_url: str) -> list[str]:
    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as conn:
            query = "SELECT remote_addr FROM audit_log WHERE action = 'sign_in'"
            return [r[0] for r in conn.execute(sa.text(query))]
    finally:
        engine.dispose()
