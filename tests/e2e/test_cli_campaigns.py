"""`pickpost campaigns list|archive|restore`, and what `pickpost load` does with a file that
still lists an archived campaign: stores its configuration, leaves it archived, says so."""

import json
from pathlib import Path

import sqlalchemy as sa
import yaml

from pickpost.demo import FILES as DEMO
from tests.support.cli import pickpost


def statuses(database: str) -> dict[str, list[str]]:
    listed = pickpost("campaigns", "list", "--database", database)
    assert listed.returncode == 0, listed.stderr
    header, *rows = listed.stdout.splitlines()
    assert header.split() == [
        *("id", "name", "type", "status", "buyers", "suppliers", "updated", "(UTC)")
    ]
    return {row.split()[0]: row.split() for row in rows}


def test_list_archive_load_restore(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'p.db'}"
    empty = pickpost("campaigns", "list", "--database", database)
    assert "no campaigns" in empty.stdout
    doc = yaml.safe_load((DEMO / "workspace.yaml").read_text())
    path = tmp_path / "ws.yaml"
    path.write_text(yaml.safe_dump(doc))
    assert pickpost("load", str(path), "--database", database).returncode == 0
    listed = statuses(database)
    assert sorted(listed) == ["101", "102", "103"]
    first = doc["campaigns"][0]
    assert listed["101"][-6:-2] == [
        first["type"],
        "live",
        str(len(first["buyers"])),
        str(len(first["suppliers"])),
    ]

    assert pickpost("campaigns", "archive", "102", "--database", database).returncode == 0
    assert "archived" in statuses(database)["102"]

    doc["campaigns"][1]["ping_timeout_ms"] = 900
    doc["campaigns"][1]["paused"] = True
    path.write_text(yaml.safe_dump(doc))
    loaded = pickpost("load", str(path), "--database", database)
    assert loaded.returncode == 0, loaded.stderr
    assert "created: 0, updated: 1, unchanged: 2" in loaded.stdout
    assert "archived, so not served (configuration stored): 102" in " ".join(loaded.stdout.split())
    assert "archived" in statuses(database)["102"]
    engine = sa.create_engine(database)
    with engine.connect() as conn:
        doc_102 = conn.execute(sa.text("SELECT doc FROM campaigns WHERE id = '102'")).scalar_one()
    engine.dispose()
    assert json.loads(doc_102)["ping_timeout_ms"] == 900

    restored = pickpost("campaigns", "restore", "102", "--database", database)
    assert restored.returncode == 0
    assert "campaign 102 restored" in restored.stdout
    assert "paused" in statuses(database)["102"]  # restored to what its configuration says
