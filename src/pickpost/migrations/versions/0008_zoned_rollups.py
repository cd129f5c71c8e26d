"""Rollups by local day of the time zones reports are read in.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

Timestamp = sa.DateTime(timezone=True)


def _keys() -> list[sa.Column[object]]:
    return [
        sa.Column("zone", sa.String(64), primary_key=True),
        sa.Column("bucket", Timestamp, primary_key=True),
        sa.Column("campaign_id", sa.String(64), primary_key=True),
        sa.Column("supplier_id", sa.String(64), primary_key=True),
        sa.Column("buyer_id", sa.String(64), primary_key=True),
        sa.Column("test", sa.Boolean, primary_key=True),
    ]


def upgrade() -> None:
    op.create_table(
        "lead_rollups_zoned",
        *_keys(),
        sa.Column("status", sa.String(16), primary_key=True),
        sa.Column("count", sa.BigInteger, nullable=False),
        sa.Column("price_cents", sa.BigInteger, nullable=False),
        sa.Column("payout_cents", sa.BigInteger, nullable=False),
        sa.Column("returned", sa.BigInteger, nullable=False),
        sa.Column("returned_price_cents", sa.BigInteger, nullable=False),
        sa.Column("returned_payout_cents", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "traffic_rollups_zoned",
        *_keys(),
        sa.Column("metric", sa.String(24), primary_key=True),
        sa.Column("count", sa.BigInteger, nullable=False),
        sa.Column("sum_cents", sa.BigInteger, nullable=False),
        sa.Column("sum_ms", sa.Float, nullable=False),
    )
    # A zone is kept once a report is read in it; its rows are filled from the finer tiers then.
    op.create_table(
        "report_zones",
        sa.Column("zone", sa.String(64), primary_key=True),
        sa.Column("kept_since", Timestamp, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("report_zones")
    op.drop_table("traffic_rollups_zoned")
    op.drop_table("lead_rollups_zoned")
