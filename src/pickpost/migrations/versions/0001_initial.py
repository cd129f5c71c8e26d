"""The initial schema: workspace, pings, leads, consent, sales, buyer calls, requests.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

Json = sa.JSON().with_variant(JSONB(), "postgresql")
Timestamp = sa.DateTime(timezone=True)
BigId = sa.BigInteger().with_variant(sa.Integer, "sqlite")


def upgrade() -> None:
    op.create_table(
        "campaigns",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("doc", Json, nullable=False),
        sa.Column("doc_hash", sa.String(64), nullable=False),
        sa.Column("updated_at", Timestamp, nullable=False),
    )
    op.create_table(
        "pings",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("campaign_id", sa.String(64), nullable=False),
        sa.Column("supplier_id", sa.String(64), nullable=False),
        sa.Column("request_id", sa.String(40), nullable=False),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.Column("expires_at", Timestamp, nullable=False),
        sa.Column("test", sa.Boolean, nullable=False),
        sa.Column("lead", Json, nullable=False),
        sa.Column("ping_values", Json, nullable=False),
        sa.Column("bids", Json, nullable=False),
        sa.Column("buyers_pinged", sa.Integer, nullable=False),
    )
    op.create_table(
        "leads",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("campaign_id", sa.String(64), nullable=False),
        sa.Column("supplier_id", sa.String(64), nullable=False),
        sa.Column("ping_id", sa.String(40), nullable=True),
        sa.Column("request_id", sa.String(40), nullable=False),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.Column("updated_at", Timestamp, nullable=False),
        sa.Column("test", sa.Boolean, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("payout_cents", sa.BigInteger, nullable=False),
        sa.Column("fields", Json, nullable=False),
        sa.Column("outcome", Json, nullable=True),
        sa.UniqueConstraint("ping_id", name="uq_leads_ping_id"),
    )
    op.create_index("ix_leads_campaign_created", "leads", ["campaign_id", "created_at"])
    op.create_table(
        "consents",
        sa.Column("lead_id", sa.String(40), sa.ForeignKey("leads.id"), primary_key=True),
        sa.Column("ping_id", sa.String(40), nullable=False),
        sa.Column("consented_at", Timestamp, nullable=False),
        sa.Column("bids_shown", Json, nullable=False),
        sa.Column("bids_picked", Json, nullable=False),
        sa.Column("evidence", Json, nullable=False),
    )
    op.create_table(
        "sales",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("lead_id", sa.String(40), sa.ForeignKey("leads.id"), nullable=False),
        sa.Column("buyer_id", sa.String(64), nullable=False),
        sa.Column("bid_id", sa.String(40), nullable=False),
        sa.Column("buyer_price_cents", sa.BigInteger, nullable=False),
        sa.Column("payout_cents", sa.BigInteger, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.Column("updated_at", Timestamp, nullable=False),
        sa.UniqueConstraint("lead_id", "buyer_id", name="uq_sales_lead_buyer"),
    )
    op.create_table(
        "buyer_calls",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("ping_id", sa.String(40), nullable=True),
        sa.Column("lead_id", sa.String(40), nullable=True),
        sa.Column("buyer_id", sa.String(64), nullable=False),
        sa.Column("step", sa.String(8), nullable=False),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("status_code", sa.Integer, nullable=True),
        sa.Column("latency_ms", sa.Float, nullable=False),
        sa.Column("price_cents", sa.BigInteger, nullable=True),
        sa.Column("started_at", Timestamp, nullable=False),
    )
    op.create_index("ix_buyer_calls_ping_id", "buyer_calls", ["ping_id"])
    op.create_index("ix_buyer_calls_lead_id", "buyer_calls", ["lead_id"])
    op.create_table(
        "requests",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("endpoint", sa.String(32), nullable=False),
        sa.Column("received_at", Timestamp, nullable=False),
        sa.Column("duration_ms", sa.Float, nullable=False),
        sa.Column("http_status", sa.Integer, nullable=False),
        sa.Column("code", sa.Integer, nullable=False),
        sa.Column("campaign_id", sa.Text, nullable=True),
        sa.Column("supplier_id", sa.Text, nullable=True),
        sa.Column("ping_id", sa.Text, nullable=True),
        sa.Column("lead_id", sa.String(40), nullable=True),
        sa.Column("remote_addr", sa.Text, nullable=True),
        sa.Column("request", Json, nullable=False),
        sa.Column("response", Json, nullable=False),
    )
    op.create_index("ix_requests_received_at", "requests", ["received_at"])
    op.create_index("ix_requests_ping_id", "requests", ["ping_id"])
    op.create_index("ix_requests_lead_id", "requests", ["lead_id"])


def downgrade() -> None:
    for table in ("requests", "buyer_calls", "sales", "consents", "leads", "pings", "campaigns"):
        op.drop_table(table)
