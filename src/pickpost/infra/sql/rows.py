"""Conversions between domain values and table rows, shared by the SQL stores."""

from dataclasses import fields
from datetime import UTC, datetime
from typing import Any

from pickpost.domain.bids import OfferedBid
from pickpost.domain.outcomes import BuyerCall
from pickpost.domain.ping import PingRecord


def at(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


def utc(value: datetime) -> datetime:
    """A timestamp read back from the database, made aware of its zone."""
    if value.tzinfo is None:  # SQLite hands back naive values; they were written as UTC
        return value.replace(tzinfo=UTC)
    return value


def epoch(value: datetime) -> float:
    return utc(value).timestamp()


def call_row(call: BuyerCall, ping_id: str | None, lead_id: str | None) -> dict[str, Any]:
    return {
        "ping_id": ping_id,
        "lead_id": lead_id,
        "buyer_id": call.buyer_id,
        "step": call.step.value,
        "url": call.url,
        "outcome": call.outcome.value,
        "reason": call.reason,
        "status_code": call.status_code,
        "latency_ms": round(call.latency_ms, 3),
        "price_cents": call.price_cents,
        "started_at": at(call.started_at),
    }


_BID_FIELDS = tuple(f.name for f in fields(OfferedBid))


def bid_dict(bid: OfferedBid) -> dict[str, Any]:
    """``asdict(bid)`` without its deep copy (the row is only serialised): many times faster."""
    return {name: getattr(bid, name) for name in _BID_FIELDS}


def ping_row(record: PingRecord) -> dict[str, Any]:
    return {
        "id": record.ping_id,
        "campaign_id": record.campaign_id,
        "supplier_id": record.supplier_id,
        "request_id": record.request_id,
        "created_at": at(record.created_at),
        "expires_at": at(record.expires_at),
        "test": record.test,
        "lead": record.lead,
        "ping_values": record.ping_values,
        "bids": [bid_dict(bid) for bid in record.bids],
        "buyers_pinged": record.buyers_pinged,
    }


def ping_record(row: Any) -> PingRecord:
    return PingRecord(
        ping_id=row.id,
        campaign_id=row.campaign_id,
        supplier_id=row.supplier_id,
        request_id=row.request_id,
        created_at=epoch(row.created_at),
        expires_at=epoch(row.expires_at),
        test=row.test,
        lead=row.lead,
        ping_values=row.ping_values,
        bids=tuple(OfferedBid(**bid) for bid in row.bids),
        buyers_pinged=row.buyers_pinged,
    )
