"""Fewer index entries per ping in the log tables (docs/benchmarks.md, "The ping log's CPU").

- ``ix_requests_received_at`` goes: no query reads requests by their time alone (the purge
  goes by ``ix_requests_purge``, the timeline by ping or lead).
- the ``lead_id`` indexes of ``buyer_calls`` and ``requests`` keep only rows that have a lead:
  a ping's ten calls and its request have none, and were ten entries of NULL per ping. A query
  by ``lead_id = …`` implies the condition, so SQLite and PostgreSQL use these indexes as before.

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

_HAS_LEAD = sa.text("lead_id IS NOT NULL")


def upgrade() -> None:
    op.drop_index("ix_requests_received_at", table_name="requests")
    for table in ("buyer_calls", "requests"):
        op.drop_index(f"ix_{table}_lead_id", table_name=table)
        op.create_index(
            f"ix_{table}_lead_id",
            table,
            ["lead_id"],
            sqlite_where=_HAS_LEAD,
            postgresql_where=_HAS_LEAD,
        )


def downgrade() -> None:
    for table in ("buyer_calls", "requests"):
        op.drop_index(f"ix_{table}_lead_id", table_name=table)
        op.create_index(f"ix_{table}_lead_id", table, ["lead_id"])
    op.create_index("ix_requests_received_at", "requests", ["received_at"])
