"""Metrics derived from the logs a recorder sees: request latency, buyer calls, ping overhead."""

import time

from prometheus_client import REGISTRY

from pickpost.domain.lead import PingLog, RequestLog
from pickpost.domain.outcomes import BuyerCall, CallStep, Outcome
from pickpost.domain.ping import PingRecord
from pickpost.infra.metrics import MeteredRecorder
from tests.unit.fakes import FakeRecorder


class Recorder(FakeRecorder):
    async def flush(self) -> None:
        return None


CALLS = "pickpost_buyer_calls_total"
REQUESTS = "pickpost_supplier_request_duration_seconds_count"


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def call(buyer_id: str, outcome: Outcome, latency_ms: float) -> BuyerCall:
    return BuyerCall(buyer_id, CallStep.PING, "http://b/ping", outcome, "", time.time(), latency_ms)


def ping_log(ping_id: str, *calls: BuyerCall) -> PingLog:
    record = PingRecord(ping_id, "100", "7", "r_1", time.time(), time.time() + 60, False, {}, {},
                        (), len(calls))  # fmt: skip
    return PingLog(record, calls)


def request_log(endpoint: str, duration_ms: float, ping_id: str | None) -> RequestLog:
    return RequestLog("r_1", endpoint, time.time(), duration_ms, 200, 0, "100", "7", ping_id,
                      None, None, {}, {})  # fmt: skip


def test_logs_pass_through_and_count() -> None:
    inner = Recorder()
    recorder = MeteredRecorder(inner)
    bids = sample(CALLS, buyer_id="m1", step="ping", outcome="bid")
    requests = sample(REQUESTS, endpoint="/ping", code="0")
    recorder.ping(ping_log("p_m1", call("m1", Outcome.BID, 12.0)))
    recorder.request(request_log("/ping", 14.0, "p_m1"))
    assert len(inner.pings) == len(inner.requests) == 1
    assert sample(CALLS, buyer_id="m1", step="ping", outcome="bid") == bids + 1
    assert sample(REQUESTS, endpoint="/ping", code="0") == requests + 1


def test_overhead_is_latency_over_the_slowest_buyer_that_answered_in_time() -> None:
    recorder = MeteredRecorder(Recorder())
    count = sample("pickpost_ping_overhead_seconds_count")
    total = sample("pickpost_ping_overhead_seconds_sum")
    calls = (
        call("m2", Outcome.BID, 30.0),
        call("m3", Outcome.NO_BID, 40.0),
        call("m4", Outcome.TIMEOUT, 200.0),  # cut at the deadline: not what the supplier waited for
    )
    recorder.ping(ping_log("p_m2", *calls))
    recorder.request(request_log("/ping", 42.5, "p_m2"))
    assert sample("pickpost_ping_overhead_seconds_count") == count + 1
    assert abs(sample("pickpost_ping_overhead_seconds_sum") - total - 0.0025) < 1e-9


def test_a_post_of_the_ping_adds_no_overhead_sample() -> None:
    recorder = MeteredRecorder(Recorder())
    recorder.ping(ping_log("p_m5", call("m5", Outcome.BID, 5.0)))
    recorder.request(request_log("/ping", 6.0, "p_m5"))
    count = sample("pickpost_ping_overhead_seconds_count")
    recorder.request(request_log("/post", 60.0, "p_m5"))
    assert sample("pickpost_ping_overhead_seconds_count") == count
