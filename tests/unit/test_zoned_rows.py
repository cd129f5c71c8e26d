"""Traffic rows of 15-minute buckets summed into a zone's local days (infra/sql/zoned.py)."""

from datetime import UTC, datetime

from pickpost.infra.sql.zoned import by_local_day

KEYS = ("campaign_id", "metric")
SUMS = ("count", "sum_ms")


def _row(hour: int, minute: int, metric: str, count: int, ms: float) -> dict[str, object]:
    return {
        "bucket": datetime(2026, 3, 2, hour, minute, tzinfo=UTC),
        "campaign_id": "c1",
        "metric": metric,
        "count": count,
        "sum_ms": ms,
    }


def test_buckets_either_side_of_a_local_midnight_land_in_two_days() -> None:
    # Kolkata's 2 March begins at 1 March 18:30 UTC and ends at 2 March 18:30 UTC.
    rows = [_row(18, 15, "bid", 1, 0.1), _row(1, 0, "bid", 2, 0.2), _row(18, 30, "bid", 4, 0.4)]
    days = by_local_day(rows, "Asia/Kolkata", KEYS, SUMS)
    assert [(d["bucket"], d["count"], d["sum_ms"]) for d in days] == [
        (datetime(2026, 3, 1, 18, 30, tzinfo=UTC), 3, 0.3),
        (datetime(2026, 3, 2, 18, 30, tzinfo=UTC), 4, 0.4),
    ]
    assert {d["zone"] for d in days} == {"Asia/Kolkata"}


def test_rows_of_other_keys_stay_apart() -> None:
    rows = [_row(12, 0, "bid", 1, 1.0), _row(12, 15, "no_bid", 1, 1.0)]
    days = by_local_day(rows, "America/New_York", KEYS, SUMS)
    assert [(d["metric"], d["count"]) for d in days] == [("bid", 1), ("no_bid", 1)]
