"""`pickpost users …` as an operator runs it: add (password from standard input), list, set,
token, revoke, sign-out, disable, each audited with the actor ``cli``; and `pickpost load`
audited with each changed campaign's document hash before and after."""

import json
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import yaml

from pickpost.demo import FILES as DEMO
from tests.support.cli import pickpost

PASSWORD = "correct horse battery staple"


def _rows(database: str, statement: str) -> list[Any]:
    engine = sa.create_engine(database)
    try:
        with engine.connect() as conn:
            return list(conn.execute(sa.text(statement)).all())
    finally:
        engine.dispose()


def _json(value: object) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def test_users_are_added_listed_changed_and_every_change_audited(tmp_path: Path) -> None:
    db = ["--database", f"sqlite:///{tmp_path / 'p.db'}"]
    added = pickpost("users", "add", "ana", "--role", "owner", "--time-zone",
                     "America/Chicago", "--password-stdin", *db, input=f"{PASSWORD}\n")  # fmt: skip
    assert added.returncode == 0, added.stderr
    assert "user ana added: owner" in added.stdout
    assert PASSWORD not in added.stdout + added.stderr

    scoped = pickpost("users", "add", "sup", "--role", "supplier", "--password-stdin", *db,
                      input=f"{PASSWORD}\n")  # fmt: skip
    assert scoped.returncode == 2
    assert "needs a scope" in scoped.stderr
    short = pickpost("users", "add", "bo", "--role", "analyst", "--password-stdin", *db,
                     input="short\n")  # fmt: skip
    assert (short.returncode, "at least 12" in short.stderr) == (2, True)
    assert pickpost("users", "add", "sup", "--role", "supplier", "--scope", "7",
                    "--password-stdin", *db, input=f"{PASSWORD}\n").returncode == 0  # fmt: skip

    listed = pickpost("users", "list", *db).stdout.splitlines()
    assert listed[0].split()[:4] == ["name", "role", "scope", "time"]
    assert listed[1].split()[:4] == ["ana", "owner", "-", "America/Chicago"]
    assert listed[2].split()[:3] == ["sup", "supplier", "7"]

    changed = pickpost("users", "set", "sup", "--role", "buyer", "--scope", "alpha", *db)
    assert changed.returncode == 0, changed.stderr
    assert "user sup: buyer of buyer alpha" in changed.stdout

    made = pickpost("users", "token", "ana", "--label", "ci", *db)
    assert made.returncode == 0, made.stderr
    token = made.stdout.strip().splitlines()[-1]
    token_id = token.split("_")[1]
    assert token.startswith(f"pp_{token_id}_")
    stored = _rows(db[1], "SELECT id, name, secret_hash FROM api_tokens")
    assert [(r[0], r[1]) for r in stored] == [(token_id, "ci")]
    assert token.split("_", 2)[2] not in stored[0][2]  # only a hash of the secret is kept

    for args in (("revoke", token_id), ("sign-out", "ana"), ("disable", "sup")):
        done = pickpost("users", *args, *db)
        assert done.returncode == 0, done.stderr
    assert pickpost("users", "revoke", token_id, *db).returncode == 2
    assert pickpost("users", "disable", "nobody", *db).returncode == 2

    audit = _rows(db[1], "SELECT actor, action, target, before, after FROM audit_log ORDER BY id")
    assert {r[0] for r in audit} == {"cli"}
    assert [r[1] for r in audit] == [
        "user_add", "user_add", "user_change", "token_create", "token_revoke", "user_sign_out",
        "user_disable",
    ]  # fmt: skip
    assert _json(audit[2][3])["role"] == "supplier"
    assert _json(audit[2][4])["role"] == "buyer"
    assert all(PASSWORD not in str(r) and token not in str(r) for r in audit)


def test_loading_a_workspace_is_audited_with_document_hashes(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'p.db'}"
    doc = yaml.safe_load((DEMO / "workspace.yaml").read_text())
    path = tmp_path / "ws.yaml"
    path.write_text(yaml.safe_dump(doc))
    assert pickpost("load", str(path), "--database", database).returncode == 0
    doc["campaigns"][1]["ping_timeout_ms"] = 900
    path.write_text(yaml.safe_dump(doc))
    assert pickpost("load", str(path), "--database", database).returncode == 0
    hashes = dict(_rows(database, "SELECT id, doc_hash FROM campaigns"))
    loads = _rows(
        database,
        "SELECT actor, target, before, after FROM audit_log WHERE action = 'workspace_load' "
        "ORDER BY id",
    )
    assert [(r[0], r[1]) for r in loads] == [("cli", "workspace ws.yaml")] * 2
    first_before, first_after = _json(loads[0][2]), _json(loads[0][3])
    assert first_before["doc_hashes"] == {"101": None, "102": None, "103": None}
    second_before, second_after = _json(loads[1][2]), _json(loads[1][3])
    assert second_before["doc_hashes"] == {"102": first_after["doc_hashes"]["102"]}
    assert second_after["doc_hashes"] == {"102": hashes["102"]}
    assert sorted(second_after["unchanged"]) == ["101", "103"]
