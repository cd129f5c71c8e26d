"""Archiving through the command line against a running server: an archived campaign refuses
its traffic with code 1021 at every endpoint and keeps its history; restored, it sells again.
On SQLite and PostgreSQL + Redis."""

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.server import ADMIN_TOKEN
from tests.support.system import System, bid_of
from tests.support.waiting import eventually

ROOT = Path(__file__).resolve().parents[2]
HISTORY = (
    "SELECT (SELECT count(*) FROM leads WHERE campaign_id = :c), "
    "(SELECT count(*) FROM sales s JOIN leads l ON l.id = s.lead_id WHERE l.campaign_id = :c), "
    "(SELECT count(*) FROM pings WHERE campaign_id = :c)"
)


def campaigns(system: System, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pickpost", "campaigns", *args, "--database", system.database_url],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        check=False,
    )


@pytest.fixture
def restored(sut: System) -> Iterator[System]:
    """The system, with campaigns 1800 and 1801 restored whatever the test left."""
    yield sut
    for campaign in ("1800", "1801"):
        campaigns(sut, "restore", campaign)


def archived_answer(response: httpx.Response) -> bool:
    return (response.status_code, response.json()["code"]) == (403, 1021)


def test_an_archived_campaign_refuses_traffic_and_keeps_its_history(restored: System) -> None:
    sut = restored
    ping = sut.ping("1800")
    sold = sut.post(ping, [bid_of(ping, "alpha")], "1800").json()
    assert sold["code"] == 0, sold
    direct = sut.direct_post("1801").json()
    assert direct["code"] == 0, direct
    waiting = sut.ping("1800")  # pinged before the archive, posted after it
    assert waiting.json()["code"] == 0
    # One lead sold in each, two pings of 1800 (the ledger stores pings in the background).
    before = {"1800": [(1, 1, 2)], "1801": [(1, 1, 0)]}
    assert eventually(lambda: {c: sut.query(HISTORY, c=c) for c in before} == before)

    for campaign in ("1800", "1801"):
        done = campaigns(sut, "archive", campaign)
        assert done.returncode == 0, done.stderr
        assert f"campaign {campaign} archived" in done.stdout
    listed = campaigns(sut, "list").stdout
    rows = [line.split() for line in listed.splitlines() if line.startswith("180")]
    assert [(row[0], "archived" in row) for row in rows] == [("1800", True), ("1801", True)]
    assert eventually(lambda: archived_answer(sut.ping("1800")))
    answer = sut.ping("1800").json()
    assert (answer["status"], answer["message"]) == ("ERROR", "campaign is archived")
    assert archived_answer(sut.post(waiting, [bid_of(waiting, "alpha")], "1800"))
    assert eventually(lambda: archived_answer(sut.direct_post("1801")))
    # Only a supplier that proves its key learns of the archive.
    wrong = sut.call("/ping", "1800", supplier="404")
    assert (wrong.status_code, wrong.json()["code"]) == (401, 1002)

    assert {c: sut.query(HISTORY, c=c) for c in before} == before
    assert sut.lead(sold["lead_id"])["campaign_id"] == "1800"
    assert sut.lead(direct["lead_id"])["campaign_id"] == "1801"

    for campaign in ("1800", "1801"):
        assert campaigns(sut, "restore", campaign).returncode == 0
    assert eventually(lambda: sut.direct_post("1801").json()["code"] == 0)
    again = sut.post(waiting, [bid_of(waiting, "alpha")], "1800").json()
    assert again["code"] == 0, again


def test_archiving_an_unknown_campaign_is_one_line(restored: System) -> None:
    result = campaigns(restored, "archive", "no-such-campaign")
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "no campaign no-such-campaign (`pickpost campaigns list` shows them)"
    )


def test_the_admin_api_archives_and_restores(restored: System) -> None:
    sut = restored
    admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    archived = sut.http.post("/api/v1/campaigns/1801/archive", headers=admin)
    assert archived.json() == {"campaign_id": "1801", "archived": True}
    assert eventually(lambda: archived_answer(sut.direct_post("1801")))
    restored_answer = sut.http.post("/api/v1/campaigns/1801/restore", headers=admin)
    assert restored_answer.json() == {"campaign_id": "1801", "archived": False}
    assert eventually(lambda: sut.direct_post("1801").json()["code"] == 0)
    unknown = sut.http.post("/api/v1/campaigns/nope/archive", headers=admin)
    assert (unknown.status_code, unknown.json()["code"]) == (404, 1030)
    anonymous = sut.http.post("/api/v1/campaigns/1801/archive")
    assert (anonymous.status_code, anonymous.json()["code"]) == (401, 1002)
