"""The consent ledger: each lead's hash chain of consent events, and the daily roots.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

Timestamp = sa.DateTime(timezone=True)
Json = sa.JSON().with_variant(JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "consent_ledger",
        sa.Column("lead_id", sa.String(40), sa.ForeignKey("leads.id"), primary_key=True),
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("appended_at", Timestamp, nullable=False),
        sa.Column("facts", Json, nullable=False),
        sa.Column("commitment", sa.String(64), nullable=True),
        sa.Column("nonce", sa.String(32), nullable=True),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("entry_hash", sa.String(64), nullable=False),
    )
    op.create_index("ix_consent_ledger_appended", "consent_ledger", ["appended_at"])
    op.create_table(
        "consent_roots",
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("entries", sa.BigInteger, nullable=False),
        sa.Column("merkle_root", sa.String(64), nullable=False),
        sa.Column("prev_root", sa.String(64), nullable=False),
        sa.Column("root", sa.String(64), nullable=False),
        sa.Column("sealed_at", Timestamp, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("consent_roots")
    op.drop_index("ix_consent_ledger_appended", table_name="consent_ledger")
    op.drop_table("consent_ledger")
