"""Caps: how many leads, how much money and how many pings a buyer or supplier may take.

::

    caps:                                   # on a buyer
      leads: {day: 100, week: 500, month: 2000, total: 10000}
      budget: {day: 500.00, month: 9000}    # dollars of sold lead prices
    caps:                                   # on a supplier: the same, plus pings
      leads: {day: 1000}
      budget: {day: 2500}                   # dollars paid out to the supplier
      pings: {minute: 600, hour: 20000, day: 200000}

Each limit is optional. Days, ISO weeks (Monday first) and months are calendar periods in the
campaign's time zone; ``total`` never resets. Ping caps are rate limits and count whole UTC
minutes and hours (a local hour can repeat or vanish when clocks change), and local days.

A cap is enforced by charging counters: a charge that would take a counter **above** its
limit is refused, so a budget of $500 with $490 spent refuses a $20 lead. The services charge
through a :class:`CounterStore`, which applies all charges of a lead or none.

Pure apart from the :class:`CounterStore` protocol: no I/O, no clock reads.
"""

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from pydantic import Field

from pickpost.domain.model import Model, Money
from pickpost.domain.money import Cents, to_cents

Count = Annotated[int, Field(ge=0)]


class Period(StrEnum):
    MINUTE = "minute"
    HOUR = "hour"
    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    TOTAL = "total"


def _cents(amount: Decimal | None) -> Cents | None:
    return None if amount is None else to_cents(amount)


class LeadCaps(Model):
    """Leads per period."""

    day: Count | None = None
    week: Count | None = None
    month: Count | None = None
    total: Count | None = None

    def limits(self) -> dict[Period, int | None]:
        return {
            Period.DAY: self.day,
            Period.WEEK: self.week,
            Period.MONTH: self.month,
            Period.TOTAL: self.total,
        }


class BudgetCaps(Model):
    """Dollars per period (lead prices for a buyer, payouts for a supplier)."""

    day: Money | None = None
    week: Money | None = None
    month: Money | None = None
    total: Money | None = None

    def limits(self) -> dict[Period, Cents | None]:
        """The limits in cents."""
        return {
            Period.DAY: _cents(self.day),
            Period.WEEK: _cents(self.week),
            Period.MONTH: _cents(self.month),
            Period.TOTAL: _cents(self.total),
        }


class PingCaps(Model):
    """Pings per period."""

    minute: Count | None = None
    hour: Count | None = None
    day: Count | None = None

    def limits(self) -> dict[Period, int | None]:
        return {Period.MINUTE: self.minute, Period.HOUR: self.hour, Period.DAY: self.day}


class BuyerCaps(Model):
    leads: LeadCaps = LeadCaps()
    budget: BudgetCaps = BudgetCaps()


class SupplierCaps(BuyerCaps):
    pings: PingCaps = PingCaps()


@dataclass(frozen=True, slots=True)
class PeriodWindow:
    """The current window of one period: its label and the seconds until it ends.

    ``seconds_left`` is rounded up and at least 1, so it serves as a counter's TTL and as a
    ``Retry-After``; it is None for ``total``, which never ends.
    """

    label: str
    seconds_left: int | None


Windows = Mapping[Period, PeriodWindow]


def _left(now: datetime, end: datetime) -> int:
    return max(1, math.ceil((end - now).total_seconds()))


def period_keys(at_epoch: float, tz: str) -> dict[Period, PeriodWindow]:
    """The window of every period at ``at_epoch`` (Unix seconds) for a campaign in ``tz``.

    Labels: minute ``2026-11-27T16:15Z`` and hour ``2026-11-27T16Z`` (UTC), day ``2026-11-27``,
    week ``2026-W48`` (ISO year and week), month ``2026-11``, total ``all``.
    """
    utc = datetime.fromtimestamp(at_epoch, UTC)
    minute = utc.replace(second=0, microsecond=0)
    hour = minute.replace(minute=0)
    zone = ZoneInfo(tz)
    local = utc.astimezone(zone)
    today = local.date()
    # Local midnights made aware with fold=0: a skipped midnight maps to the moment the day
    # begins, a repeated one to its first occurrence.
    tomorrow = datetime.combine(today + timedelta(days=1), datetime.min.time(), zone)
    next_week = datetime.combine(
        today + timedelta(days=7 - today.weekday()), datetime.min.time(), zone
    )
    first_of_next = (today.replace(day=28) + timedelta(days=4)).replace(day=1)
    next_month = datetime.combine(first_of_next, datetime.min.time(), zone)
    iso = today.isocalendar()
    return {
        Period.MINUTE: PeriodWindow(
            minute.strftime("%Y-%m-%dT%H:%MZ"), _left(utc, minute + timedelta(minutes=1))
        ),
        Period.HOUR: PeriodWindow(
            hour.strftime("%Y-%m-%dT%HZ"), _left(utc, hour + timedelta(hours=1))
        ),
        Period.DAY: PeriodWindow(today.isoformat(), _left(utc, tomorrow)),
        Period.WEEK: PeriodWindow(f"{iso.year}-W{iso.week:02d}", _left(utc, next_week)),
        Period.MONTH: PeriodWindow(today.strftime("%Y-%m"), _left(utc, next_month)),
        Period.TOTAL: PeriodWindow("all", None),
    }


class Counted(StrEnum):
    LEADS = "leads"
    BUDGET = "budget"  # cents
    PINGS = "pings"


@dataclass(frozen=True, slots=True)
class Cap:
    """Which cap a counter holds: whose (a ``buyer`` or a ``supplier``), what it counts, and
    over which period."""

    whose: Literal["buyer", "supplier"]
    counted: Counted
    period: Period

    def reached(self) -> str:
        """``supplier cap reached: leads per day``, ``… budget in total``."""
        if self.period is Period.TOTAL:
            return f"{self.whose} cap reached: {self.counted} in total"
        return f"{self.whose} cap reached: {self.counted} per {self.period}"


@dataclass(frozen=True, slots=True)
class Charge:
    """Add ``amount`` to the counter ``key`` unless that takes it above ``limit``.

    A new counter lives ``ttl_s`` seconds (None: forever). ``cap`` says which cap the counter
    holds; counters of other kinds (tests, tools) have none.
    """

    key: str
    limit: int
    amount: int
    ttl_s: int | None
    cap: Cap | None = None


def _charges(
    campaign_id: str,
    whose: Literal["buyer", "supplier"],
    owner_id: str,
    counted: Counted,
    limits: Mapping[Period, int | None],
    amount: int,
    windows: Windows,
) -> list[Charge]:
    return [
        Charge(
            f"cap:{campaign_id}:{whose}:{owner_id}:{counted}:{period}:{windows[period].label}",
            limit,
            amount,
            windows[period].seconds_left,
            Cap(whose, counted, period),
        )
        for period, limit in limits.items()
        if limit is not None
    ]


def _lead_and_budget(
    campaign_id: str,
    whose: Literal["buyer", "supplier"],
    owner_id: str,
    caps: BuyerCaps,
    cents: Cents,
    windows: Windows,
) -> list[Charge]:
    leads = _charges(campaign_id, whose, owner_id, Counted.LEADS, caps.leads.limits(), 1, windows)
    budget = caps.budget.limits()
    return leads + _charges(campaign_id, whose, owner_id, Counted.BUDGET, budget, cents, windows)


def sale_charges(
    campaign_id: str, buyer_id: str, caps: BuyerCaps, price: Cents, windows: Windows
) -> list[Charge]:
    """Charges for a lead sold to a buyer at ``price``: one lead, ``price`` cents of budget.

    Keys look like ``cap:{campaign}:buyer:{buyer}:leads:day:2026-11-27``.
    """
    return _lead_and_budget(campaign_id, "buyer", buyer_id, caps, price, windows)


def accepted_lead_charges(
    campaign_id: str, supplier_id: str, caps: SupplierCaps, payout: Cents, windows: Windows
) -> list[Charge]:
    """Charges for a lead accepted from a supplier paid ``payout``: one lead, ``payout`` cents.

    Keys look like ``cap:{campaign}:supplier:{supplier}:budget:month:2026-11``.
    """
    return _lead_and_budget(campaign_id, "supplier", supplier_id, caps, payout, windows)


def ping_charges(
    campaign_id: str, supplier_id: str, caps: SupplierCaps, windows: Windows
) -> list[Charge]:
    """Charges for one ping from a supplier.

    Keys look like ``cap:{campaign}:supplier:{supplier}:pings:minute:2026-11-27T16:15Z``.
    """
    limits = caps.pings.limits()
    return _charges(campaign_id, "supplier", supplier_id, Counted.PINGS, limits, 1, windows)


def first_over(charges: Sequence[Charge], values: Mapping[str, int]) -> Charge | None:
    """The first of ``charges`` that would take its counter (valued as in ``values``, 0 when
    absent) above its limit; a key charged twice counts twice."""
    pending: dict[str, int] = {}
    for charge in charges:
        total = pending.get(charge.key, values.get(charge.key, 0)) + charge.amount
        if total > charge.limit:
            return charge
        pending[charge.key] = total
    return None


@dataclass(frozen=True, slots=True)
class CapUse:
    """How much of one cap is used in its current window."""

    cap: Cap
    window: str  # the period's label: 2026-11-27, 2026-W48, all …
    used: int
    limit: int


def counters_of(
    campaign_id: str,
    whose: Literal["buyer", "supplier"],
    owner_id: str,
    caps: BuyerCaps,
    windows: Windows,
) -> list[Charge]:
    """The counters (as zero charges) that hold a buyer's or supplier's caps now."""
    held = _lead_and_budget(campaign_id, whose, owner_id, caps, 0, windows)
    if isinstance(caps, SupplierCaps):
        held += _charges(
            campaign_id, whose, owner_id, Counted.PINGS, caps.pings.limits(), 0, windows
        )
    return held


def uses(held: Sequence[Charge], values: Mapping[str, int], windows: Windows) -> list[CapUse]:
    """Each held counter's value against its limit (absent counters are unused)."""
    return [
        CapUse(c.cap, windows[c.cap.period].label, values.get(c.key, 0), c.limit)
        for c in held
        if c.cap is not None
    ]
