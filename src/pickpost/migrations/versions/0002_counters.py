"""Counters for caps, rotations and duplicate marks; consent without a ping (Direct Post).

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "counters",
        sa.Column("key", sa.String(512), primary_key=True),
        sa.Column("value", sa.BigInteger, nullable=False),
        sa.Column("expires_at", sa.Float, nullable=True),
    )
    op.create_index("ix_counters_expires_at", "counters", ["expires_at"])
    with op.batch_alter_table("consents") as batch:
        batch.alter_column("ping_id", existing_type=sa.String(40), nullable=True)


def downgrade() -> None:
    with op.batch_alter_table("consents") as batch:
        batch.alter_column("ping_id", existing_type=sa.String(40), nullable=False)
    op.drop_index("ix_counters_expires_at", "counters")
    op.drop_table("counters")
