"""Alembic environment: runs migrations over Pickpost's async engine."""

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

from pickpost.infra.sql.engine import make_engine
from pickpost.infra.sql.schema import metadata


def _run(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


async def _main() -> None:
    engine = make_engine(context.config.attributes["database_url"])
    async with engine.connect() as connection:
        await connection.run_sync(_run)
        await connection.commit()
    await engine.dispose()


asyncio.run(_main())
