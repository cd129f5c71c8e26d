"""The tables. Migrations (``pickpost/migrations``) create them; this is what code queries."""

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

metadata = sa.MetaData()

Json = sa.JSON().with_variant(JSONB(), "postgresql")
Timestamp = sa.DateTime(timezone=True)

campaigns = sa.Table(
    "campaigns",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("doc", Json, nullable=False),
    sa.Column("doc_hash", sa.String(64), nullable=False),
    sa.Column("updated_at", Timestamp, nullable=False),
    # Set by `pickpost campaigns archive`: the campaign refuses traffic, keeps its history.
    sa.Column("archived_at", Timestamp, nullable=True),
)

pings = sa.Table(
    "pings",
    metadata,
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
    sa.Column("purged_at", Timestamp, nullable=True),
    sa.Index("ix_pings_purge", "purged_at", "created_at"),
)

leads = sa.Table(
    "leads",
    metadata,
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
    sa.Column("purged_at", Timestamp, nullable=True),
    # One POST per ping: this constraint is what makes concurrent POSTs sell once.
    sa.UniqueConstraint("ping_id", name="uq_leads_ping_id"),
    sa.Index("ix_leads_campaign_created", "campaign_id", "created_at"),
    sa.Index("ix_leads_purge", "purged_at", "created_at"),
)

consents = sa.Table(
    "consents",
    metadata,
    sa.Column("lead_id", sa.String(40), sa.ForeignKey("leads.id"), primary_key=True),
    sa.Column("ping_id", sa.String(40), nullable=True),  # none for Direct Post
    sa.Column("consented_at", Timestamp, nullable=False),
    sa.Column("bids_shown", Json, nullable=False),
    sa.Column("bids_picked", Json, nullable=False),
    sa.Column("evidence", Json, nullable=False),
    sa.Column("purged_at", Timestamp, nullable=True),
    sa.Index("ix_consents_purge", "purged_at", "consented_at"),
)

sales = sa.Table(
    "sales",
    metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
    sa.Column("lead_id", sa.String(40), sa.ForeignKey("leads.id"), nullable=False),
    sa.Column("buyer_id", sa.String(64), nullable=False),
    sa.Column("bid_id", sa.String(40), nullable=False),
    sa.Column("buyer_price_cents", sa.BigInteger, nullable=False),
    sa.Column("payout_cents", sa.BigInteger, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("updated_at", Timestamp, nullable=False),
    # A lead is never sold twice to the same buyer: enforced here, not in code.
    sa.UniqueConstraint("lead_id", "buyer_id", name="uq_sales_lead_buyer"),
    # The operators' listing pages through sales by (created_at, id).
    sa.Index("ix_sales_created_id", "created_at", "id"),
)

buyer_calls = sa.Table(
    "buyer_calls",
    metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
    sa.Column("ping_id", sa.String(40), nullable=True, index=True),
    sa.Column("lead_id", sa.String(40), nullable=True, index=True),
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

requests = sa.Table(
    "requests",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("endpoint", sa.String(32), nullable=False),
    sa.Column("received_at", Timestamp, nullable=False, index=True),
    sa.Column("duration_ms", sa.Float, nullable=False),
    sa.Column("http_status", sa.Integer, nullable=False),
    sa.Column("code", sa.Integer, nullable=False),
    sa.Column("campaign_id", sa.Text, nullable=True),
    sa.Column("supplier_id", sa.Text, nullable=True),
    sa.Column("ping_id", sa.Text, nullable=True, index=True),
    sa.Column("lead_id", sa.String(40), nullable=True, index=True),
    sa.Column("remote_addr", sa.Text, nullable=True),
    sa.Column("request", Json, nullable=False),
    sa.Column("response", Json, nullable=False),
    sa.Column("purged_at", Timestamp, nullable=True),
    sa.Index("ix_requests_purge", "purged_at", "received_at"),
)

# Data keys, wrapped by the master key (infra/crypto.py): ``value`` keys encrypt personal
# values, the ``lookup`` key hashes them for exact search.
data_keys = sa.Table(
    "data_keys",
    metadata,
    sa.Column("id", sa.String(16), primary_key=True),
    sa.Column("purpose", sa.String(8), nullable=False),
    sa.Column("wrapped", sa.Text, nullable=False),
    sa.Column("master_id", sa.String(16), nullable=False),
    sa.Column("created_at", Timestamp, nullable=False),
)

# A keyed hash of each declared personal field of a lead: exact lookups without decrypting.
lead_lookups = sa.Table(
    "lead_lookups",
    metadata,
    sa.Column("lead_id", sa.String(40), sa.ForeignKey("leads.id"), primary_key=True),
    sa.Column("field_name", sa.String(64), primary_key=True),
    sa.Column("hash", sa.String(64), nullable=False),
    sa.Index("ix_lead_lookups_field_hash", "field_name", "hash"),
)

counters = sa.Table(
    "counters",
    metadata,
    # Caps, rotations and duplicate marks; ``expires_at`` (epoch seconds) ends a mark's life.
    sa.Column("key", sa.String(512), primary_key=True),
    sa.Column("value", sa.BigInteger, nullable=False),
    sa.Column("expires_at", sa.Float, nullable=True, index=True),
)
