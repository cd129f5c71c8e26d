"""``pickpost seed`` into a migrated database with the demo workspace loaded, on SQLite and
PostgreSQL: the ledger holds what the command reported, consistently; personal values are
sealed and found by the admin API's exact search; a database with leads is refused unless
``--append``, one without a workspace always."""

import asyncio
import base64
import os
import re
from collections.abc import Iterator
from importlib.resources import as_file
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from pickpost.demo import FILES
from pickpost.infra.sql.engine import make_engine
from tests.support.cli import pickpost
from tests.support.databases import deployment_urls
from tests.support.server import ADMIN_TOKEN, ServerProcess

DATA_KEY = base64.b64encode(os.urandom(32)).decode()
ENV = {**os.environ, "PICKPOST_DATA_KEY": DATA_KEY}


@pytest.fixture(params=["sqlite", "postgres"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with deployment_urls(request.param, tmp_path) as (url, _redis):
        yield url


def seeded_leads(output: str) -> int:
    found = re.search(r"seeded leads ([\d,]+)", output)
    assert found, output
    return int(found.group(1).replace(",", ""))


def scalar(database: str, statement: str) -> Any:
    """The one value ``statement`` selects, read straight from the database."""

    async def run() -> Any:
        engine = make_engine(database)
        try:
            async with engine.connect() as conn:
                return (await conn.execute(sa.text(statement))).scalar_one()
        finally:
            await engine.dispose()

    return asyncio.run(run())


def test_a_seeded_history_is_in_the_ledger_and_searchable(database: str, tmp_path: Path) -> None:
    with as_file(FILES / "workspace.yaml") as workspace:
        assert pickpost("load", str(workspace), "--database", database).returncode == 0
        seeded = pickpost(
            "seed", "--database", database, "--days", "2", "--leads-per-day", "60", env=ENV
        )
        assert seeded.returncode == 0, seeded.stderr
        leads = seeded_leads(seeded.stdout)
        assert leads > 30
        assert scalar(database, "SELECT count(*) FROM leads") == leads
        # Consistent rows: sales of seeded leads, one consent per lead, traffic counts that
        # match the pings and buyer calls, returns of sold sales.
        assert scalar(database, "SELECT count(*) FROM consents") == leads
        assert scalar(database, "SELECT count(*) FROM sales") > 0
        orphans = "SELECT count(*) FROM sales s LEFT JOIN leads l ON l.id = s.lead_id "
        assert scalar(database, orphans + "WHERE l.id IS NULL") == 0
        pings = "SELECT sum(count) FROM traffic_rollups WHERE metric = 'ping'"
        assert scalar(database, pings) == scalar(database, "SELECT count(*) FROM pings")
        pinged = "SELECT sum(count) FROM traffic_rollups WHERE metric = 'call'"
        ping_calls = "SELECT count(*) FROM buyer_calls WHERE step = 'ping'"
        assert scalar(database, pinged) == scalar(database, ping_calls)
        unsold = (
            "SELECT count(*) FROM returns r JOIN sales s "
            "ON s.lead_id = r.lead_id AND s.buyer_id = r.buyer_id WHERE s.status <> 'sold'"
        )
        assert scalar(database, unsold) == 0
        # Sealed at rest, as live leads are with a data key.
        text = "CAST(fields AS TEXT)"
        assert (
            scalar(database, f"SELECT count(*) FROM leads WHERE {text} LIKE '%example.com%'") == 0
        )
        assert scalar(database, "SELECT count(*) FROM lead_lookups") >= leads
        lead_id = scalar(database, "SELECT id FROM leads ORDER BY created_at DESC LIMIT 1")

        server = ServerProcess(
            workspace, database, tmp_path / "server.log", env={"PICKPOST_DATA_KEY": DATA_KEY}
        )
        with server, httpx.Client(base_url=server.base_url, timeout=30) as http:
            auth = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
            lead = http.get(f"/api/v1/leads/{lead_id}", headers=auth).json()
            email = lead_fields(lead)["email"]
            assert str(email).endswith("@example.com")
            found = http.get(
                "/api/v1/leads",
                params={"field_name": "email", "field_value": str(email).upper()},
                headers=auth,
            )
            assert found.status_code == 200
            assert lead_id in {item["lead_id"] for item in found.json()["leads"]}


def lead_fields(view: dict[str, Any]) -> dict[str, Any]:
    fields = view["fields"]
    assert isinstance(fields, dict)
    return fields


def test_a_database_with_leads_is_refused_unless_appending(database: str) -> None:
    with as_file(FILES / "workspace.yaml") as workspace:
        assert pickpost("load", str(workspace), "--database", database).returncode == 0
    first = pickpost("seed", "--database", database, "--days", "1", "--leads-per-day", "20")
    assert first.returncode == 0, first.stderr
    count = scalar(database, "SELECT count(*) FROM leads")

    again = pickpost("seed", "--database", database, "--days", "1", "--leads-per-day", "20")
    assert again.returncode == 2
    assert "already has leads" in again.stderr
    assert "--append" in again.stderr
    assert len(again.stderr.strip().splitlines()) == 1
    assert scalar(database, "SELECT count(*) FROM leads") == count

    more = pickpost(
        "seed", "--database", database, "--days", "1", "--leads-per-day", "20", "--append"
    )
    assert more.returncode == 0, more.stderr
    assert scalar(database, "SELECT count(*) FROM leads") == count + seeded_leads(more.stdout)


def test_no_workspace_no_seed(database: str) -> None:
    refused = pickpost("seed", "--database", database)
    assert refused.returncode == 2
    assert refused.stderr.strip() == (
        "no workspace is loaded: load one first with `pickpost load FILE`"
    )
    assert scalar(database, "SELECT count(*) FROM leads") == 0
