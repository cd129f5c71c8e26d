"""The soak: one long step at a steady rate, the server's memory and CPU per ping read throughout.

Issue 12 asks for RSS flat over a 10-minute run at 50/s. A peak alone cannot tell a warm-up
(caches, pools and the allocator's arenas filling once) from a leak, so the soak keeps a point
every few seconds and states the slope of each half: a leak grows in the second half as in the
first, a warm-up does not.
"""

from collections.abc import Sequence
from dataclasses import dataclass

# Points kept over a soak, whatever its length: enough for a slope, small enough for the JSON.
POINTS = 60
# The soak's memory is flat when the second half's growth, carried on for a whole soak, stays
# within this share of the RSS at the start.
FLAT_SHARE = 0.05


@dataclass(frozen=True, slots=True)
class SoakPoint:
    """One reading: seconds since the soak began, the server's RSS, and its CPU ms per ping
    since the previous reading (None for the first, or when no ping was sent in between)."""

    at_s: float
    rss_mb: float
    cpu_ms_per_ping: float | None


@dataclass(frozen=True, slots=True)
class SoakNumbers:
    duration_s: float
    rate: float
    rss_mb_start: float
    rss_mb_end: float
    rss_mb_max: float
    # Least-squares slopes in MiB per minute: over the whole soak and over its second half.
    rss_slope_mb_per_min: float | None
    rss_slope_second_half_mb_per_min: float | None
    points: list[SoakPoint]

    def flat(self) -> bool | None:
        """Whether the second half's slope, carried on for a whole soak, stays within
        ``FLAT_SHARE`` of the start's RSS; None when there were too few points."""
        slope = self.rss_slope_second_half_mb_per_min
        if slope is None:
            return None
        return slope * self.duration_s / 60 <= FLAT_SHARE * self.rss_mb_start


def slope_per_min(points: Sequence[tuple[float, float]]) -> float | None:
    """The least-squares slope of ``(seconds, value)`` points, per minute; None below two
    distinct times."""
    if len(points) < 2:
        return None
    mean_t = sum(t for t, _ in points) / len(points)
    mean_v = sum(v for _, v in points) / len(points)
    spread = sum((t - mean_t) ** 2 for t, _ in points)
    if spread == 0:
        return None
    return 60 * sum((t - mean_t) * (v - mean_v) for t, v in points) / spread


class SoakRecorder:
    """Keeps a point every ``duration_s / POINTS`` seconds from readings offered more often."""

    def __init__(self, duration_s: float, rate: float, began: float) -> None:
        self._duration_s = duration_s
        self._rate = rate
        self._every_s = duration_s / POINTS
        self._began = began
        self._points: list[SoakPoint] = []
        self._last: tuple[float, int] | None = None  # CPU seconds and pings sent at the last point

    def due(self, now: float) -> bool:
        """Whether a reading at ``now`` would be kept (the first always is)."""
        return not self._points or now - self._began >= self._points[-1].at_s + self._every_s

    def offer(self, now: float, rss_mb: float, cpu_s: float, sent: int) -> None:
        """A reading; kept when a point is due."""
        if not self.due(now):
            return
        at_s = now - self._began
        per_ping = None
        if self._last is not None and sent > self._last[1]:
            per_ping = 1000 * (cpu_s - self._last[0]) / (sent - self._last[1])
        self._points.append(SoakPoint(at_s, rss_mb, per_ping))
        self._last = (cpu_s, sent)

    def numbers(self) -> SoakNumbers | None:
        points = self._points
        if not points:
            return None
        half = points[-1].at_s / 2
        return SoakNumbers(
            duration_s=self._duration_s,
            rate=self._rate,
            rss_mb_start=points[0].rss_mb,
            rss_mb_end=points[-1].rss_mb,
            rss_mb_max=max(p.rss_mb for p in points),
            rss_slope_mb_per_min=slope_per_min([(p.at_s, p.rss_mb) for p in points]),
            rss_slope_second_half_mb_per_min=slope_per_min(
                [(p.at_s, p.rss_mb) for p in points if p.at_s >= half]
            ),
            points=list(points),
        )
