"""Personal data at rest: wrapped data keys, lookup hashes, and when each record was purged.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

Timestamp = sa.DateTime(timezone=True)
# Records whose personal values a purge may blank: (table, the time their retention counts from).
PURGEABLE = (
    ("requests", "received_at"),
    ("pings", "created_at"),
    ("leads", "created_at"),
    ("consents", "consented_at"),
)


def upgrade() -> None:
    op.create_table(
        "data_keys",
        sa.Column("id", sa.String(16), primary_key=True),
        sa.Column("purpose", sa.String(8), nullable=False),
        sa.Column("wrapped", sa.Text, nullable=False),
        sa.Column("master_id", sa.String(16), nullable=False),
        sa.Column("created_at", Timestamp, nullable=False),
    )
    op.create_table(
        "lead_lookups",
        sa.Column("lead_id", sa.String(40), sa.ForeignKey("leads.id"), primary_key=True),
        sa.Column("field_name", sa.String(64), primary_key=True),
        sa.Column("hash", sa.String(64), nullable=False),
    )
    op.create_index("ix_lead_lookups_field_hash", "lead_lookups", ["field_name", "hash"])
    for table, since in PURGEABLE:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("purged_at", Timestamp, nullable=True))
        # What a purge scans: rows not purged yet, oldest first.
        op.create_index(f"ix_{table}_purge", table, ["purged_at", since])


def downgrade() -> None:
    for table, _ in reversed(PURGEABLE):
        op.drop_index(f"ix_{table}_purge", table)
        with op.batch_alter_table(table) as batch:
            batch.drop_column("purged_at")
    op.drop_index("ix_lead_lookups_field_hash", "lead_lookups")
    op.drop_table("lead_lookups")
    op.drop_table("data_keys")
