"""Personal data at rest, end to end on SQLite and PostgreSQL: real traffic through a server
with a master key, the raw columns read straight from the database, the operator's views and
lookups, and ``pickpost purge`` as an operator runs it."""

import base64
import itertools
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from pickpost.domain.personal import PURGED
from tests.support.databases import deployment_urls
from tests.support.fleet import ThreadedFleet
from tests.support.server import ADMIN_TOKEN, ServerProcess
from tests.support.system import KEY, System, bid_of, workspace

ROOT = Path(__file__).resolve().parents[2]
DATA_KEY = base64.b64encode(os.urandom(32)).decode()
AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}

# One consumer per flow: none of these may be found in clear in the database.
PEOPLE = {
    "post": {"first_name": "Marisol", "phone": "(512) 555-0191", "email": "Marisol@Example.com"},
    "exchange": {"first_name": "Thaddeus", "phone": "512-555-0192", "email": "thad@example.org"},
    "direct": {"first_name": "Ottilie", "phone": "5125550193", "email": "otti@example.net"},
}
EVIDENCE = {
    "ip_address": "203.0.113.77",
    "user_agent": "Mozilla/5.0 (Quokka 12)",
    "landing_page_url": "https://supplier.example/solar?ref=7",
    "tcpa_text": "By clicking Submit I agree to be contacted.",
}
SECRETS = [
    "Marisol", "5125550191", "555-0191", "Marisol@", "marisol@",
    "Thaddeus", "5125550192", "thad@example.org",
    "Ottilie", "5125550193", "otti@example.net",
    "203.0.113.77", "Quokka", "supplier.example/solar", "secret-sub-value",
]  # fmt: skip
_RUNS = itertools.count()


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def vault(
    request: pytest.FixtureRequest, fleet: ThreadedFleet, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[System]:
    """A server that encrypts personal values (PICKPOST_DATA_KEY set)."""
    directory = tmp_path_factory.mktemp(f"vault-{request.param}")
    path = directory / "workspace.json"
    path.write_text(json.dumps(workspace(fleet.base_urls)))
    with deployment_urls(request.param, directory) as (database_url, redis_url):
        server = ServerProcess(
            path,
            database_url,
            directory / "server.log",
            redis_url,
            env={"PICKPOST_DATA_KEY": DATA_KEY},
        )
        with server, httpx.Client(base_url=server.base_url, timeout=30) as http:
            yield System(server, fleet, database_url, http)


def _traffic(sut: System) -> dict[str, str]:
    """A One-to-One ping and post, an exchange ping and post, a direct post: their lead ids."""
    ping = sut.ping("100", home_owner="yes", sub_note="secret-sub-value")
    assert ping.json()["code"] == 0, ping.text
    post = sut.post(ping, [bid_of(ping, "alpha")], "100", **PEOPLE["post"], **EVIDENCE)
    assert post.json()["code"] == 0, post.text
    xping = sut.call("/ping", "1100", zip_code="78701", state="TX")
    xpost = sut.call(
        "/post", "1100", lp_ping_id=xping.json()["ping_id"], zip_code="78701", state="TX",
        **PEOPLE["exchange"], **EVIDENCE,
    )  # fmt: skip
    assert xpost.json()["code"] == 0, xpost.text
    # A sub id of its own, so the same consumer again is no same-payload duplicate.
    direct = sut.direct_post("1200", lp_s1=f"run{next(_RUNS)}", **PEOPLE["direct"], **EVIDENCE)
    assert direct.json()["code"] == 0, direct.text
    ids = {
        "post": post.json()["lead_id"],
        "exchange": xpost.json()["lead_id"],
        "direct": direct.json()["lead_id"],
    }
    sut.lead(ids["post"])  # the request and ping logs are written behind: flush them
    return ids


def _raw(sut: System) -> str:
    """Every column that holds what suppliers sent, as the database has it."""
    rows = [
        *sut.query("SELECT fields FROM leads"),
        *sut.query("SELECT evidence FROM consents"),
        *sut.query("SELECT lead, ping_values FROM pings"),
        *sut.query("SELECT request FROM requests"),
        *sut.query("SELECT hash FROM lead_lookups"),
        *sut.query(
            "SELECT request_headers, request_body, response_headers, response_body FROM buyer_calls"
        ),
    ]
    return json.dumps([[str(value) for value in row] for row in rows])


def _find(sut: System, name: str, value: str) -> list[str]:
    params = {"field_name": name, "field_value": value}
    response = sut.http.get("/api/v1/leads", params=params, headers=AUTH)
    assert response.status_code == 200, response.text
    assert value not in response.text  # the searched value is not echoed
    return [lead["lead_id"] for lead in response.json()["leads"]]


def test_personal_values_are_encrypted_at_rest_and_shown_to_the_operator(vault: System) -> None:
    ids = _traffic(vault)
    raw = _raw(vault)
    assert [s for s in SECRETS if s in raw] == []
    assert "pp1:" in raw
    # Fields that are not personal stay queryable in clear.
    assert "78701" in raw
    assert EVIDENCE["tcpa_text"] in raw

    lead = vault.lead(ids["post"])
    assert lead["fields"]["first_name"] == "Marisol"
    assert lead["fields"]["phone"] == "5125550191"
    assert lead["fields"]["email"] == "Marisol@example.com"
    assert lead["fields"]["zip_code"] == "78701"
    assert lead["consent"]["ip_address"] == "203.0.113.77"
    assert lead["consent"]["user_agent"] == "Mozilla/5.0 (Quokka 12)"
    ping = vault.http.get(f"/api/v1/pings/{lead['ping_id']}", headers=AUTH).json()
    assert ping["lead"]["sub_note"] == "secret-sub-value"  # undeclared: personal, encrypted
    direct = vault.lead(ids["direct"])
    assert (direct["fields"]["first_name"], direct["consent"]["landing_page_url"]) == (
        "Ottilie",
        EVIDENCE["landing_page_url"],
    )


def test_leads_are_found_by_a_personal_value_without_decrypting(vault: System) -> None:
    ids = _traffic(vault)
    again = vault.direct_post("1200", lp_s1="again", **PEOPLE["direct"], **EVIDENCE)
    again_id = again.json()["lead_id"]
    # Any spelling of the number, newest first.
    assert _find(vault, "phone", "(512) 555-0193")[:2] == [again_id, ids["direct"]]
    assert ids["post"] in _find(vault, "email", "marisol@EXAMPLE.com")
    assert ids["exchange"] in _find(vault, "first_name", "thaddeus")
    assert _find(vault, "phone", "5125550100") == []
    assert _find(vault, "zip_code", "78701") == []  # not personal: not indexed
    found = vault.http.get("/api/v1/leads", params={"field_name": "phone", "field_value": "1"})
    assert found.status_code == 401


def test_lookup_works_without_encryption(sut: System) -> None:
    lead_id = sut.direct_post("1200", phone="(512) 555-0177").json()["lead_id"]
    assert _find(sut, "phone", "512.555.0177")[0] == lead_id
    assert "5125550177" in str(sut.query("SELECT fields FROM leads WHERE id = :i", i=lead_id))


def test_a_ping_only_the_ledger_holds_is_decrypted_for_its_post(
    fleet: ThreadedFleet, tmp_path: Path
) -> None:
    """After a restart the in-process ping store is empty: the POST reads the ping's
    encrypted record from the database and must get its values back, not ciphertexts."""
    path = tmp_path / "workspace.json"
    path.write_text(json.dumps(workspace(fleet.base_urls)))
    database_url = f"sqlite:///{tmp_path / 'pickpost.db'}"
    env = {"PICKPOST_DATA_KEY": DATA_KEY}
    with ServerProcess(path, database_url, tmp_path / "first.log", env=env) as first:
        ping = httpx.post(
            f"{first.base_url}/ping",
            json={"lp_campaign_id": "100", "lp_supplier_id": "7", "lp_key": KEY,
                  "zip_code": "78701", "state": "TX", "sub_note": "secret-sub-value"},
        )  # fmt: skip
    server = ServerProcess(path, database_url, tmp_path / "second.log", env=env)
    with server, httpx.Client(base_url=server.base_url, timeout=30) as http:
        sut = System(server, fleet, database_url, http)
        post = sut.post(ping, [bid_of(ping, "alpha")], "100", **PEOPLE["post"])
        assert post.json()["code"] == 0, post.text
        lead = sut.lead(post.json()["lead_id"])
    assert lead["fields"]["sub_note"] == "secret-sub-value"
    assert "secret-sub-value" not in _raw(sut)


def purge(database_url: str, *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "pickpost", "purge", "--database", database_url, *args],
        capture_output=True, text=True, timeout=120, cwd=ROOT, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return " ".join(result.stdout.split())


def _ledger(sut: System) -> list[Any]:
    """What a purge must never change: totals, sales, payouts, the consent record's shape."""
    return [
        sut.query("SELECT count(*), sum(payout_cents) FROM leads"),
        sut.query(
            "SELECT lead_id, buyer_id, status, buyer_price_cents, payout_cents FROM sales "
            "ORDER BY id"
        ),
        sut.query("SELECT id, status, payout_cents, outcome FROM leads ORDER BY id"),
        sut.query(
            "SELECT lead_id, consented_at, bids_shown, bids_picked FROM consents ORDER BY lead_id"
        ),
        sut.query("SELECT count(*) FROM requests"),
        sut.query("SELECT id, bids FROM pings ORDER BY id"),
    ]


def test_purge_blanks_personal_values_and_requests_keeping_the_ledger(vault: System) -> None:
    ids = _traffic(vault)
    before = _ledger(vault)
    assert _find(vault, "phone", "5125550191")
    days = ("--keep-requests-days", "0", "--keep-lead-fields-days", "0")
    first = purge(vault.database_url, *days, "--keep-consent-days", "0", "--batch-size", "2")
    for nothing in ("requests: 0,", "pings: 0,", "leads: 0,", "hashes: 0,", "consents: 0"):
        assert nothing not in first, first

    assert _ledger(vault) == before
    assert [s for s in SECRETS if s in _raw(vault)] == []
    assert "pp1:" not in _raw(vault)  # ciphertexts go too: a leaked key must not open them
    assert vault.query("SELECT count(*) FROM lead_lookups") == [(0,)]
    bodies = vault.query("SELECT request, response FROM requests")
    assert {json.dumps(v) if isinstance(v, dict) else v for row in bodies for v in row} == {"{}"}
    lead = vault.lead(ids["post"])
    assert lead["fields"]["phone"] == PURGED
    assert lead["fields"]["zip_code"] == "78701"  # not personal: kept
    assert (lead["consent"]["ip_address"], lead["consent"]["tcpa_text"]) == (
        PURGED,
        EVIDENCE["tcpa_text"],
    )
    assert (lead["status"], lead["payout"]) == ("sold", 36.0)
    assert _find(vault, "phone", "5125550191") == []

    again = purge(vault.database_url, *days, "--keep-consent-days", "0")
    assert again == (
        "purged requests: 0, buyer calls: 0, pings: 0, leads: 0, lookup hashes: 0, consents: 0"
    ), again


def test_serve_purges_on_its_schedule(fleet: ThreadedFleet, tmp_path: Path) -> None:
    """With a retention set, ``serve`` purges at start and every PICKPOST_PURGE_EVERY_S."""
    path = tmp_path / "workspace.json"
    path.write_text(json.dumps(workspace(fleet.base_urls)))
    database_url = f"sqlite:///{tmp_path / 'pickpost.db'}"
    env = {"PICKPOST_KEEP_REQUESTS_DAYS": "0", "PICKPOST_PURGE_EVERY_S": "0.2"}
    server = ServerProcess(path, database_url, tmp_path / "server.log", env=env)
    with server, httpx.Client(base_url=server.base_url, timeout=30) as http:
        sut = System(server, fleet, database_url, http)
        lead_id = sut.direct_post("1200", first_name="Purgeable").json()["lead_id"]
        sut.lead(lead_id)  # flush the request log
        deadline = time.monotonic() + 30  # a generous bound: the schedule runs every 0.2 s
        while time.monotonic() < deadline:
            rows = sut.query("SELECT request FROM requests WHERE lead_id = :i", i=lead_id)
            if rows and "Purgeable" not in str(rows):
                break
            time.sleep(0.2)
        assert rows
        assert "Purgeable" not in str(rows)
        # Only the requests' retention was set: the lead keeps its fields.
        assert sut.lead(lead_id)["fields"]["first_name"] == "Purgeable"
