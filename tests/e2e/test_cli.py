"""The command line as a user runs it: load, and the demo's printed requests."""

import base64
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
import yaml

from pickpost.bench.processes import free_port
from pickpost.demo import FILES as DEMO
from tests.support.cli import ROOT, pickpost

WORKSPACE = str(DEMO / "workspace.yaml")
FULL_EXAMPLE = str(DEMO / "examples" / "full-workspace.yaml")


def test_loading_the_same_workspace_twice_changes_nothing(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'p.db'}"
    first = pickpost("load", WORKSPACE, "--database", database)
    assert first.returncode == 0, first.stderr
    assert "created: 3, updated: 0, unchanged: 0" in first.stdout
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'p.db'}")
    query = sa.text("SELECT id, doc_hash, updated_at, doc FROM campaigns")
    with engine.connect() as conn:
        before = conn.execute(query).all()
    second = pickpost("load", WORKSPACE, "--database", database)
    assert "created: 0, updated: 0, unchanged: 3" in second.stdout
    with engine.connect() as conn:
        after = conn.execute(query).all()
    engine.dispose()
    assert after == before
    # The supplier key is stored hashed, never as given.
    assert "demo-supplier-key-not-secret" not in str(before[0].doc)


def test_the_two_shipped_workspaces_load_into_one_database(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'p.db'}"
    demo = pickpost("load", WORKSPACE, "--database", database)
    assert demo.returncode == 0, demo.stderr
    full = pickpost("load", FULL_EXAMPLE, "--database", database)
    assert full.returncode == 0, full.stderr
    assert "created: 3, updated: 0, unchanged: 0" in full.stdout
    again = pickpost("load", WORKSPACE, "--database", database)
    assert "created: 0, updated: 0, unchanged: 3" in again.stdout


def test_a_changed_workspace_updates_the_campaign(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'p.db'}"
    doc = yaml.safe_load((DEMO / "workspace.yaml").read_text())
    path = tmp_path / "ws.json"
    path.write_text(json.dumps(doc))
    assert pickpost("load", str(path), "--database", database).returncode == 0
    doc["campaigns"][0]["ping_timeout_ms"] = 900
    path.write_text(json.dumps(doc))
    result = pickpost("load", str(path), "--database", database)
    assert "created: 0, updated: 1, unchanged: 2" in result.stdout


def test_an_invalid_workspace_is_refused_naming_the_buyer_and_key(tmp_path: Path) -> None:
    doc = yaml.safe_load((DEMO / "workspace.yaml").read_text())
    doc["campaigns"][0]["buyers"][1]["timeout_ms"] = "soon"
    doc["campaigns"][0]["buyers"][2]["colour"] = "blue"
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(doc))
    result = pickpost("load", str(path), "--database", f"sqlite:///{tmp_path / 'p.db'}")
    assert result.returncode == 2
    message = " ".join(result.stderr.split())
    assert "campaign '101' buyer 'brightside': timeout_ms" in message
    assert "campaign '101' buyer 'voltwise': unknown key 'colour'" in message


def test_unsupported_database_url() -> None:
    result = pickpost("migrate", "--database", "mysql://localhost/x")
    assert result.returncode == 2
    assert "unsupported database URL" in result.stderr


def test_demo_prints_requests_that_work(tmp_path: Path) -> None:
    """`make run`'s demo: the printed PING, POST and lead lookup, pasted into a shell."""
    port = free_port()
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    demo = subprocess.Popen(
        [sys.executable, "-m", "pickpost", "demo", "--port", str(port),
         "--database", f"sqlite:///{tmp_path / 'demo.db'}"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        assert demo.stdout is not None
        lines: list[str] = []
        until = time.monotonic() + 90  # migrating, loading, seeding a week, starting
        while time.monotonic() < until:
            line = demo.stdout.readline()
            if not line:
                pytest.fail("demo exited:\n" + "".join(lines))
            lines.append(line)
            if "Application startup complete" in line:
                break
        # A fresh demo database opens on a week of seeded traffic.
        assert any(re.match(r"^seeded leads [1-9]", line) for line in lines), lines
        script = "\n".join(line for line in lines if re.match(r"^(PING=|POST=|echo |curl )", line))
        shell = subprocess.run(
            ["bash", "-c", script], capture_output=True, text=True, timeout=60, check=True
        )
        ping, post, lead = (json.loads(x) for x in shell.stdout.split("\n") if x.strip())
        assert ping["status"] == "ACCEPTED"
        assert ping["meta"]["buyers_pinged"] == 6
        assert post["lead_id"] == lead["lead_id"]
        assert post["meta"]["consented_bids"] == 2
        assert lead["consent"]["tcpa_text"].startswith("By clicking Submit")
        assert any(call["step"] == "post" for call in lead["timeline"])
        # The exchange (102) and Direct Post (103) commands printed after them.
        script = "\n".join(line for line in lines if re.match(r"^(XPING=|XPOST=|DIRECT=)", line))
        shell = subprocess.run(
            ["bash", "-c", script], capture_output=True, text=True, timeout=60, check=True
        )
        xping, xpost, direct = (json.loads(x) for x in shell.stdout.split("\n") if x.strip())
        assert (xping["code"], "bids" in xping) == (0, False)
        assert xpost["code"] == 0
        assert 0 < xpost["payout"] <= xping["payout"]  # a fallback never pays more than quoted
        assert (direct["code"], direct["meta"]["buyers_priced"]) == (0, 3)
        # The console, signed in as the printed demo user, opens on the seeded week.
        printed = next(line for line in lines if "sign in as" in line)
        user, password = printed.split("sign in as ")[1].strip().split(" / ")
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            form = client.get("/console/sign-in")
            csrf = re.search(r'name="csrf" value="([^"]+)"', form.text)
            assert csrf is not None, form.text
            data = {"csrf": csrf.group(1), "name": user, "password": password}
            assert client.post("/console/sign-in", data=data).status_code == 303
            dashboard = client.get("/console", params={"range": "7d"})
        assert dashboard.status_code == 200
        assert "Revenue, cost and profit" in dashboard.text
    finally:
        demo.terminate()
        # The demo must stop its simulated buyers too: they share its output pipe, so an
        # orphaned fleet would keep this from returning.
        try:
            demo.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            demo.kill()
            demo.communicate()
            raise


def test_a_workspace_that_conflicts_with_stored_campaigns_is_refused(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'p.db'}"
    assert pickpost("load", WORKSPACE, "--database", database).returncode == 0
    doc = yaml.safe_load((DEMO / "workspace.yaml").read_text())
    other = doc["campaigns"][0]
    other["id"] = "199"
    doc["campaigns"] = [other]
    other["suppliers"][0]["key"] = "a-different-key-for-supplier-7"
    path = tmp_path / "other.yaml"
    path.write_text(yaml.safe_dump(doc))
    result = pickpost("load", str(path), "--database", database)
    assert result.returncode == 2
    assert "supplier '7' has different keys" in " ".join(result.stderr.split())
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'p.db'}")
    with engine.connect() as conn:
        ids = [row.id for row in conn.execute(sa.text("SELECT id FROM campaigns"))]
    engine.dispose()
    assert sorted(ids) == ["101", "102", "103"]


def test_several_workers_need_redis(tmp_path: Path) -> None:
    result = pickpost("serve", "--workers", "2", "--database", f"sqlite:///{tmp_path / 'p.db'}")
    assert result.returncode == 2
    assert "--workers above 1 needs --redis" in " ".join(result.stderr.split())


def test_purge_needs_a_retention_and_reports_counts(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'p.db'}"
    refused = pickpost("purge", "--database", database)
    assert refused.returncode == 2
    assert "give at least one --keep-…-days" in " ".join(refused.stderr.split())
    assert pickpost("load", WORKSPACE, "--database", database).returncode == 0
    done = pickpost("purge", "--database", database, "--keep-requests-days", "30")
    assert done.returncode == 0, done.stderr
    counts = "purged requests: 0, buyer calls: 0, pings: 0, leads: 0, lookup hashes: 0, consents: 0"
    assert counts in " ".join(done.stdout.split())  # the console wraps long lines


def test_a_malformed_data_key_stops_serve_without_echoing_it(tmp_path: Path) -> None:
    bad = "c2hvcnQta2V5"  # base64 of 9 bytes
    result = subprocess.run(
        [sys.executable, "-m", "pickpost", "serve", "--database", f"sqlite:///{tmp_path / 'p.db'}"],
        capture_output=True, text=True, timeout=120, cwd=ROOT, check=False,
        env={**os.environ, "PICKPOST_DATA_KEY": bad},
    )  # fmt: skip
    assert result.returncode == 2
    assert "must be 32 bytes" in result.stderr
    assert bad not in result.stderr + result.stdout


def test_keys_generate_prints_a_usable_master_key() -> None:
    result = pickpost("keys", "generate")
    assert result.returncode == 0
    assert len(base64.b64decode(result.stdout.strip(), validate=True)) == 32
