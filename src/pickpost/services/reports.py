"""Reports and the dashboard, exact: the traffic counted so far is written and the lead
rollups refreshed before each read (docs/reports.md)."""

import asyncio
from dataclasses import dataclass

from pickpost.domain.reports import (
    Grouping,
    Report,
    ReportQuery,
    ReportRow,
    Tally,
    fold,
    series_grouping,
    top,
)
from pickpost.services.ports import RollupSource, TrafficFlush


@dataclass(frozen=True, slots=True)
class Dashboard:
    query: ReportQuery
    summary: Tally  # the range's totals
    series: Report  # by hour for one day, by day for longer
    tops: dict[str, list[ReportRow]]  # campaigns, suppliers, buyers

    def as_json(self, withheld: frozenset[str] = frozenset()) -> dict[str, object]:
        step = series_grouping(self.query).value
        return {
            "start": self.query.start.isoformat(),
            "end": self.query.end.isoformat(),
            "timezone": self.query.tz.key,
            "summary": self.summary.metrics(withheld),
            "series": {"step": step, "points": [r.as_json(withheld) for r in self.series.rows]},
            "top": {kind: [r.as_json(withheld) for r in rows] for kind, rows in self.tops.items()},
        }


_DIMENSION = {
    Grouping.CAMPAIGN: "campaign",
    Grouping.SUPPLIER: "supplier",
    Grouping.BUYER: "buyer",
    Grouping.DAY: "bucket",
    Grouping.HOUR: "bucket",
}


class ReportService:
    def __init__(self, rollups: RollupSource, traffic: TrafficFlush) -> None:
        self._rollups = rollups
        self._traffic = traffic

    async def bring_up_to_date(self) -> None:
        """Write this node's traffic counts and recompute the lead rollups that changed: a
        read after this sees every lead committed before it."""
        await self._traffic.flush()
        await self._rollups.refresh()

    async def report(self, query: ReportQuery) -> Report:
        """The query's rows and totals (already scoped: see ``ReportQuery.scoped``)."""
        await self.bring_up_to_date()
        return await self._read(query)

    async def dashboard(self, query: ReportQuery, top_n: int = 5) -> Dashboard:
        """Totals, a series over time and the top campaigns, suppliers and buyers."""
        await self.bring_up_to_date()
        kinds = {
            "campaigns": Grouping.CAMPAIGN,
            "suppliers": Grouping.SUPPLIER,
            "buyers": Grouping.BUYER,
        }
        # Side by side: the database works on each on its own connection.
        series, *ranked = await asyncio.gather(
            self._read(query.with_groups(series_grouping(query))),
            *(self._read(query.with_groups(grouping)) for grouping in kinds.values()),
        )
        tops = {kind: top(report, top_n) for kind, report in zip(kinds, ranked, strict=True)}
        return Dashboard(query, series.totals, series, tops)

    async def _read(self, query: ReportQuery) -> Report:
        dimensions = frozenset(_DIMENSION[g] for g in query.group_by if g in _DIMENSION)
        leads, traffic = await self._rollups.read(query, dimensions)
        return fold(query, leads, traffic)
