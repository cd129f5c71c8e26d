"""The consent ledger end to end on SQLite and PostgreSQL: leads sold through a running server
(personal values encrypted), ``pickpost consent verify`` as an operator runs it, the evidence
bundle over HTTP, the retention purge, and tampering straight in SQL reported by name."""

import asyncio
import base64
import json
import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from pickpost.domain.consent_ledger import Draft, Entry, EntryKind, append, delivered_draft
from pickpost.domain.errors import Code
from pickpost.infra.sql import schema
from pickpost.infra.sql.consent_ledger import SqlConsentLedger
from pickpost.infra.sql.engine import make_engine
from tests.support.cli import pickpost
from tests.support.consent_docs import documented_verifier
from tests.support.databases import deployment_urls
from tests.support.fleet import ThreadedFleet
from tests.support.personal import in_clear
from tests.support.server import ADMIN_TOKEN, ServerProcess
from tests.support.system import System, bid_of, workspace
from tests.support.waiting import eventually

DATA_KEY = base64.b64encode(os.urandom(32)).decode()
AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
EVIDENCE = {
    "ip_address": "203.0.113.88",
    "user_agent": "Mozilla/5.0 (Wombat 3)",
    "landing_page_url": "https://supplier.example/roof?ref=9",
    "tcpa_text": "By clicking Submit I agree to be contacted by the companies I selected.",
}
LEDGER = schema.consent_ledger.c


@pytest.fixture(params=["sqlite", "postgres"])
def sut(request: pytest.FixtureRequest, fleet: ThreadedFleet, tmp_path: Path) -> Iterator[System]:
    """A server of its own per test (tests tamper with its database), encrypting personal
    values."""
    path = tmp_path / "workspace.json"
    path.write_text(json.dumps(workspace(fleet.base_urls)))
    with deployment_urls(request.param, tmp_path) as (database_url, redis_url):
        server = ServerProcess(
            path, database_url, tmp_path / "server.log", redis_url,
            env={"PICKPOST_DATA_KEY": DATA_KEY},
        )  # fmt: skip
        with server, httpx.Client(base_url=server.base_url, timeout=30) as http:
            yield System(server, fleet, database_url, http)


def _sell(sut: System, *buyers: str, phone: str = "(512) 555-0177") -> str:
    """A One-to-One lead picked for ``buyers`` in that order; its lead id."""
    ping = sut.ping("100")
    assert ping.json()["code"] == 0, ping.text
    picks = [bid_of(ping, b) for b in buyers]
    post = sut.post(ping, picks, "100", phone=phone, **EVIDENCE)
    assert post.json()["code"] == 0, post.text
    return str(post.json()["lead_id"])


def verify(sut: System, *args: str) -> tuple[int, str]:
    result = pickpost(
        "consent", "verify", "--database", sut.database_url, *args,
        env={**os.environ, "PICKPOST_DATA_KEY": DATA_KEY},
    )  # fmt: skip
    return result.returncode, result.stdout + result.stderr


def _run(sut: System, statement: Any, params: dict[str, Any] | None = None) -> None:
    """Change the database behind Pickpost's back, as a tamperer with SQL access would."""

    async def run() -> None:
        engine = make_engine(sut.database_url)
        try:
            async with engine.begin() as conn:
                await conn.execute(statement, params or {})
        finally:
            await engine.dispose()

    asyncio.run(run())


def _seal_today(sut: System, nodes: int = 1) -> None:
    """Seal every day through today, as serve does once today has closed (on ``nodes`` nodes
    at once)."""

    async def run() -> None:
        engines = [make_engine(sut.database_url) for _ in range(nodes)]
        try:
            tomorrow = datetime.now(UTC) + timedelta(days=1, hours=2)
            ledgers = [SqlConsentLedger(e, in_clear(e)) for e in engines]
            await asyncio.gather(*(ledger.seal(tomorrow) for ledger in ledgers))
        finally:
            for engine in engines:
                await engine.dispose()

    asyncio.run(run())


def _row(entry: Entry) -> dict[str, Any]:
    return {
        "lead_id": entry.lead_id, "seq": entry.seq, "kind": entry.kind, "appended_at": entry.at,
        "facts": dict(entry.facts), "commitment": None, "nonce": None,
        "prev_hash": entry.prev_hash, "entry_hash": entry.entry_hash,
    }  # fmt: skip


def _entries(sut: System, lead_id: str) -> list[tuple[Any, ...]]:
    """A lead's rows (seq, kind, facts, commitment, nonce), JSON read as JSON on SQLite too."""
    rows = sut.query(
        "SELECT seq, kind, facts, commitment, nonce FROM consent_ledger WHERE lead_id = :id "
        "ORDER BY seq",
        id=lead_id,
    )
    return [(r[0], r[1], json.loads(r[2]) if isinstance(r[2], str) else r[2], *r[3:]) for r in rows]


def test_sold_leads_verify_with_a_bundle_and_after_the_purge(sut: System) -> None:
    lead_id = _sell(sut, "beta", "alpha")
    direct = sut.direct_post("1200", **EVIDENCE).json()
    assert direct["code"] == 0, direct

    entries = _entries(sut, lead_id)
    assert [e[1] for e in entries] == [
        "bids_shown", "pick_recorded", "consent_delivered", "consent_delivered",
    ]  # fmt: skip
    assert [e[2]["buyer_id"] for e in entries[2:]] == ["beta", "alpha"]
    assert [p["buyer_id"] for p in entries[1][2]["picked"]] == ["beta", "alpha"]
    raw = json.dumps([list(map(str, e)) for e in sut.query("SELECT * FROM consent_ledger")])
    assert not [v for v in EVIDENCE.values() if v in raw]  # hashes only, never the values

    code, said = verify(sut)
    assert code == 0, said
    assert "the consent ledger verifies" in said

    assert sut.http.get(f"/api/v1/leads/{lead_id}/consent").status_code == 401
    missing = sut.http.get("/api/v1/leads/l_nope/consent", headers=AUTH)
    assert (missing.status_code, missing.json()["code"]) == (404, Code.NOT_FOUND)
    bundle = sut.http.get(f"/api/v1/leads/{lead_id}/consent", headers=AUTH).json()
    assert bundle["verified"] is True, bundle["problems"]
    assert bundle["consent"]["evidence"]["ip_address"] == EVIDENCE["ip_address"]
    assert [e["kind"] for e in bundle["entries"]][-1] == "consent_delivered"
    assert bundle["proof"]["days"][0]["sealed"] is False  # today has not closed

    _seal_today(sut)
    sealed = sut.http.get(f"/api/v1/leads/{lead_id}/consent", headers=AUTH).json()["proof"]
    [day] = sealed["days"]
    assert day["sealed"] is True
    assert len(day["inclusions"]) == 4
    assert all(inclusion["proven"] for inclusion in day["inclusions"])
    # The verifier docs/consent.md prints, as a buyer or auditor would run it.
    verify_bundle = documented_verifier()
    bundle = sut.http.get(f"/api/v1/leads/{lead_id}/consent", headers=AUTH).json()
    assert verify_bundle(bundle) == []
    bundle["entries"][2]["facts"]["buyer_id"] = "gamma"
    assert verify_bundle(bundle) == ["entry 2 was edited"]
    page = sut.http.get(f"/api/v1/leads/{lead_id}/consent?format=html", headers=AUTH)
    assert page.headers["content-type"].startswith("text/html")
    assert "default-src 'none'" in page.headers["content-security-policy"]
    assert "The ledger verifies" in page.text
    assert EVIDENCE["tcpa_text"] in page.text
    assert day["root"] in page.text
    roots = pickpost("consent", "roots", "--database", sut.database_url)
    assert roots.returncode == 0, roots.stderr
    [line] = roots.stdout.splitlines()
    assert json.loads(line)["root"] == day["root"]

    purged = pickpost(
        "purge", "--database", sut.database_url,
        "--keep-consent-days", "0", "--keep-lead-fields-days", "0",
    )  # fmt: skip
    assert purged.returncode == 0, purged.stderr
    assert all(e[4] is None for e in _entries(sut, lead_id))  # the nonces went with the values
    code, said = verify(sut)
    assert code == 0, said
    assert "evidence not opened (purged, or no key): 2" in said


def test_tampering_is_reported_by_name(sut: System, tmp_path: Path) -> None:
    edited, deleted, swapped, wiped, picked, untouched = (
        _sell(sut, "alpha", "beta", phone=f"51255501{n:02d}") for n in range(6)
    )
    _seal_today(sut, nodes=3)
    assert verify(sut)[0] == 0
    today = datetime.now(UTC).date().isoformat()
    assert sut.query("SELECT count(*) FROM consent_roots") == [(1,)]
    escrow = tmp_path / "escrowed-roots.jsonl"
    exported = pickpost("consent", "roots", "--database", sut.database_url, "--out", str(escrow))
    assert exported.returncode == 0, exported.stderr

    def where(lead_id: str, seq: int) -> Any:
        return sa.and_(LEDGER.lead_id == lead_id, LEDGER.seq == seq)

    # An edited field: the buyer a consent was delivered to.
    _run(sut, schema.consent_ledger.update().where(where(edited, 2)).values(
        facts={"sale_id": 1, "buyer_id": "gamma", "bid_id": "b_x"}))  # fmt: skip
    # A deleted entry: the pick.
    _run(sut, schema.consent_ledger.delete().where(where(deleted, 1)))
    # Two entries swapped.
    for old, new in ((2, 99), (3, 2), (99, 3)):
        _run(sut, schema.consent_ledger.update().where(where(swapped, old)).values(seq=new))
    # A whole lead's chain deleted after its day was sealed.
    _run(sut, schema.consent_ledger.delete().where(LEDGER.lead_id == wiped))
    # The consent record's pick reordered (the chain itself untouched).
    _run(
        sut,
        sa.text("UPDATE consents SET bids_picked = bids_shown WHERE lead_id = :id"),
        {"id": picked},
    )
    # A day's root edited.
    _run(sut, schema.consent_roots.update().values(merkle_root="0" * 64))

    code, said = verify(sut)
    assert code == 1, said
    lines = said.splitlines()

    def reported(*parts: str) -> bool:
        return any(all(part in line for part in parts) for line in lines)

    assert reported(f"lead {edited}, entry 2: edited"), said
    assert reported(f"lead {deleted}, entry 1: deleted"), said
    assert reported(f"lead {swapped}", "reordered"), said
    assert reported(f"lead {wiped}", "no bids_shown entry"), said
    assert reported(f"lead {picked}", "differs from its pick_recorded entry"), said
    assert reported(f"day {today}: root mismatch: its root record was edited"), said
    assert reported(f"day {today}: root mismatch: its entries no longer give its root"), said
    assert not reported(f"lead {untouched}"), said
    assert "the consent ledger does not verify" in said

    code, said = verify(sut, "--against", str(escrow))
    assert f"day {today}: root mismatch: its root differs from the copy" in said
    code, since_today = verify(sut, "--since", today)
    assert code == 1
    assert {line for line in lines if "tampered" in line} <= set(since_today.splitlines())

    # One lead's chain on its own, with the roots of the days it was appended on.
    code, said = verify(sut, "--lead", swapped)
    assert code == 1
    assert f"lead {swapped}" in said
    assert f"lead {edited}" not in said
    code, said = verify(sut, "--lead", untouched)
    assert f"lead {untouched}" not in said
    assert (code, f"day {today}: root mismatch: its root record was edited" in said) == (1, True)


def test_an_entry_forged_at_the_end_of_a_chain_is_caught_by_the_sales_and_the_root(
    sut: System,
) -> None:
    lead_id = _sell(sut, "alpha")
    _seal_today(sut)
    [(seq, head)] = sut.query(
        "SELECT seq, entry_hash FROM consent_ledger WHERE lead_id = :id ORDER BY seq DESC LIMIT 1",
        id=lead_id,
    )

    draft = delivered_draft(9999, "beta", "b_x", datetime.now(UTC))
    [entry] = append(lead_id, (seq, head), [draft])
    _run(sut, schema.consent_ledger.insert(), _row(entry))
    code, said = verify(sut)
    assert code == 1, said
    assert f"lead {lead_id}, entry {seq + 1}: mismatch: sale 9999 is not sold" in said
    assert "root mismatch: its entries no longer give its root" in said


def test_serve_seals_closed_days_on_its_schedule(fleet: ThreadedFleet, tmp_path: Path) -> None:
    path = tmp_path / "workspace.json"
    path.write_text(json.dumps(workspace(fleet.base_urls)))
    database_url = f"sqlite:///{tmp_path / 'pickpost.db'}"
    env = {"PICKPOST_CONSENT_SEAL_EVERY_S": "0.2"}
    server = ServerProcess(path, database_url, tmp_path / "server.log", env=env)
    with server, httpx.Client(base_url=server.base_url, timeout=30) as http:
        sut = System(server, fleet, database_url, http)
        lead_id = _sell(sut, "alpha")
        [(seq, head)] = sut.query(
            "SELECT seq, entry_hash FROM consent_ledger WHERE lead_id = :id ORDER BY seq DESC "
            "LIMIT 1",
            id=lead_id,
        )
        # An entry of a day long closed (as a revocation of an old lead will be).
        closed = datetime.now(UTC) - timedelta(days=2)
        draft = Draft(EntryKind.REVOCATION_REQUESTED, closed, {"requested_by": "consumer"})
        [entry] = append(lead_id, (seq, head), [draft])
        _run(sut, schema.consent_ledger.insert(), _row(entry))
        assert eventually(lambda: bool(sut.query("SELECT day FROM consent_roots")), 30)
        [(day, entries)] = sut.query("SELECT day, entries FROM consent_roots")
        assert (str(day), entries) == (closed.date().isoformat(), 1)
        code, said = verify(sut)
        assert code == 0, said
