"""Counters and histograms kept in plain numbers by one process, scraped as prometheus_client's.

prometheus_client's ``inc`` and ``observe`` take a lock per value and walk the bucket bounds in
Python: a few microseconds each, about thirty times per PING. Here a counter series is a number
and a histogram series a list of bucket counts found by ``bisect`` and a sum. ``collect`` gives
the families prometheus_client's ``Counter`` and ``Histogram`` would: same names, HELP, TYPE,
labels, ``le`` bounds, cumulative buckets, ``_count``, ``_sum`` and ``_created`` samples.

No lock: the series are changed and read on one thread (the server's event loop observes and
answers the scrape). They hold this process's samples only, so they serve where one process is
the whole node; with ``PROMETHEUS_MULTIPROC_DIR`` prometheus_client's own metrics write to the
shared files instead (``infra/metrics.py``).
"""

import os
import time
from bisect import bisect_left
from collections.abc import Iterator, Sequence
from typing import Generic, TypeVar

from prometheus_client import CollectorRegistry
from prometheus_client.metrics_core import Metric
from prometheus_client.utils import floatToGoString

Sample = tuple[str, dict[str, str], float]


def created_samples() -> bool:
    """Whether series carry ``_created``, as prometheus_client decides it."""
    off = os.environ.get("PROMETHEUS_DISABLE_CREATED_SERIES", "False").lower()
    return off not in ("true", "1", "t")


class CounterSeries:
    __slots__ = ("created", "value")

    def __init__(self) -> None:
        self.value = 0.0
        self.created = time.time()

    def inc(self, amount: float = 1) -> None:
        if amount < 0:
            raise ValueError("Counters can only be incremented by non-negative amounts.")
        self.value += amount

    def samples(self, labels: dict[str, str]) -> Iterator[Sample]:
        yield "_total", labels, self.value


class HistogramSeries:
    __slots__ = ("_bounds", "_les", "counts", "created", "sum")

    def __init__(self, bounds: tuple[float, ...], les: tuple[str, ...]) -> None:
        self._bounds = bounds  # ascending, the last one +Inf
        self._les = les  # the bounds as ``le`` label values
        self.counts = [0] * len(bounds)  # per bucket, not cumulative
        self.sum = 0.0
        self.created = time.time()

    def observe(self, amount: float) -> None:
        self.counts[bisect_left(self._bounds, amount)] += 1
        self.sum += amount

    def samples(self, labels: dict[str, str]) -> Iterator[Sample]:
        total = 0
        for le, count in zip(self._les, self.counts, strict=True):
            total += count
            yield "_bucket", {**labels, "le": le}, float(total)
        yield "_count", labels, float(total)
        yield "_sum", labels, self.sum


S = TypeVar("S", CounterSeries, HistogramSeries)


class _Family(Generic[S]):
    """One metric family and its series by label values, registered as a collector."""

    _type: str

    def __init__(
        self, name: str, documentation: str, labelnames: Sequence[str], registry: CollectorRegistry
    ) -> None:
        self._name = name
        self._documentation = documentation
        self._labelnames = tuple(labelnames)
        self._series: dict[tuple[str, ...], S] = {}
        if not self._labelnames:
            self.labels()  # an unlabelled family shows its one series from the start
        registry.register(self)

    def labels(self, *values: str) -> S:
        found = self._series.get(values)
        if found is None:
            if len(values) != len(self._labelnames):
                raise ValueError(f"{self._name}: expected labels {self._labelnames}, got {values}")
            found = self._series[values] = self._new()
        return found

    def _new(self) -> S:
        raise NotImplementedError

    def describe(self) -> list[Metric]:
        return [Metric(self._name, self._documentation, self._type)]

    def collect(self) -> list[Metric]:
        metric = Metric(self._name, self._documentation, self._type)
        created = created_samples()
        for values, series in list(self._series.items()):
            labels = dict(zip(self._labelnames, values, strict=True))
            for suffix, sample_labels, value in series.samples(labels):
                metric.add_sample(self._name + suffix, sample_labels, value)
            if created:
                metric.add_sample(self._name + "_created", labels, series.created)
        return [metric]


class LocalCounter(_Family[CounterSeries]):
    _type = "counter"

    def _new(self) -> CounterSeries:
        return CounterSeries()


class LocalHistogram(_Family[HistogramSeries]):
    _type = "histogram"

    def __init__(
        self,
        name: str,
        documentation: str,
        labelnames: Sequence[str],
        registry: CollectorRegistry,
        buckets: Sequence[float],
    ) -> None:
        bounds = [float(b) for b in buckets]
        if bounds != sorted(bounds):
            raise ValueError(f"{name}: bucket bounds must be ascending")
        self._bounds = (*bounds, float("inf")) if bounds[-1] != float("inf") else tuple(bounds)
        self._les = tuple(floatToGoString(b) for b in self._bounds)  # type: ignore[no-untyped-call]
        super().__init__(name, documentation, labelnames, registry)

    def _new(self) -> HistogramSeries:
        return HistogramSeries(self._bounds, self._les)
