"""The operator console: people, sign-in secrets, the audit log, returns, buyer call bodies,
the rollups reports read, and the indexes the lead list pages by.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

Timestamp = sa.DateTime(timezone=True)
Json = sa.JSON().with_variant(JSONB(), "postgresql")
Serial = sa.BigInteger().with_variant(sa.Integer, "sqlite")


def upgrade() -> None:
    # --- people, sign-in and audit -------------------------------------------------------
    op.create_table(
        "users",
        sa.Column("id", Serial, primary_key=True),
        sa.Column("name", sa.String(64), nullable=False, unique=True),
        sa.Column("password_hash", sa.Text, nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        # The supplier or buyer a scoped role sees; null for owner, admin and analyst.
        sa.Column("scope_id", sa.String(64), nullable=True),
        sa.Column("time_zone", sa.String(64), nullable=False, server_default="UTC"),
        # Bumped by "sign out everywhere": sessions signed with an older epoch are refused.
        sa.Column("session_epoch", sa.Integer, nullable=False, server_default="0"),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.Column("disabled_at", Timestamp, nullable=True),
    )
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.String(24), primary_key=True),
        sa.Column("user_id", Serial, sa.ForeignKey("users.id"), nullable=False, index=True),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("secret_hash", sa.String(64), nullable=False),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.Column("last_used_at", Timestamp, nullable=True),
        sa.Column("revoked_at", Timestamp, nullable=True),
    )
    # Secrets the server generates once and every node shares (the session signing key).
    op.create_table(
        "site_secrets",
        sa.Column("name", sa.String(32), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
        sa.Column("created_at", Timestamp, nullable=False),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", Serial, primary_key=True),
        sa.Column("at", Timestamp, nullable=False, index=True),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("target", sa.Text, nullable=False),
        sa.Column("before", Json, nullable=True),
        sa.Column("after", Json, nullable=True),
        sa.Column("remote_addr", sa.Text, nullable=True),
    )

    # --- returns ---------------------------------------------------------------------------
    op.create_table(
        "returns",
        sa.Column("id", Serial, primary_key=True),
        sa.Column("lead_id", sa.String(40), sa.ForeignKey("leads.id"), nullable=False),
        sa.Column("buyer_id", sa.String(64), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("note", sa.Text, nullable=False, server_default=""),
        sa.Column("status", sa.String(16), nullable=False),  # open, approved, rejected
        sa.Column("opened_by", sa.String(64), nullable=False),
        sa.Column("opened_at", Timestamp, nullable=False),
        sa.Column("decided_by", sa.String(64), nullable=True),
        sa.Column("decided_at", Timestamp, nullable=True),
        sa.Column("decision_note", sa.Text, nullable=False, server_default=""),
        # What an approved return gives back: the buyer's price, the supplier payout charged
        # back (0 when the campaign does not charge suppliers back).
        sa.Column("credit_cents", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("chargeback_cents", sa.BigInteger, nullable=False, server_default="0"),
        # A sale is returned at most once.
        sa.UniqueConstraint("lead_id", "buyer_id", name="uq_returns_lead_buyer"),
        sa.Index("ix_returns_status_opened", "status", "opened_at"),
    )

    # --- buyer call bodies ----------------------------------------------------------------
    with op.batch_alter_table("buyer_calls") as batch:
        batch.add_column(sa.Column("request_headers", Json, nullable=True))
        batch.add_column(sa.Column("request_body", Json, nullable=True))
        batch.add_column(sa.Column("response_headers", Json, nullable=True))
        batch.add_column(sa.Column("response_body", Json, nullable=True))
        batch.add_column(sa.Column("purged_at", Timestamp, nullable=True))
    op.create_index("ix_buyer_calls_purge", "buyer_calls", ["purged_at", "started_at"])

    # --- rollups ----------------------------------------------------------------------------
    # 15-minute UTC buckets (every time zone in use has day boundaries on a quarter hour), and
    # the same sums by UTC hour and day, so a long range reads few rows.
    # What the ledger holds (leads, sales, returns) by lead status or sale status, recomputed
    # from the ledger for the buckets whose leads changed; buyer_id '' is the lead itself.
    for name in ("lead_rollups", "lead_rollups_hourly", "lead_rollups_daily"):
        op.create_table(
            name,
            sa.Column("bucket", Timestamp, primary_key=True),
            sa.Column("campaign_id", sa.String(64), primary_key=True),
            sa.Column("supplier_id", sa.String(64), primary_key=True),
            sa.Column("buyer_id", sa.String(64), primary_key=True),
            sa.Column("test", sa.Boolean, primary_key=True),
            sa.Column("status", sa.String(16), primary_key=True),
            sa.Column("count", sa.BigInteger, nullable=False),
            sa.Column("price_cents", sa.BigInteger, nullable=False),
            sa.Column("payout_cents", sa.BigInteger, nullable=False),
            sa.Column("returned", sa.BigInteger, nullable=False),
            sa.Column("returned_price_cents", sa.BigInteger, nullable=False),
            sa.Column("returned_payout_cents", sa.BigInteger, nullable=False),
        )
    # What never becomes a ledger row (pings, bids, refused requests), counted as it happens
    # and added in; buyer_id '' is the supplier's side.
    for name in ("traffic_rollups", "traffic_rollups_hourly", "traffic_rollups_daily"):
        op.create_table(
            name,
            sa.Column("bucket", Timestamp, primary_key=True),
            sa.Column("campaign_id", sa.String(64), primary_key=True),
            sa.Column("supplier_id", sa.String(64), primary_key=True),
            sa.Column("buyer_id", sa.String(64), primary_key=True),
            sa.Column("test", sa.Boolean, primary_key=True),
            sa.Column("metric", sa.String(24), primary_key=True),
            sa.Column("count", sa.BigInteger, nullable=False),
            sa.Column("sum_cents", sa.BigInteger, nullable=False),
            sa.Column("sum_ms", sa.Float, nullable=False),
        )
    # How far the rollups have read the ledger.
    op.create_table(
        "rollup_marks",
        sa.Column("name", sa.String(32), primary_key=True),
        sa.Column("at", Timestamp, nullable=False),
    )

    # --- the lead list ----------------------------------------------------------------------
    op.create_index("ix_leads_created_id", "leads", ["created_at", "id"])
    op.create_index("ix_leads_updated", "leads", ["updated_at"])
    op.create_index("ix_sales_buyer_created", "sales", ["buyer_id", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_sales_buyer_created", table_name="sales")
    op.drop_index("ix_leads_updated", table_name="leads")
    op.drop_index("ix_leads_created_id", table_name="leads")
    op.drop_table("rollup_marks")
    for kind in ("traffic", "lead"):
        for tier in ("_daily", "_hourly", ""):
            op.drop_table(f"{kind}_rollups{tier}")
    op.drop_index("ix_buyer_calls_purge", table_name="buyer_calls")
    with op.batch_alter_table("buyer_calls") as batch:
        for column in (
            "purged_at",
            "response_body",
            "response_headers",
            "request_body",
            "request_headers",
        ):
            batch.drop_column(column)
    op.drop_table("returns")
    op.drop_table("audit_log")
    op.drop_table("site_secrets")
    op.drop_table("api_tokens")
    op.drop_table("users")
