"""Embedded mode across a restart: pings live in the process, but the ledger keeps them."""

import json
from pathlib import Path

import httpx

from tests.support.databases import sqlite_url
from tests.support.fleet import ThreadedFleet
from tests.support.server import ServerProcess
from tests.support.system import KEY, workspace


def test_a_ping_can_be_posted_after_a_restart(fleet: ThreadedFleet, tmp_path: Path) -> None:
    path = tmp_path / "workspace.json"
    path.write_text(json.dumps(workspace(fleet.base_urls)))
    database = sqlite_url(tmp_path)
    auth = {"lp_campaign_id": "100", "lp_supplier_id": "7", "lp_key": KEY}
    with ServerProcess(path, database, tmp_path / "first.log") as first:
        ping = httpx.post(
            f"{first.base_url}/ping", json={**auth, "zip_code": "78701", "state": "TX"}
        ).json()
    # Stopping the server flushed its logs; the in-process ping store is gone with it.
    with ServerProcess(path, database, tmp_path / "second.log") as second:
        post = httpx.post(
            f"{second.base_url}/post",
            json={
                **auth,
                "lp_ping_id": ping["ping_id"],
                "lp_consent_bids": [ping["bids"][0]["bid_id"]],
                "zip_code": "78701",
                "state": "TX",
                "first_name": "Dana",
                "phone": "5125550142",
            },
            timeout=30,
        ).json()
    assert post["code"] == 0
    assert post["sold_bids"][0]["bid_id"] == ping["bids"][0]["bid_id"]
