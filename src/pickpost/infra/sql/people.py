"""Users, their API tokens, and the secrets every node shares (the session signing key)."""

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from pickpost.domain.people import ApiToken, Role, User
from pickpost.infra.sql import schema
from pickpost.infra.sql.rows import at, epoch

_users, _tokens, _secrets = schema.users, schema.api_tokens, schema.site_secrets


def _user(row: Any) -> User:
    return User(
        id=row.id,
        name=row.name,
        role=Role(row.role),
        scope_id=row.scope_id,
        time_zone=row.time_zone,
        session_epoch=row.session_epoch,
        created_at=epoch(row.created_at),
        disabled_at=None if row.disabled_at is None else epoch(row.disabled_at),
    )


def _token(row: Any) -> ApiToken:
    return ApiToken(
        id=row.id,
        user_id=row.user_id,
        label=row.name,
        secret_hash=row.secret_hash,
        created_at=epoch(row.created_at),
        last_used_at=None if row.last_used_at is None else epoch(row.last_used_at),
        revoked_at=None if row.revoked_at is None else epoch(row.revoked_at),
    )


_USER_COLUMNS = [c for c in _users.c if c.name != "password_hash"]


class SqlPeople:
    """The people store: users and API tokens."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def add_user(
        self,
        name: str,
        password_hash: str,
        role: Role,
        scope_id: str | None,
        time_zone: str,
        now: float,
    ) -> User | None:
        values = {
            "name": name,
            "password_hash": password_hash,
            "role": role.value,
            "scope_id": scope_id,
            "time_zone": time_zone,
            "session_epoch": 0,
            "created_at": at(now),
        }
        try:
            async with self._engine.begin() as conn:
                await conn.execute(_users.insert().values(**values))
        except IntegrityError:  # the name is taken
            return None
        return await self.user_by_name(name)

    async def _one_user(self, condition: sa.ColumnElement[bool]) -> User | None:
        async with self._engine.connect() as conn:
            row = (await conn.execute(sa.select(*_USER_COLUMNS).where(condition))).first()
        return None if row is None else _user(row)

    async def user_by_name(self, name: str) -> User | None:
        return await self._one_user(_users.c.name == name)

    async def user_by_id(self, user_id: int) -> User | None:
        return await self._one_user(_users.c.id == user_id)

    async def users(self) -> list[User]:
        async with self._engine.connect() as conn:
            rows = await conn.execute(sa.select(*_USER_COLUMNS).order_by(_users.c.name))
            return [_user(row) for row in rows]

    async def password_hash(self, user_id: int) -> str | None:
        async with self._engine.connect() as conn:
            query = sa.select(_users.c.password_hash).where(_users.c.id == user_id)
            found: str | None = (await conn.execute(query)).scalar()
            return found

    async def update_user(self, user_id: int, **values: object) -> None:
        """Set columns of a user: role, scope_id, time_zone, password_hash, disabled_at."""
        role, disabled = values.get("role"), values.get("disabled_at")
        if isinstance(role, Role):
            values["role"] = role.value
        if isinstance(disabled, float):
            values["disabled_at"] = at(disabled)
        async with self._engine.begin() as conn:
            await conn.execute(_users.update().where(_users.c.id == user_id).values(**values))

    async def bump_epoch(self, user_id: int) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(
                _users.update()
                .where(_users.c.id == user_id)
                .values(session_epoch=_users.c.session_epoch + 1)
            )

    async def add_token(
        self, token_id: str, user_id: int, label: str, secret_hash: str, now: float
    ) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(
                _tokens.insert().values(
                    id=token_id,
                    user_id=user_id,
                    name=label,
                    secret_hash=secret_hash,
                    created_at=at(now),
                )
            )

    async def token(self, token_id: str) -> ApiToken | None:
        async with self._engine.connect() as conn:
            row = (await conn.execute(sa.select(_tokens).where(_tokens.c.id == token_id))).first()
        return None if row is None else _token(row)

    async def tokens(self, user_id: int | None = None) -> list[ApiToken]:
        query = sa.select(_tokens).order_by(_tokens.c.created_at, _tokens.c.id)
        if user_id is not None:
            query = query.where(_tokens.c.user_id == user_id)
        async with self._engine.connect() as conn:
            return [_token(row) for row in await conn.execute(query)]

    async def token_used(self, token_id: str, now: float) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(
                _tokens.update().where(_tokens.c.id == token_id).values(last_used_at=at(now))
            )

    async def revoke_token(self, token_id: str, now: float) -> bool:
        async with self._engine.begin() as conn:
            done = await conn.execute(
                _tokens.update()
                .where(_tokens.c.id == token_id, _tokens.c.revoked_at.is_(None))
                .values(revoked_at=at(now))
            )
            return bool(done.rowcount == 1)


class SqlSiteSecrets:
    """Secrets made once by whichever node asks first, then read by every node."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def secret(self, name: str, made: str, now: float) -> str:
        """The stored secret ``name``; ``made`` is stored first if there is none. Nodes racing
        to store one all read back the single winner."""
        insert = (sqlite.insert if self._engine.dialect.name == "sqlite" else postgresql.insert)(
            _secrets
        )
        async with self._engine.begin() as conn:
            await conn.execute(
                insert.values(name=name, value=made, created_at=at(now)).on_conflict_do_nothing(
                    index_elements=["name"]
                )
            )
            query = sa.select(_secrets.c.value).where(_secrets.c.name == name)
            stored: str = (await conn.execute(query)).scalar_one()
            return stored
