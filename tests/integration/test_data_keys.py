"""The data keys on SQLite and PostgreSQL: made on first use, rotated with ``pickpost keys
rotate`` as an operator runs it, and refused when the master key that wraps them is missing."""

import asyncio
import base64
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from pickpost.infra.crypto import DataKeyError, Keyring
from pickpost.infra.sql.engine import make_engine
from pickpost.infra.sql.keys import Masters, SqlKeyring
from pickpost.infra.sql.migrate import upgrade
from tests.support.databases import deployment_urls

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(params=["sqlite", "postgres"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with deployment_urls(request.param, tmp_path) as (url, _):
        upgrade(url)
        yield url


def keyring(url: str, masters: Masters) -> Keyring:
    async def run() -> Keyring:
        engine = make_engine(url)
        try:
            return (await SqlKeyring.open(engine, masters)).current
        finally:
            await engine.dispose()

    return asyncio.run(run())


def rotate(url: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("PICKPOST_DATA_KEY")}
    return subprocess.run(
        [sys.executable, "-m", "pickpost", "keys", "rotate", "--database", url],
        capture_output=True, text=True, timeout=120, cwd=ROOT, check=False,
        env={**clean, **env},
    )  # fmt: skip


def b64(key: bytes) -> str:
    return base64.b64encode(key).decode()


def test_rotation_rewraps_data_keys_and_old_values_stay_readable(database: str) -> None:
    old, new = os.urandom(32), os.urandom(32)
    before = keyring(database, Masters(old))
    token = before.seal("phone", "5125550142")
    digest = before.lookup_hash("phone", "5125550142")
    assert keyring(database, Masters(old)) == before  # made once, then read back

    rotated = rotate(database, PICKPOST_DATA_KEY=b64(new), PICKPOST_DATA_KEY_PREVIOUS=b64(old))
    assert rotated.returncode == 0, rotated.stderr
    assert "data keys re-wrapped: 2" in rotated.stdout

    after = keyring(database, Masters(new))
    assert after.open("phone", token) == "5125550142"
    assert after.lookup_hash("phone", "5125550142") == digest  # lookups survive rotation
    assert after.current_value != before.current_value  # new values use a new data key
    assert after.open("phone", after.seal("phone", "x")) == "x"
    with pytest.raises(DataKeyError, match="not configured"):
        keyring(database, Masters(old))
    with pytest.raises(DataKeyError, match="set PICKPOST_DATA_KEY"):
        keyring(database, Masters(None))

    again = rotate(database, PICKPOST_DATA_KEY=b64(new))
    assert "data keys re-wrapped: 0" in again.stdout
    wrong = os.urandom(32)
    refused = rotate(database, PICKPOST_DATA_KEY=b64(wrong))
    assert refused.returncode == 2
    assert "is wrapped by a master key that is not configured" in " ".join(refused.stderr.split())
    assert b64(wrong) not in refused.stderr + refused.stdout


def test_without_a_master_key_nothing_is_made(database: str) -> None:
    assert keyring(database, Masters(None)) == Keyring()
    assert not keyring(database, Masters(None)).encrypts


def test_nodes_starting_together_make_one_pair_of_data_keys(database: str) -> None:
    master = os.urandom(32)

    async def start_four() -> list[Keyring]:
        engines = [make_engine(database) for _ in range(4)]
        try:
            opened = await asyncio.gather(
                *(SqlKeyring.open(engine, Masters(master)) for engine in engines)
            )
            return [keyring.current for keyring in opened]
        finally:
            for engine in engines:
                await engine.dispose()

    keyrings = asyncio.run(start_four())
    assert all(k == keyrings[0] for k in keyrings)
    assert (len(keyrings[0].value_keys), len(keyrings[0].lookup_keys)) == (1, 1)
