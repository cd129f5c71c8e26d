"""When traffic arrives: a day's volume, its weekday, and the hour-of-day curve of one zone."""

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

# Relative traffic per local hour: a night trough, a climb from 7:00, a late-morning peak, a
# slower afternoon and an evening tail.
HOURLY = (
    0.15, 0.10, 0.08, 0.07, 0.08, 0.12, 0.25, 0.45, 0.70, 0.90, 1.00, 1.00,
    0.95, 0.95, 0.90, 0.85, 0.80, 0.75, 0.70, 0.60, 0.50, 0.40, 0.30, 0.20,
)  # fmt: skip
WEEKEND = 0.55  # Saturdays and Sundays bring about half a weekday's traffic


@dataclass(frozen=True, slots=True)
class Shape:
    """The volume and timing of one zone's days."""

    zone: ZoneInfo
    leads_per_day: int  # on a weekday; weekends bring ``WEEKEND`` of it

    def days(self, start: float, end: float) -> list[date]:
        """The local dates from the one holding ``start`` to the one holding ``end``."""
        first = datetime.fromtimestamp(start, self.zone).date()
        last = datetime.fromtimestamp(end, self.zone).date()
        return [first + timedelta(days=n) for n in range((last - first).days + 1)]

    def volume(self, day: date, rng: random.Random) -> int:
        """Leads wanted on ``day``: the weekday's volume, give or take 10 %."""
        base = self.leads_per_day * (WEEKEND if day.weekday() >= 5 else 1.0)
        return max(0, round(base * rng.uniform(0.9, 1.1)))

    def moments(self, day: date, count: int, rng: random.Random) -> list[float]:
        """``count`` epoch seconds on local ``day``, following the hourly curve, in order."""
        midnight = datetime.combine(day, time(), self.zone)
        # Each local hour as its own aware datetime: a DST day has 23 or 25 real hours.
        hours = [(midnight + timedelta(hours=h)).timestamp() for h in range(24)]
        picked = rng.choices(range(24), weights=HOURLY, k=count)
        return sorted(hours[h] + rng.random() * 3600 for h in picked)
