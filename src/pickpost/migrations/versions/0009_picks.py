"""Picks Pickpost records itself (the pick widget and page), and the consent record's link to
the one a lead was sold under.

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

Timestamp = sa.DateTime(timezone=True)
Json = sa.JSON().with_variant(JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "picks",
        sa.Column("ping_id", sa.String(40), primary_key=True),
        sa.Column("campaign_id", sa.String(64), nullable=False),
        sa.Column("recorded_at", Timestamp, nullable=False),
        sa.Column("disclosure", sa.Text, nullable=False),
        sa.Column("shown", Json, nullable=False),
        sa.Column("picked", Json, nullable=False),
        sa.Column("rendered_sha256", sa.String(64), nullable=False),
        sa.Column("personal", Json, nullable=False),
        sa.Column("purged_at", Timestamp, nullable=True),
    )
    op.create_index("ix_picks_purge", "picks", ["purged_at", "recorded_at"])
    op.add_column("consents", sa.Column("pick", Json, nullable=True))


def downgrade() -> None:
    op.drop_column("consents", "pick")
    op.drop_index("ix_picks_purge", table_name="picks")
    op.drop_table("picks")
