"""The POST path's one-statement writes (PostgreSQL) have a cache key: SQLAlchemy compiles
each once, not once per lead (a multi-row VALUES has none, which is why the claim inserts
one row per clause)."""

import pytest

from pickpost.infra.sql import one_trip


@pytest.mark.parametrize("lookups", [0, 3])
@pytest.mark.parametrize("entries", [1, 2])
def test_the_claims_statements_are_cached_by_sqlalchemy(lookups: int, entries: int) -> None:
    row: dict[str, object] = {}
    rows = [row] * lookups
    claim, _ = one_trip.claim(row, row, rows, [row] * entries)
    with_start, _ = one_trip.claim_and_start(row, row, rows, [row] * entries, row)
    for statement in (claim, with_start):
        assert statement._generate_cache_key() is not None


def test_the_sales_statements_are_cached_by_sqlalchemy() -> None:
    for statement in (
        one_trip.START_SALE,
        one_trip.finish_then_start(True),
        one_trip.finish_lead(False, True),
        one_trip.finish_sale(True),
    ):
        assert statement._generate_cache_key() is not None
