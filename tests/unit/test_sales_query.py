"""The sales listing's query string and cursor, read without a server."""

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pickpost.api.sales_query import decode_cursor, encode_cursor, read_sales_query
from pickpost.domain.errors import Code, Refusal
from pickpost.domain.lead import SaleStatus
from pickpost.domain.sales_query import SalePosition, SalesQuery


def _read(**given: str | None) -> SalesQuery | Refusal:
    params: dict[str, str | None] = {
        "status": None,
        "campaign": None,
        "buyer": None,
        "since": None,
        "until": None,
        "cursor": None,
    }
    return read_sales_query(**{**params, **given}, limit=50)


def test_no_parameter_means_every_sale() -> None:
    assert _read() == SalesQuery(limit=50)
    assert _read(status="", campaign="", buyer="") == SalesQuery(limit=50)


def test_filters_are_kept() -> None:
    query = _read(status="unknown", campaign="101", buyer="alpha")
    assert query == SalesQuery(SaleStatus.UNKNOWN, "101", "alpha", limit=50)


@pytest.mark.parametrize(
    ("since", "until", "start", "end"),
    [
        ("2026-11-01", "2026-11-30", datetime(2026, 11, 1, tzinfo=UTC),
         datetime(2026, 12, 1, tzinfo=UTC)),
        ("2026-11-01T10:00:00Z", "2026-11-01T12:30:00+02:00",
         datetime(2026, 11, 1, 10, tzinfo=UTC), datetime(2026, 11, 1, 10, 30, tzinfo=UTC)),
        ("2026-11-01T10:00:00", "2026-11-01 11:00:00.250000",
         datetime(2026, 11, 1, 10, tzinfo=UTC),
         datetime(2026, 11, 1, 11, 0, 0, 250000, tzinfo=UTC)),
    ],
)  # fmt: skip
def test_dates_and_times_are_read_as_utc(
    since: str, until: str, start: datetime, end: datetime
) -> None:
    query = _read(since=since, until=until)
    assert isinstance(query, SalesQuery)
    assert (query.since, query.until) == (start, end)


def test_every_invalid_parameter_is_named_and_its_value_never_echoed() -> None:
    refused = _read(status="SOLD!", since="last tuesday", until="2026-02-30", cursor="x")
    assert isinstance(refused, Refusal)
    assert refused.code is Code.MALFORMED
    assert [e.field for e in refused.errors] == ["status", "since", "until", "cursor"]
    assert "pending, sold, rejected, error, unknown" in refused.errors[0].message
    text = refused.message + " ".join(e.message for e in refused.errors)
    assert not any(value in text for value in ("SOLD!", "last tuesday", "2026-02-30"))


@given(
    st.datetimes(timezones=st.just(UTC), min_value=datetime(2000, 1, 1)),
    st.integers(min_value=1, max_value=2**63 - 1),
)
def test_a_cursor_brings_back_its_position(created_at: datetime, sale_id: int) -> None:
    position = SalePosition(created_at, sale_id)
    cursor = encode_cursor(position)
    assert cursor.isascii()
    assert "=" not in cursor
    assert decode_cursor(cursor) == position


@pytest.mark.parametrize("cursor", ["", "bogus", "!!!", "MjAyNi0xMS0yN3w", "MTIzfDQ1"])
def test_a_cursor_this_api_did_not_write_is_refused(cursor: str) -> None:
    assert decode_cursor(cursor) is None
