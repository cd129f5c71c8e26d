"""The data keys as stored (table ``data_keys``), unwrapped with the master key from settings."""

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from pickpost.infra.crypto import (
    LOOKUP,
    VALUE,
    DataKeyError,
    Keyring,
    master_id,
    new_data_key,
    new_key_id,
    unwrap,
    wrap,
)
from pickpost.infra.sql import schema

_KEYS = schema.data_keys.c
_FIRST = {VALUE: "first-value", LOOKUP: "first-lookup"}


@dataclass(frozen=True, slots=True)
class Masters:
    """The master key that wraps data keys, and the one it replaces while a rotation is under
    way (``PICKPOST_DATA_KEY_PREVIOUS``): data keys wrapped by either are readable."""

    current: bytes | None
    previous: bytes | None = None

    def unwrap(self, row: Any) -> bytes:
        for master in (self.current, self.previous):
            if master is not None and master_id(master) == row.master_id:
                return unwrap(master, row.id, row.purpose, row.wrapped)
        raise DataKeyError(
            f"data key {row.id} is wrapped by a master key that is not configured "
            "(set PICKPOST_DATA_KEY, and PICKPOST_DATA_KEY_PREVIOUS while rotating)"
        )


async def _rows(conn: AsyncConnection) -> list[Any]:
    query = sa.select(_KEYS.id, _KEYS.purpose, _KEYS.wrapped, _KEYS.master_id, _KEYS.created_at)
    return list((await conn.execute(query.order_by(_KEYS.created_at, _KEYS.id))).all())


async def _add(conn: AsyncConnection, master: bytes, purpose: str, key_id: str) -> None:
    await conn.execute(
        schema.data_keys.insert().values(
            id=key_id,
            purpose=purpose,
            wrapped=wrap(master, key_id, purpose, new_data_key()),
            master_id=master_id(master),
            created_at=datetime.now(UTC),
        )
    )


class SqlKeyring:
    """The deployment's keyring, re-read when a value names a data key it does not hold yet
    (another node created it, or ``pickpost keys rotate`` did)."""

    def __init__(self, engine: AsyncEngine, masters: Masters) -> None:
        self._engine = engine
        self._masters = masters
        self.current = Keyring()

    @classmethod
    async def open(cls, engine: AsyncEngine, masters: Masters) -> "SqlKeyring":
        """The keyring; with a master key and no data keys yet, the first ones are made.

        Without a master key, a database that holds data keys is refused: its encrypted
        values would be unreadable and new ones stored in clear without anyone deciding so.
        """
        keyring = cls(engine, masters)
        async with engine.connect() as conn:
            rows = await _rows(conn)
        if masters.current is None:
            if rows:
                raise DataKeyError("this database holds encrypted values: set PICKPOST_DATA_KEY")
            return keyring
        if not rows:
            try:
                async with engine.begin() as conn:
                    # Fixed ids: nodes starting together on an empty table make one pair of
                    # keys, not one each (all but one insert collide, and read the winner's).
                    await _add(conn, masters.current, VALUE, _FIRST[VALUE])
                    await _add(conn, masters.current, LOOKUP, _FIRST[LOOKUP])
            except IntegrityError:
                pass
        await keyring.refresh()
        return keyring

    async def refresh(self) -> None:
        if self._masters.current is None:
            return
        async with self._engine.connect() as conn:
            rows = await _rows(conn)
        values = {r.id: self._masters.unwrap(r) for r in rows if r.purpose == VALUE}
        lookups = {r.id: self._masters.unwrap(r) for r in rows if r.purpose == LOOKUP}
        self.current = Keyring(
            value_keys=values,
            lookup_keys=lookups,
            # The newest value key encrypts (rotation adds one); there is one lookup key.
            current_value=list(values)[-1],
            current_lookup=next(iter(lookups)),
        )


@dataclass(frozen=True, slots=True)
class Rotation:
    rewrapped: int
    new_value_key: str


async def rotate(engine: AsyncEngine, masters: Masters) -> Rotation:
    """Re-wrap every data key under ``masters.current`` and start a new value key for new
    values. Values already stored are not touched: their data keys are the same keys."""
    if masters.current is None:
        raise DataKeyError("set PICKPOST_DATA_KEY to the new master key")
    rewrapped = 0
    async with engine.begin() as conn:
        for row in await _rows(conn):
            if row.master_id == master_id(masters.current):
                continue
            key = masters.unwrap(row)
            await conn.execute(
                schema.data_keys.update()
                .where(_KEYS.id == row.id)
                .values(
                    wrapped=wrap(masters.current, row.id, row.purpose, key),
                    master_id=master_id(masters.current),
                )
            )
            rewrapped += 1
        new_key = new_key_id()
        await _add(conn, masters.current, VALUE, new_key)
    return Rotation(rewrapped, new_key)
