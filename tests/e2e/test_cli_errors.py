"""Operational errors as a new user meets them: one line naming what to fix, a non-zero exit
code, and the traceback only with ``--debug``."""

import os
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.cli import pickpost as run_pickpost

UNREACHABLE = "postgresql://pp:s3cret-pw@127.0.0.1:1/db"  # nothing listens on port 1


def pickpost(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run the command with ``env`` added to this process's variables, and without
    PICKPOST_DATA_KEY unless ``env`` gives it."""
    variables = {k: v for k, v in os.environ.items() if k != "PICKPOST_DATA_KEY"}
    return run_pickpost(*args, env={**variables, **(env or {})})


def one_line(result: subprocess.CompletedProcess[str]) -> str:
    assert "Traceback" not in result.stderr + result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


@pytest.fixture
def busy_port() -> Iterator[int]:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        yield int(listener.getsockname()[1])


@pytest.mark.parametrize(
    "command",
    [
        ["migrate"],
        ["serve"],
        ["load", "src/pickpost/demo/workspace.yaml"],
        ["purge", "--keep-requests-days", "1"],
        ["keys", "rotate"],
    ],
)
def test_an_unreachable_database_is_one_line(command: list[str]) -> None:
    key = {"PICKPOST_DATA_KEY": "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWY="}
    result = pickpost(*command, "--database", UNREACHABLE, env=key)
    assert result.returncode == 1
    line = one_line(result)
    assert "cannot use the database postgresql://pp:***@127.0.0.1:1/db" in line
    assert "--database" in line
    assert "s3cret-pw" not in result.stderr


def test_debug_shows_the_traceback() -> None:
    result = pickpost("--debug", "migrate", "--database", UNREACHABLE)
    assert result.returncode != 0
    assert "Traceback" in result.stderr
    assert "ConnectionRefusedError" in result.stderr


def test_a_missing_postgresql_database_is_named(tmp_path: Path) -> None:
    absent = "postgresql://postgres@127.0.0.1:5432/pickpost_no_such_database"
    result = pickpost("migrate", "--database", absent)
    assert result.returncode == 1
    assert 'database "pickpost_no_such_database" does not exist' in one_line(result)


def test_serve_on_a_busy_port_says_so_before_starting(tmp_path: Path, busy_port: int) -> None:
    database = f"sqlite:///{tmp_path / 'p.db'}"
    result = pickpost("serve", "--database", database, "--port", str(busy_port))
    assert result.returncode == 1
    assert f"port {busy_port} on 127.0.0.1 is in use" in one_line(result)
    assert "startup complete" not in result.stdout + result.stderr


def test_demo_on_a_busy_port_prints_no_requests(tmp_path: Path, busy_port: int) -> None:
    database = f"sqlite:///{tmp_path / 'demo.db'}"
    result = pickpost("demo", "--database", database, "--port", str(busy_port))
    assert result.returncode == 1
    assert f"port {busy_port} on 127.0.0.1 is in use" in one_line(result)
    assert "curl" not in result.stdout


def test_simbuyers_on_a_busy_port(tmp_path: Path, busy_port: int) -> None:
    fleet = tmp_path / "fleet.yaml"
    fleet.write_text(f"buyers:\n  - {{id: a, port: {busy_port}, price: 5}}\n", "utf-8")
    result = pickpost("simbuyers", "--config", str(fleet))
    assert result.returncode == 1
    line = one_line(result)
    assert "a simulated buyer cannot listen" in line
    assert "address already in use" in line


@pytest.mark.parametrize(
    ("text", "words"),
    [(None, "No such file or directory"), ("buyers: [", "fleet.yaml"), ("buyers: 3", "buyers")],
)
def test_simbuyers_with_a_bad_fleet_file(tmp_path: Path, text: str | None, words: str) -> None:
    fleet = tmp_path / "fleet.yaml"
    if text is not None:
        fleet.write_text(text, "utf-8")
    result = pickpost("simbuyers", "--config", str(fleet))
    assert result.returncode == 2
    line = one_line(result)
    assert line.startswith(f"cannot use the fleet file {fleet}")
    assert words in line


@pytest.mark.parametrize(
    ("url", "code", "words"),
    [
        ("redis://:pw-s3cret@127.0.0.1:1/0", 1, "cannot use Redis at redis://:***@127.0.0.1:1/0"),
        ("foo://127.0.0.1", 2, "--redis: Redis URL must specify one of the following schemes"),
    ],
)
def test_serve_with_unusable_redis(tmp_path: Path, url: str, code: int, words: str) -> None:
    database = f"sqlite:///{tmp_path / 'p.db'}"
    result = pickpost("serve", "--database", database, "--redis", url)
    assert result.returncode == code
    assert words in one_line(result)
    assert "pw-s3cret" not in result.stderr


def test_a_data_key_that_cannot_read_the_database_stops_serve(tmp_path: Path) -> None:
    """docs/security.md: a database with data keys refuses a server without the master key
    that wrapped them; that used to end inside uvicorn's startup traceback with exit 3."""
    database = f"sqlite:///{tmp_path / 'p.db'}"
    first, other = (pickpost("keys", "generate").stdout.strip() for _ in range(2))
    made = pickpost("keys", "rotate", "--database", database, env={"PICKPOST_DATA_KEY": first})
    assert made.returncode == 0, made.stderr
    without = pickpost("serve", "--database", database)
    assert without.returncode == 2
    assert "this database holds encrypted values: set PICKPOST_DATA_KEY" in one_line(without)
    wrong = pickpost("serve", "--database", database, env={"PICKPOST_DATA_KEY": other})
    assert wrong.returncode == 2
    assert "wrapped by a master key that is not configured" in one_line(wrong)
    assert other not in wrong.stderr


NUMERIC_IDS = """\
campaigns:
  - id: 101
    type: direct_post
    suppliers: [{id: 7, key: test-supplier-key}]
    buyers:
      - {id: 1, tcpa_entity_name: One LLC, post_url: "http://127.0.0.1:9/post", price: {static: 5}}
"""


@pytest.mark.parametrize(
    ("text", "code", "words"),
    [
        (NUMERIC_IDS, 0, "campaigns created: 1"),
        ("", 2, "ws.yaml is empty"),
        ("campaigns: []\n", 2, "ws.yaml lists no campaigns"),
        (NUMERIC_IDS.replace("post_url", "pots_url"), 2, "did you mean 'post_url'?"),
        (NUMERIC_IDS.replace("type:", "type: [}"), 2, "ws.yaml:3:"),
        (None, 2, "cannot read"),
    ],
)
def test_load_exit_codes(tmp_path: Path, text: str | None, code: int, words: str) -> None:
    path = tmp_path / "ws.yaml"
    if text is not None:
        path.write_text(text, "utf-8")
    result = pickpost("load", str(path), "--database", f"sqlite:///{tmp_path / 'p.db'}")
    assert result.returncode == code, result.stderr
    assert words in result.stdout + result.stderr
    assert "Traceback" not in result.stderr
