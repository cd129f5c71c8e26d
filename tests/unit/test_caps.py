"""Caps: config shapes, period windows in the campaign's zone, and the charges for a lead."""

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from pickpost.domain.caps import (
    BuyerCaps,
    Cap,
    Charge,
    Counted,
    Period,
    PeriodWindow,
    SupplierCaps,
    accepted_lead_charges,
    period_keys,
    ping_charges,
    sale_charges,
)
from tests.unit.factories import NO_DB

CHICAGO = "America/Chicago"


def at(local: str, tz: str = CHICAGO) -> float:
    return datetime.fromisoformat(local).replace(tzinfo=ZoneInfo(tz)).timestamp()


def test_period_windows_on_an_ordinary_friday() -> None:
    # 2026-11-27T10:15:30 in Chicago is 16:15:30 UTC.
    assert period_keys(at("2026-11-27T10:15:30"), CHICAGO) == {
        Period.MINUTE: PeriodWindow("2026-11-27T16:15Z", 30),
        Period.HOUR: PeriodWindow("2026-11-27T16Z", 44 * 60 + 30),
        Period.DAY: PeriodWindow("2026-11-27", 13 * 3600 + 44 * 60 + 30),
        Period.WEEK: PeriodWindow("2026-W48", 2 * 86400 + 13 * 3600 + 44 * 60 + 30),
        Period.MONTH: PeriodWindow("2026-11", 3 * 86400 + 13 * 3600 + 44 * 60 + 30),
        Period.TOTAL: PeriodWindow("all", None),
    }


def test_days_weeks_and_months_are_local_minutes_and_hours_utc() -> None:
    windows = period_keys(at("2026-11-30T21:30:00"), CHICAGO)  # 03:30 UTC on Dec 1st
    assert windows[Period.MINUTE].label == "2026-12-01T03:30Z"
    assert windows[Period.HOUR].label == "2026-12-01T03Z"
    assert windows[Period.DAY].label == "2026-11-30"
    assert windows[Period.WEEK].label == "2026-W49"
    assert windows[Period.MONTH].label == "2026-11"


def test_seconds_left_round_up_and_are_at_least_one() -> None:
    windows = period_keys(at("2026-11-27T10:15:59") + 0.25, CHICAGO)
    assert windows[Period.MINUTE].seconds_left == 1
    assert period_keys(at("2026-11-27T10:15:00") + 0.25, CHICAGO)[Period.MINUTE].seconds_left == 60


def test_a_window_starts_at_its_boundary() -> None:
    windows = period_keys(at("2026-12-01T00:00:00"), CHICAGO)
    assert windows[Period.DAY] == PeriodWindow("2026-12-01", 86400)
    assert windows[Period.MONTH] == PeriodWindow("2026-12", 31 * 86400)


def test_the_iso_week_belongs_to_its_iso_year() -> None:
    windows = period_keys(at("2027-01-01T12:00:00"), CHICAGO)
    assert windows[Period.WEEK].label == "2026-W53"
    assert windows[Period.MONTH].label == "2027-01"
    assert windows[Period.DAY].label == "2027-01-01"


@pytest.mark.parametrize(
    ("day", "tz", "hours"),
    [
        ("2026-03-08", CHICAGO, 23),  # spring forward
        ("2026-11-01", CHICAGO, 25),  # fall back
        ("2026-03-08", "America/Havana", 23),  # springs forward at midnight: 00:00 never happens
        ("2026-11-27", CHICAGO, 24),
    ],
)
def test_a_day_lasts_its_real_length(day: str, tz: str, hours: int) -> None:
    # ``at`` maps a skipped midnight to the instant the day begins.
    assert period_keys(at(f"{day}T00:00:00", tz), tz)[Period.DAY] == PeriodWindow(day, hours * 3600)


ZONES = [CHICAGO, "UTC", "Europe/London", "Asia/Kolkata", "Australia/Lord_Howe", "America/Havana"]


@NO_DB
@given(
    epoch=st.floats(
        datetime(2025, 1, 1, tzinfo=UTC).timestamp(), datetime(2028, 1, 1, tzinfo=UTC).timestamp()
    ),
    tz=st.sampled_from(ZONES),
)
def test_each_window_ends_exactly_when_its_seconds_run_out(epoch: float, tz: str) -> None:
    windows = period_keys(epoch, tz)
    for period, window in windows.items():
        if period is Period.TOTAL:
            assert window == PeriodWindow("all", None)
            continue
        assert window.seconds_left is not None
        assert window.seconds_left >= 1
        # ceil: the window still runs a second before, and has ended at the count.
        assert period_keys(epoch + window.seconds_left - 1, tz)[period].label == window.label
        assert period_keys(epoch + window.seconds_left, tz)[period].label != window.label


# --- config ---


@pytest.mark.parametrize(
    ("model", "data", "message"),
    [
        (BuyerCaps, {"leads": {"day": -1}}, "greater than or equal to 0"),
        (BuyerCaps, {"leads": {"hour": 5}}, "Extra inputs"),
        (BuyerCaps, {"budget": {"day": "1.005"}}, "decimal places"),
        (BuyerCaps, {"pings": {"minute": 5}}, "Extra inputs"),  # pings are a supplier cap
        (SupplierCaps, {"pings": {"week": 5}}, "Extra inputs"),
        (SupplierCaps, {"pings": {"minute": 1.5}}, "integer"),
    ],
)
def test_invalid_caps_are_refused(
    model: type[BuyerCaps], data: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        model.model_validate(data)


# --- charges ---

WINDOWS = period_keys(at("2026-11-27T10:15:30"), CHICAGO)
DAY_LEFT = 13 * 3600 + 44 * 60 + 30


def test_a_sale_charges_one_lead_and_its_price_per_capped_period() -> None:
    caps = BuyerCaps.model_validate(
        {
            "leads": {"day": 100, "week": 500, "month": 2000, "total": 10000},
            "budget": {"day": "500.00", "month": 9000},
        }
    )
    assert sale_charges("101", "sunco", caps, 2550, WINDOWS) == [
        Charge(
            "cap:101:buyer:sunco:leads:day:2026-11-27",
            100,
            1,
            DAY_LEFT,
            Cap("buyer", Counted.LEADS, Period.DAY),
        ),
        Charge(
            "cap:101:buyer:sunco:leads:week:2026-W48",
            500,
            1,
            2 * 86400 + DAY_LEFT,
            Cap("buyer", Counted.LEADS, Period.WEEK),
        ),
        Charge(
            "cap:101:buyer:sunco:leads:month:2026-11",
            2000,
            1,
            3 * 86400 + DAY_LEFT,
            Cap("buyer", Counted.LEADS, Period.MONTH),
        ),
        Charge(
            "cap:101:buyer:sunco:leads:total:all",
            10000,
            1,
            None,
            Cap("buyer", Counted.LEADS, Period.TOTAL),
        ),
        Charge(
            "cap:101:buyer:sunco:budget:day:2026-11-27",
            50000,
            2550,
            DAY_LEFT,
            Cap("buyer", Counted.BUDGET, Period.DAY),
        ),
        Charge(
            "cap:101:buyer:sunco:budget:month:2026-11",
            900000,
            2550,
            3 * 86400 + DAY_LEFT,
            Cap("buyer", Counted.BUDGET, Period.MONTH),
        ),
    ]


def test_no_caps_no_charges_and_a_zero_cap_is_a_cap() -> None:
    assert sale_charges("101", "sunco", BuyerCaps(), 2550, WINDOWS) == []
    caps = BuyerCaps.model_validate({"leads": {"day": 0}})
    assert sale_charges("101", "sunco", caps, 2550, WINDOWS) == [
        Charge(
            "cap:101:buyer:sunco:leads:day:2026-11-27",
            0,
            1,
            DAY_LEFT,
            Cap("buyer", Counted.LEADS, Period.DAY),
        )
    ]


def test_an_accepted_lead_charges_the_supplier_its_payout() -> None:
    caps = SupplierCaps.model_validate(
        {"leads": {"total": 5}, "budget": {"week": 100}, "pings": {"minute": 600}}
    )
    assert accepted_lead_charges("101", "7", caps, 1234, WINDOWS) == [
        Charge(
            "cap:101:supplier:7:leads:total:all",
            5,
            1,
            None,
            Cap("supplier", Counted.LEADS, Period.TOTAL),
        ),
        Charge(
            "cap:101:supplier:7:budget:week:2026-W48",
            10000,
            1234,
            2 * 86400 + DAY_LEFT,
            Cap("supplier", Counted.BUDGET, Period.WEEK),
        ),
    ]


def test_a_ping_charges_the_ping_caps_only() -> None:
    caps = SupplierCaps.model_validate(
        {"leads": {"day": 5}, "pings": {"minute": 600, "hour": 20000, "day": 200000}}
    )
    assert ping_charges("101", "7", caps, WINDOWS) == [
        Charge(
            "cap:101:supplier:7:pings:minute:2026-11-27T16:15Z",
            600,
            1,
            30,
            Cap("supplier", Counted.PINGS, Period.MINUTE),
        ),
        Charge(
            "cap:101:supplier:7:pings:hour:2026-11-27T16Z",
            20000,
            1,
            44 * 60 + 30,
            Cap("supplier", Counted.PINGS, Period.HOUR),
        ),
        Charge(
            "cap:101:supplier:7:pings:day:2026-11-27",
            200000,
            1,
            DAY_LEFT,
            Cap("supplier", Counted.PINGS, Period.DAY),
        ),
    ]
    assert ping_charges("101", "7", SupplierCaps(), WINDOWS) == []
