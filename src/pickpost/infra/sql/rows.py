"""Conversions between domain values and table rows, shared by the SQL stores."""

import functools
from collections.abc import Callable, Mapping
from dataclasses import fields
from datetime import UTC, datetime
from typing import Any

from pickpost.buyers.secrets import SECRET_NAME
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


BODY_CAP_BYTES = 16 * 1024  # of each body recorded; the rest is cut and the cut is marked
WITHHELD = "[withheld]"

Seal = Callable[[dict[str, object]], dict[str, object]]


def _scrub(text: str, secrets: tuple[str, ...]) -> str:
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, WITHHELD)
    # No database keeps a NUL in text (PostgreSQL refuses it in JSON).
    return text.replace("\x00", "\ufffd")


def headers_record(
    headers: Mapping[str, str], secrets: tuple[str, ...], seal: Seal
) -> dict[str, object]:
    """Headers as recorded: credentials withheld by name, declared secrets by value, the rest
    sealed like personal values."""
    return seal(
        {
            # str(): aiohttp's names are a subclass of str that JSON encoders refuse.
            str(name): WITHHELD if _secret_name(name) else _scrub(str(value), secrets)
            for name, value in headers.items()
        }
    )


@functools.lru_cache(maxsize=1024)
def _secret_name(name: str) -> bool:
    """Whether a header's name marks a credential; buyers send the same few names each call."""
    return SECRET_NAME.search(name) is not None


def body_record(body: bytes, secrets: tuple[str, ...], seal: Seal) -> dict[str, object]:
    """A body as recorded: its first ``BODY_CAP_BYTES`` as text (sealed), its size, and
    whether it was cut."""
    text = _scrub(body[:BODY_CAP_BYTES].decode("utf-8", errors="replace"), secrets)
    return {**seal({"text": text}), "bytes": len(body), "truncated": len(body) > BODY_CAP_BYTES}


def call_row(
    call: BuyerCall, ping_id: str | None, lead_id: str | None, seal: Seal
) -> dict[str, Any]:
    """The call's row; what went over the wire recorded by ``headers_record`` and
    ``body_record``."""
    sent = call.exchange
    secrets = () if sent is None else sent.secrets
    return {
        "request_headers": None
        if sent is None
        else headers_record(sent.request_headers, secrets, seal),
        "request_body": None if sent is None else body_record(sent.request_body, secrets, seal),
        "response_headers": None
        if sent is None or sent.response_headers is None
        else headers_record(sent.response_headers, secrets, seal),
        "response_body": None
        if sent is None or sent.response_body is None
        else body_record(sent.response_body, secrets, seal),
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
