"""The tables. Migrations (``pickpost/migrations``) create them; this is what code queries."""

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

metadata = sa.MetaData()

Json = sa.JSON().with_variant(JSONB(), "postgresql")
Timestamp = sa.DateTime(timezone=True)
Serial = sa.BigInteger().with_variant(sa.Integer, "sqlite")

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
    # The lead list pages by (created_at, id); the rollups find changed leads by updated_at.
    sa.Index("ix_leads_created_id", "created_at", "id"),
    sa.Index("ix_leads_updated", "updated_at"),
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
    # The non-personal facts of the pick Pickpost recorded itself, when it did (RecordedPick).
    sa.Column("pick", Json, nullable=True),
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
    sa.Index("ix_sales_buyer_created", "buyer_id", "created_at"),
)


def _lead_index(table: str) -> sa.Index:
    """A log table's rows of a lead (the lead's timeline). Rows without a lead (a ping's calls
    and request) stay out of it: an index entry less for each (migration 0011)."""
    has_lead = sa.text("lead_id IS NOT NULL")
    return sa.Index(
        f"ix_{table}_lead_id", "lead_id", sqlite_where=has_lead, postgresql_where=has_lead
    )


buyer_calls = sa.Table(
    "buyer_calls",
    metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
    sa.Column("ping_id", sa.String(40), nullable=True, index=True),
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
    # What was sent and answered, secrets redacted, size-capped, personal values sealed.
    sa.Column("request_headers", Json, nullable=True),
    sa.Column("request_body", Json, nullable=True),
    sa.Column("response_headers", Json, nullable=True),
    sa.Column("response_body", Json, nullable=True),
    sa.Column("purged_at", Timestamp, nullable=True),
    sa.Index("ix_buyer_calls_purge", "purged_at", "started_at"),
    _lead_index("buyer_calls"),
)

requests = sa.Table(
    "requests",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("endpoint", sa.String(32), nullable=False),
    sa.Column("received_at", Timestamp, nullable=False),
    sa.Column("duration_ms", sa.Float, nullable=False),
    sa.Column("http_status", sa.Integer, nullable=False),
    sa.Column("code", sa.Integer, nullable=False),
    sa.Column("campaign_id", sa.Text, nullable=True),
    sa.Column("supplier_id", sa.Text, nullable=True),
    sa.Column("ping_id", sa.Text, nullable=True, index=True),
    sa.Column("lead_id", sa.String(40), nullable=True),
    sa.Column("remote_addr", sa.Text, nullable=True),
    sa.Column("request", Json, nullable=False),
    sa.Column("response", Json, nullable=False),
    sa.Column("purged_at", Timestamp, nullable=True),
    sa.Index("ix_requests_purge", "purged_at", "received_at"),
    _lead_index("requests"),
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

users = sa.Table(
    "users",
    metadata,
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

api_tokens = sa.Table(
    "api_tokens",
    metadata,
    sa.Column("id", sa.String(24), primary_key=True),
    sa.Column("user_id", Serial, sa.ForeignKey("users.id"), nullable=False, index=True),
    sa.Column("name", sa.String(64), nullable=False),
    sa.Column("secret_hash", sa.String(64), nullable=False),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("last_used_at", Timestamp, nullable=True),
    sa.Column("revoked_at", Timestamp, nullable=True),
)

# Secrets the server generates once and every node shares (the session signing key).
site_secrets = sa.Table(
    "site_secrets",
    metadata,
    sa.Column("name", sa.String(32), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
    sa.Column("created_at", Timestamp, nullable=False),
)

audit_log = sa.Table(
    "audit_log",
    metadata,
    sa.Column("id", Serial, primary_key=True),
    sa.Column("at", Timestamp, nullable=False, index=True),
    sa.Column("actor", sa.String(64), nullable=False),
    sa.Column("action", sa.String(32), nullable=False),
    sa.Column("target", sa.Text, nullable=False),
    sa.Column("before", Json, nullable=True),
    sa.Column("after", Json, nullable=True),
    sa.Column("remote_addr", sa.Text, nullable=True),
)

returns = sa.Table(
    "returns",
    metadata,
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
    # What an approved return gives back: the buyer's price, and the supplier payout charged
    # back (0 when the campaign does not charge suppliers back).
    sa.Column("credit_cents", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("chargeback_cents", sa.BigInteger, nullable=False, server_default="0"),
    # A sale is returned at most once.
    sa.UniqueConstraint("lead_id", "buyer_id", name="uq_returns_lead_buyer"),
    sa.Index("ix_returns_status_opened", "status", "opened_at"),
)

# 15-minute UTC buckets: every time zone in use has its day boundaries on a quarter hour.
# What the ledger holds (leads, sales, returns) by lead or sale status, recomputed from the
# ledger for the buckets whose leads changed; buyer_id '' is the lead itself.


def _lead_rollup_columns() -> list[sa.Column[Any]]:
    return [
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
    ]


def _traffic_rollup_columns() -> list[sa.Column[Any]]:
    return [
        sa.Column("bucket", Timestamp, primary_key=True),
        sa.Column("campaign_id", sa.String(64), primary_key=True),
        sa.Column("supplier_id", sa.String(64), primary_key=True),
        sa.Column("buyer_id", sa.String(64), primary_key=True),
        sa.Column("test", sa.Boolean, primary_key=True),
        sa.Column("metric", sa.String(24), primary_key=True),
        sa.Column("count", sa.BigInteger, nullable=False),
        sa.Column("sum_cents", sa.BigInteger, nullable=False),
        sa.Column("sum_ms", sa.Float, nullable=False),
    ]


lead_rollups = sa.Table("lead_rollups", metadata, *_lead_rollup_columns())
# The same sums by hour and by day (UTC), kept with the 15-minute rows so that a long range
# reads few rows: whole days from the daily table, the edges from the finer ones.
lead_rollups_hourly = sa.Table("lead_rollups_hourly", metadata, *_lead_rollup_columns())
lead_rollups_daily = sa.Table("lead_rollups_daily", metadata, *_lead_rollup_columns())

# What never becomes a ledger row (pings, bids, refused requests), counted as it happens and
# added in, to each tier; buyer_id '' is the supplier's side.
traffic_rollups = sa.Table("traffic_rollups", metadata, *_traffic_rollup_columns())
traffic_rollups_hourly = sa.Table("traffic_rollups_hourly", metadata, *_traffic_rollup_columns())
traffic_rollups_daily = sa.Table("traffic_rollups_daily", metadata, *_traffic_rollup_columns())

# The same sums by local day of each time zone reports are read in (``report_zones``): a
# 30-day range in New York or Kolkata reads 30 rows per combination, as one in UTC does from
# the daily table. ``bucket`` is the UTC instant the zone's day begins.
lead_rollups_zoned = sa.Table(
    "lead_rollups_zoned",
    metadata,
    sa.Column("zone", sa.String(64), primary_key=True),
    *_lead_rollup_columns(),
)
traffic_rollups_zoned = sa.Table(
    "traffic_rollups_zoned",
    metadata,
    sa.Column("zone", sa.String(64), primary_key=True),
    *_traffic_rollup_columns(),
)
report_zones = sa.Table(
    "report_zones",
    metadata,
    sa.Column("zone", sa.String(64), primary_key=True),
    sa.Column("kept_since", Timestamp, nullable=False),
)

# How far the rollups have read the ledger.
rollup_marks = sa.Table(
    "rollup_marks",
    metadata,
    sa.Column("name", sa.String(32), primary_key=True),
    sa.Column("at", Timestamp, nullable=False),
)

# The consent ledger (docs/consent.md): each lead's chain of consent events, appended in the
# transactions of the ledger rows they attest. ``nonce`` opens the pick's commitment to the
# consent evidence; the retention purge clears it with the evidence, no hash depends on it.
consent_ledger = sa.Table(
    "consent_ledger",
    metadata,
    sa.Column("lead_id", sa.String(40), sa.ForeignKey("leads.id"), primary_key=True),
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("kind", sa.String(24), nullable=False),
    sa.Column("appended_at", Timestamp, nullable=False),
    sa.Column("facts", Json, nullable=False),
    sa.Column("commitment", sa.String(64), nullable=True),
    sa.Column("nonce", sa.String(32), nullable=True),
    sa.Column("prev_hash", sa.String(64), nullable=False),
    sa.Column("entry_hash", sa.String(64), nullable=False),
    # The daily roots read a day's entries by append time.
    sa.Index("ix_consent_ledger_appended", "appended_at"),
)

# Picks recorded by the pick widget or page, one per ping (its primary key makes a token single
# use). ``personal`` holds the consumer's IP, user agent and page URL, sealed and purged as
# consent evidence is.
picks = sa.Table(
    "picks",
    metadata,
    sa.Column("ping_id", sa.String(40), primary_key=True),
    sa.Column("campaign_id", sa.String(64), nullable=False),
    sa.Column("recorded_at", Timestamp, nullable=False),
    sa.Column("disclosure", sa.Text, nullable=False),
    sa.Column("shown", Json, nullable=False),
    sa.Column("picked", Json, nullable=False),
    sa.Column("rendered_sha256", sa.String(64), nullable=False),
    sa.Column("personal", Json, nullable=False),
    sa.Column("purged_at", Timestamp, nullable=True),
    sa.Index("ix_picks_purge", "purged_at", "recorded_at"),
)

# One row per sealed UTC day: the Merkle root of the entries appended that day, chained to the
# previous sealed day's root.
consent_roots = sa.Table(
    "consent_roots",
    metadata,
    sa.Column("day", sa.Date, primary_key=True),
    sa.Column("entries", sa.BigInteger, nullable=False),
    sa.Column("merkle_root", sa.String(64), nullable=False),
    sa.Column("prev_root", sa.String(64), nullable=False),
    sa.Column("root", sa.String(64), nullable=False),
    sa.Column("sealed_at", Timestamp, nullable=False),
)

# The revocation outbox (docs/consent.md, "The receipt and withdrawal"): one row per sold sale
# of a lead whose consumer withdrew consent, written with the ``revocation_requested`` entry
# and delivered by whichever node leases it first, retried with backoff until acknowledged.
revocations = sa.Table(
    "revocations",
    metadata,
    sa.Column("sale_id", Serial, sa.ForeignKey("sales.id"), primary_key=True, autoincrement=False),
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
    sa.Index("ix_revocations_due", "state", "next_at"),
    sa.Index("ix_revocations_lead", "lead_id"),
)
