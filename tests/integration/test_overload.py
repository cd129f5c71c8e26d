"""Past the limit, through a real `pickpost serve`: a supplier request over the in-flight limit
is refused with 1090, HTTP 503 and Retry-After, counted in /metrics; connections whose request
never arrives whole are closed; connections past the cap are closed at once.

The server runs with a limit of one request in flight, a short read deadline and a small
connection cap, so that a few hundred sockets and one hanging buyer show all of it.
"""

import copy
import json
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.databases import sqlite_url
from tests.support.fleet import ThreadedFleet
from tests.support.metrics import key, scrape
from tests.support.server import ServerProcess
from tests.support.system import KEY, System, workspace
from tests.support.waiting import eventually

HOLD_MS = 4000  # the hanging buyer's ping keeps the one request in flight this long
MAX_CONNECTIONS = 150
STALLED = 200  # connections opened at once, past the cap
CLOSED_WITHIN_S = 60.0  # generous: the server's own deadline is 3 s


@pytest.fixture(scope="module")
def overloaded(fleet: ThreadedFleet, tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:
    directory = tmp_path_factory.mktemp("overload")
    world = workspace(fleet.base_urls)
    held = copy.deepcopy(next(c for c in world["campaigns"] if c["id"] == "200"))
    held["id"] = "4200"
    held["ping_timeout_ms"] = HOLD_MS
    held["buyers"] = [
        {**buyer, "timeout_ms": HOLD_MS}
        for buyer in held["buyers"]
        if buyer["id"] in ("alpha", "hang")
    ]
    world["campaigns"] = [held]
    path = directory / "workspace.json"
    path.write_text(json.dumps(world))
    env = {
        "PICKPOST_MAX_IN_FLIGHT": "1",
        "PICKPOST_MIN_IN_FLIGHT": "1",
        "PICKPOST_OVERLOAD_RETRY_AFTER_S": "2",
        "PICKPOST_HEADER_TIMEOUT_S": "3",
        "PICKPOST_BODY_TIMEOUT_S": "3",
        "PICKPOST_MAX_CONNECTIONS": str(MAX_CONNECTIONS),
    }
    database_url = sqlite_url(directory)
    server = ServerProcess(path, database_url, directory / "server.log", env=env)
    with server, httpx.Client(base_url=server.base_url, timeout=30) as http:
        yield System(server, fleet, database_url, http)


def ping_body() -> dict[str, Any]:
    return {
        "lp_campaign_id": "4200",
        "lp_supplier_id": "7",
        "lp_key": KEY,
        "zip_code": "78701",
        "state": "TX",
    }


def test_a_ping_past_the_limit_is_refused_with_1090_503_and_retry_after(
    overloaded: System,
) -> None:
    fleet = overloaded.fleet
    fleet.clear()
    before = scrape(overloaded)
    first: list[httpx.Response] = []
    holder = threading.Thread(target=lambda: first.append(overloaded.ping("4200")))
    holder.start()
    try:
        # The first ping is in flight once the hanging buyer has it.
        assert eventually(lambda: len(fleet.received("hang")) == 1)
        refused = overloaded.http.post("/ping", json=ping_body())
        # On the same kept-alive connection: the refused ping's body was read and dropped.
        refused_post = overloaded.http.post("/post/", json=ping_body())
    finally:
        holder.join()

    for response in (refused, refused_post):
        assert response.status_code == 503
        assert response.headers["retry-after"] == "2"
        data = response.json()
        assert (data["status"], data["code"], data["error_code"]) == ("ERROR", 1090, 1090)
        assert data["request_id"] is None  # refused before anything was recorded
    # The held ping was answered in full, with the bid of the buyer that answered.
    assert first[0].status_code == 200
    assert [bid["buyer_id"] for bid in first[0].json()["bids"]] == ["alpha"]
    assert len(fleet.received("alpha")) == 1  # the refused ping reached no buyer

    after = scrape(overloaded)

    def moved(name: str, **labels: str) -> float:
        sample = key(name, **labels)
        return after.get(sample, 0) - before.get(sample, 0)

    admissions = "pickpost_supplier_admissions_total"
    assert moved(admissions, endpoint="/ping", verdict="admitted") == 1
    assert moved(admissions, endpoint="/ping", verdict="busy") == 1
    assert moved(admissions, endpoint="/post", verdict="busy") == 1
    # The refused ping was answered by the server's protocol as soon as its headers were
    # read: it never queued, so only the admitted one has a wait.
    waits = "pickpost_supplier_queue_wait_seconds_count"
    assert moved(waits, endpoint="/ping") == 1
    # The answered ping's duration counts from the server reading it.
    durations = "pickpost_supplier_request_duration_seconds_count"
    assert moved(durations, endpoint="/ping", code="0") == 1


def read_until_closed(conn: socket.socket) -> bytes:
    """What the server sent before closing; socket.timeout if it never closes."""
    received = b""
    while chunk := conn.recv(4096):
        received += chunk
    return received


def stalled(kind: int, address: tuple[str, int]) -> socket.socket:
    conn = socket.create_connection(address, timeout=CLOSED_WITHIN_S)
    try:
        if kind == 1:  # headers begun, never finished
            conn.sendall(b"POST /ping HTTP/1.1\r\nHost: pickpost\r\nContent-Ty")
        elif kind == 2:  # headers done, a tenth of the body
            conn.sendall(
                b"POST /ping HTTP/1.1\r\nHost: pickpost\r\nContent-Type: application/json\r\n"
                b"Content-Length: 100\r\n\r\n" + b'{"lp_campa'
            )
    except OSError:
        pass  # closed at once: past the cap
    return conn


def test_stalled_connections_are_closed_and_the_server_still_answers(
    overloaded: System, tmp_path: Path
) -> None:
    before = scrape(overloaded)
    address = ("127.0.0.1", overloaded.server.port)
    # Nothing sent, headers cut off, a body cut off: in turn, past the connection cap.
    connections = [stalled(i % 3, address) for i in range(STALLED)]
    answers = []
    try:
        for conn in connections:
            try:
                answers.append(read_until_closed(conn))
            except ConnectionResetError:
                answers.append(b"")
    finally:
        for conn in connections:
            conn.close()
    assert len(answers) == STALLED  # every one closed by the server (none timed out here)
    # What was answered at all is the 408 of unfinished headers.
    assert {answer.split(b"\r\n", 1)[0] for answer in answers if answer} <= {
        b"HTTP/1.1 408 Request Timeout"
    }

    after = scrape(overloaded)
    closed = "pickpost_connections_closed_total"
    for reason in ("header_timeout", "body_timeout", "over_limit"):
        assert after.get(key(closed, reason=reason), 0) > before.get(key(closed, reason=reason), 0)
    # The server serves as before.
    answer = overloaded.ping("4200", lp_action="test")
    assert answer.status_code == 200, answer.text


def test_bodies_still_coming_take_no_place_in_flight(overloaded: System) -> None:
    address = ("127.0.0.1", overloaded.server.port)
    connections = [stalled(2, address) for _ in range(5)]
    try:
        # The limit is one request in flight: five pings waiting for their bodies hold none.
        answer = overloaded.ping("4200")
        assert answer.status_code == 200, answer.text
    finally:
        for conn in connections:
            conn.close()
