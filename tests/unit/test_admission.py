"""The admission rule with explicit clock readings (no real time is read), and the gate that
applies it in front of the application, driven as ASGI without a socket."""

import asyncio
from typing import Any

import orjson
import pytest

from pickpost.api.admission import RECEIVED_KEY, AdmissionGate
from pickpost.domain.admission import Admission, AdmissionPolicy, Verdict
from pickpost.infra.server_protocol import SCOPE_KEY, SHEDDER_KEY, Arrival

POLICY = AdmissionPolicy(
    max_in_flight=16, min_in_flight=2, queue_target_s=0.01, max_queue_s=0.25, interval_s=0.1
)
FAST = 0.001  # a wait well under the target
SLOW = 0.04  # four times the target


class Clock:
    """Monotonic readings the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def advance(self, seconds: float) -> float:
        self.now += seconds
        return self.now


def fill(admission: Admission, clock: Clock, count: int, waited: float = FAST) -> None:
    for _ in range(count):
        assert admission.admit(waited, clock.advance(0.001)) is Verdict.ADMITTED


def test_a_ping_is_refused_at_the_limit_and_admitted_once_one_is_answered() -> None:
    admission, clock = Admission(POLICY), Clock()
    fill(admission, clock, 16)
    assert admission.admit(FAST, clock.now) is Verdict.BUSY
    admission.release()
    assert admission.admit(FAST, clock.now) is Verdict.ADMITTED
    assert admission.in_flight == 16


def test_a_request_that_waited_past_the_budget_is_refused_whatever_the_limit() -> None:
    admission = Admission(POLICY)
    assert admission.admit(0.26, 1000.0) is Verdict.LATE
    assert admission.in_flight == 0


def judged(admission: Admission, clock: Clock, waited: float) -> None:
    """Ends the interval under way: the next decision, one interval on, judges it."""
    clock.advance(0.1)
    fill(admission, clock, 1, waited=waited)


def test_a_standing_queue_cuts_what_is_in_flight_in_proportion() -> None:
    admission, clock = Admission(POLICY), Clock()
    fill(admission, clock, 11, waited=SLOW)
    assert admission.limit == 16  # judged when the interval ends, not at each wait
    # Four times the target would cut the 12 in flight to a quarter; one cut is at most a half.
    judged(admission, clock, SLOW)
    assert admission.limit == 6
    for _ in range(10):
        admission.release()
    # Each interval is judged once: the requests in flight (3, with this one) cut to 80 %.
    fill(admission, clock, 1, waited=0.0125)
    assert admission.limit == 6
    judged(admission, clock, FAST)
    assert admission.limit == 3


def test_a_burst_among_short_waits_cuts_nothing() -> None:
    admission, clock = Admission(POLICY), Clock()
    fill(admission, clock, 4)
    fill(admission, clock, 6, waited=0.2)  # a pause of the loop: these waited long
    fill(admission, clock, 1)  # and the next one started at once again
    judged(admission, clock, SLOW)
    assert admission.limit == 16


def test_a_limit_far_above_what_is_in_flight_falls_in_one_cut() -> None:
    admission, clock = Admission(POLICY), Clock()
    fill(admission, clock, 3, waited=0.011)
    judged(admission, clock, 0.011)
    assert admission.limit == 3  # 4 in flight × 10/11, not the limit of 16 × 10/11


def test_the_limit_never_falls_under_its_floor() -> None:
    admission, clock = Admission(POLICY), Clock()
    for _ in range(20):
        clock.advance(0.2)
        admission.admit(0.2, clock.now)
        admission.release()
    assert admission.limit == POLICY.min_in_flight


def test_the_limit_grows_back_by_one_per_limit_admissions_while_it_holds_requests_back() -> None:
    admission, clock = Admission(POLICY), Clock()
    for _ in range(3):
        clock.advance(0.2)
        admission.admit(0.2, clock.now)
        admission.release()
    assert admission.limit == 2
    fill(admission, clock, 2)  # the second one reaches the limit: + 1/2
    admission.release()
    fill(admission, clock, 1)  # at the limit again: + 1/2.5
    assert admission.limit == 2
    admission.release()
    fill(admission, clock, 1)  # + 1/2.9
    assert admission.limit == 3
    admission.release()
    admission.release()
    # Far under the limit, fast waits say nothing about what more would do: no growth.
    for _ in range(10):
        fill(admission, clock, 1)
        admission.release()
    assert admission.limit == 3


def test_the_limit_never_grows_past_its_ceiling() -> None:
    admission, clock = Admission(POLICY), Clock()
    fill(admission, clock, 16)
    for _ in range(100):
        admission.release()
        fill(admission, clock, 1)
    assert admission.limit == POLICY.max_in_flight


def test_a_sale_is_admitted_up_to_the_ceiling_when_pings_are_refused() -> None:
    admission, clock = Admission(POLICY), Clock()
    fill(admission, clock, 6, waited=SLOW)
    judged(admission, clock, SLOW)  # 7 in flight, then the limit cut to 3.5
    assert admission.admit(FAST, clock.now) is Verdict.BUSY
    for _ in range(9):
        assert admission.admit(FAST, clock.now, sale=True) is Verdict.ADMITTED
    assert admission.admit(FAST, clock.now, sale=True) is Verdict.BUSY


def test_a_policy_with_its_floor_above_its_ceiling_is_refused() -> None:
    with pytest.raises(ValueError, match="min_in_flight"):
        AdmissionPolicy(max_in_flight=2, min_in_flight=3)


class App:
    """An application that records what it saw and answers 200 (or fails when told)."""

    def __init__(self, fail: bool = False) -> None:
        self.scopes: list[dict[str, Any]] = []
        self.fail = fail

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        self.scopes.append(dict(scope))
        if self.fail:
            raise RuntimeError("a bug")
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"{}"})


def call(gate: AdmissionGate, path: str, arrival: Arrival | None = None) -> list[dict[str, Any]]:
    scope: dict[str, Any] = {"type": "http", "method": "POST", "path": path}
    if arrival is not None:
        scope["extensions"] = {SCOPE_KEY: arrival}
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Any) -> None:
        sent.append(message)

    asyncio.run(gate(scope, receive, send))
    return sent


def full_admission() -> Admission:
    admission, clock = Admission(AdmissionPolicy(max_in_flight=1, min_in_flight=1)), Clock()
    fill(admission, clock, 1)
    return admission


def test_the_gate_refuses_with_1090_a_503_and_retry_after() -> None:
    app = App()
    sent = call(AdmissionGate(app, full_admission(), retry_after_s=3), "/ping/")
    assert app.scopes == []
    start, body = sent
    assert start["status"] == 503
    headers = dict(start["headers"])
    assert headers[b"retry-after"] == b"3"
    assert headers[b"content-type"] == b"application/json"
    envelope = orjson.loads(body["body"])
    assert (envelope["status"], envelope["code"], envelope["error_code"]) == ("ERROR", 1090, 1090)
    assert "overloaded" in envelope["message"]


def test_the_gate_lets_other_paths_through_even_when_full() -> None:
    app = App()
    gate = AdmissionGate(app, full_admission(), retry_after_s=1)
    for path in ("/metrics", "/healthz", "/console", "/api/v1/leads"):
        assert call(gate, path)[0]["status"] == 200
    assert len(app.scopes) == 4


def test_the_gate_hands_the_arrival_stamp_on_and_releases_after_the_answer() -> None:
    # A stamp from long ago, and a budget longer still.
    policy = AdmissionPolicy(max_in_flight=1, min_in_flight=1, max_queue_s=float("inf"))
    app, admission = App(), Admission(policy)
    gate = AdmissionGate(app, admission, retry_after_s=1)
    assert call(gate, "/direct_post", Arrival(received=12.5))[0]["status"] == 200
    assert app.scopes[0][RECEIVED_KEY] == 12.5
    assert admission.in_flight == 0


def test_the_gate_releases_when_the_handler_fails() -> None:
    admission = Admission(AdmissionPolicy(max_in_flight=1, min_in_flight=1))
    gate = AdmissionGate(App(fail=True), admission, retry_after_s=1)
    with pytest.raises(RuntimeError):
        call(gate, "/post")
    assert admission.in_flight == 0


def test_the_gate_starts_nothing_for_a_client_that_has_gone() -> None:
    app, admission = App(), Admission(POLICY)
    sent = call(AdmissionGate(app, admission, 1), "/ping", Arrival(received=1.0, lost=True))
    assert (sent, app.scopes, admission.in_flight) == ([], [], 0)


def test_the_gate_reads_a_body_still_coming_before_deciding_and_replays_it() -> None:
    admission = Admission(AdmissionPolicy(max_in_flight=1, min_in_flight=1))
    chunks = [
        {"type": "http.request", "body": b'{"a":', "more_body": True},
        {"type": "http.request", "body": b" 1}", "more_body": False},
    ]
    seen: list[bytes] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        assert admission.in_flight == 1
        while True:
            message = await receive()
            seen.append(message["body"])
            if not message["more_body"]:
                break
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"{}"})

    async def receive() -> dict[str, Any]:
        return chunks.pop(0)

    async def send(message: Any) -> None:
        pass

    scope = {"type": "http", "method": "POST", "path": "/ping", "extensions": {
        SCOPE_KEY: Arrival(received=1.0)}}  # fmt: skip
    asyncio.run(AdmissionGate(app, admission, 1)(scope, receive, send))
    assert seen == [b'{"a":', b" 1}"]
    assert admission.in_flight == 0


def test_the_gate_sheds_pings_on_their_path_alone_while_the_limit_is_full() -> None:
    gate = AdmissionGate(App(), full_admission(), retry_after_s=1)
    refusal = gate.shed("POST", "/ping/")
    assert refusal is not None
    headers, body = refusal
    assert dict(headers)[b"retry-after"] == b"1"
    assert int(dict(headers)[b"content-length"]) == len(body)
    assert orjson.loads(body)["code"] == 1090
    # Sales and other paths are left to the gate; a limit not full sheds nothing.
    assert gate.shed("POST", "/post") is None
    assert gate.shed("GET", "/ping") is None
    assert gate.shed("POST", "/healthz") is None
    assert AdmissionGate(App(), Admission(POLICY), 1).shed("POST", "/ping") is None


def test_the_gate_offers_itself_to_the_server_in_the_lifespan_state() -> None:
    gate = AdmissionGate(App(), Admission(POLICY), 1)
    state: dict[str, object] = {}

    async def receive() -> dict[str, Any]:
        return {"type": "lifespan.startup"}

    async def send(message: Any) -> None:
        pass

    asyncio.run(gate({"type": "lifespan", "state": state}, receive, send))
    assert state[SHEDDER_KEY] is gate
