"""The revocation outbox: one row per sold sale of a lead whose consumer withdrew consent.

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

Timestamp = sa.DateTime(timezone=True)
Serial = sa.BigInteger().with_variant(sa.Integer, "sqlite")


def upgrade() -> None:
    op.create_table(
        "revocations",
        sa.Column(
            "sale_id", Serial, sa.ForeignKey("sales.id"), primary_key=True, autoincrement=False
        ),
        sa.Column("lead_id", sa.String(40), sa.ForeignKey("leads.id"), nullable=False),
        sa.Column("buyer_id", sa.String(64), nullable=False),
        sa.Column("bid_id", sa.String(40), nullable=False),
        sa.Column("idempotency_key", sa.String(40), nullable=False),
        sa.Column("requested_at", Timestamp, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_at", Timestamp, nullable=False),
        sa.Column("lease_owner", sa.String(40), nullable=True),
        sa.Column("lease_until", Timestamp, nullable=True),
        sa.Column("last_error", sa.Text, nullable=False),
        sa.Column("delivered_at", Timestamp, nullable=True),
    )
    op.create_index("ix_revocations_due", "revocations", ["state", "next_at"])
    op.create_index("ix_revocations_lead", "revocations", ["lead_id"])


def downgrade() -> None:
    op.drop_index("ix_revocations_lead", table_name="revocations")
    op.drop_index("ix_revocations_due", table_name="revocations")
    op.drop_table("revocations")
