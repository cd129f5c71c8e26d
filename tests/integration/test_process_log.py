"""The process log never carries a lead, a key or a token, even when the database fails
(docs/security.md, "What the process logs contain")."""

import json
import sqlite3
from pathlib import Path

import httpx

from tests.support.databases import sqlite_url
from tests.support.fleet import ThreadedFleet
from tests.support.server import ADMIN_TOKEN, ServerProcess
from tests.support.system import KEY, workspace
from tests.support.waiting import eventually

# Values no log line could hold by chance.
LEAD = {
    "first_name": "Zebediahqx",
    "phone": "(512) 555-7391",
    "email": "zeb.quill@example.org",
    "ip_address": "198.51.100.77",
    "lp_subid1": "subid-Xyzzy42",
    "nickname": "Quillfeather",
}


def test_a_failing_database_writes_no_lead_to_the_process_log(
    fleet: ThreadedFleet, tmp_path: Path
) -> None:
    path = tmp_path / "workspace.json"
    path.write_text(json.dumps(workspace(fleet.base_urls)))
    database_url = sqlite_url(tmp_path)
    with (
        ServerProcess(path, database_url, tmp_path / "server.log") as server,
        httpx.Client(base_url=server.base_url, timeout=30) as http,
    ):
        # The database loses the tables a sale and the request logs are written to.
        with sqlite3.connect(database_url.removeprefix("sqlite:///")) as db:
            db.executescript("DROP TABLE requests; DROP TABLE pings; DROP TABLE leads;")
        auth = {"lp_supplier_id": "7", "lp_key": KEY, "zip_code": "78701", "state": "TX"}
        direct = http.post("/direct_post", json={**auth, "lp_campaign_id": "1200", **LEAD})
        assert (direct.status_code, direct.json()["code"]) == (500, 1099)
        ping = http.post("/ping", json={**auth, "lp_campaign_id": "100", **LEAD})
        assert ping.json()["code"] == 0  # answered; only its log row is lost
        # Every entry gives up after its retries, and says so by its ids.
        direct_id, ping_id = direct.json()["request_id"], ping.json()["ping_id"]
        assert eventually(
            lambda: f"request {direct_id}" in server.log() and f"ping {ping_id}" in server.log()
        ), server.log()
    log = server.log()
    assert f"request {direct_id} failed" in log
    assert "sqlalchemy.exc.OperationalError" in log  # what failed, where, is still there
    for value in (*LEAD.values(), "5125557391", KEY, ADMIN_TOKEN):
        assert value not in log, f"{value!r} is in the process log:\n{log}"
