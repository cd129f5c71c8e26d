"""The SQL stores of the console on SQLite and PostgreSQL: one session key whichever nodes race
to make it, users and tokens as stored, and the audit log read with filters and pages."""

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from pickpost.domain.audit import AuditEntry, AuditQuery
from pickpost.domain.people import Role
from pickpost.infra.sql.audit import SqlAuditLog
from pickpost.infra.sql.engine import make_engine
from pickpost.infra.sql.migrate import upgrade
from pickpost.infra.sql.people import SqlPeople, SqlSiteSecrets
from tests.support.databases import deployment_urls


@pytest.fixture(params=["sqlite", "postgres"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with deployment_urls(request.param, tmp_path) as (url, _):
        upgrade(url)
        yield url


def test_racing_nodes_all_get_the_one_stored_secret(database: str) -> None:
    async def race() -> list[str]:
        engines = [make_engine(database) for _ in range(4)]
        try:
            stores = [SqlSiteSecrets(e) for e in engines]
            made = [f"candidate-{n}" for n in range(8)]
            return await asyncio.gather(
                *(stores[n % 4].secret("session_key", value, 0.0) for n, value in enumerate(made))
            )
        finally:
            for engine in engines:
                await engine.dispose()

    got = asyncio.run(race())
    assert len(set(got)) == 1
    assert got[0].startswith("candidate-")
    again = asyncio.run(_later_secret(database))
    assert again == got[0]


async def _later_secret(database: str) -> str:
    engine = make_engine(database)
    try:
        return await SqlSiteSecrets(engine).secret("session_key", "another", 1.0)
    finally:
        await engine.dispose()


def test_users_and_tokens_round_trip(database: str) -> None:
    async def run() -> None:
        engine = make_engine(database)
        try:
            people = SqlPeople(engine)
            ana = await people.add_user("ana", "h1", Role.SUPPLIER, "7", "Europe/Paris", 10.0)
            assert ana is not None
            assert (ana.role, ana.scope_id, ana.time_zone, ana.created_at) == (
                Role.SUPPLIER, "7", "Europe/Paris", 10.0,
            )  # fmt: skip
            assert await people.add_user("ana", "h2", Role.ADMIN, None, "UTC", 11.0) is None
            await people.update_user(ana.id, role=Role.ADMIN, scope_id=None, disabled_at=20.0)
            await people.bump_epoch(ana.id)
            changed = await people.user_by_id(ana.id)
            assert changed is not None
            assert (changed.role, changed.scope_id, changed.session_epoch, changed.disabled_at) == (
                Role.ADMIN, None, 1, 20.0,
            )  # fmt: skip
            assert await people.password_hash(ana.id) == "h1"
            await people.add_token("t1", ana.id, "ci", "d" * 64, 30.0)
            await people.token_used("t1", 31.0)
            assert await people.revoke_token("t1", 32.0)
            assert not await people.revoke_token("t1", 33.0)
            token = await people.token("t1")
            assert token is not None
            assert (token.last_used_at, token.revoked_at) == (31.0, 32.0)
            assert [t.id for t in await people.tokens(ana.id)] == ["t1"]
        finally:
            await engine.dispose()

    asyncio.run(run())


def test_the_audit_log_filters_and_pages_newest_first(database: str) -> None:
    async def run() -> None:
        engine = make_engine(database)
        try:
            log = SqlAuditLog(engine)
            for n in range(7):
                actor = "ana" if n % 2 == 0 else "bo"
                entry = AuditEntry(
                    actor, "pause", f"campaign {n}", 1000.0 + n,
                    {"paused": False}, {"paused": True}, "10.0.0.1",
                )  # fmt: skip
                await log.record(entry)
            await log.record(AuditEntry("cli", "user_add", "user x", 2000.0))
            first = await log.read(AuditQuery(actor="ana", limit=2))
            assert [e.target for _, e in first.entries] == ["campaign 6", "campaign 4"]
            assert first.next_before_id is not None
            second = await log.read(AuditQuery(actor="ana", limit=2,
                                               before_id=first.next_before_id))  # fmt: skip
            assert [e.target for _, e in second.entries] == ["campaign 2", "campaign 0"]
            assert second.next_before_id is None
            ranged = await log.read(AuditQuery(action="pause", since=1002.0, until=1004.0))
            assert [e.target for _, e in ranged.entries] == ["campaign 3", "campaign 2"]
            entry = ranged.entries[0][1]
            assert (entry.before, entry.after, entry.remote_addr, entry.at) == (
                {"paused": False}, {"paused": True}, "10.0.0.1", 1003.0,
            )  # fmt: skip
            everything = await log.read(AuditQuery())
            assert everything.entries[0][1].action == "user_add"
        finally:
            await engine.dispose()

    asyncio.run(run())
