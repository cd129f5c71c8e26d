"""The bench's fleet server: its answers over a fake transport (no sockets), in request order,
keep-alive or closed as asked, and never for the hanging buyer's pings."""

import asyncio

import httptools
import orjson
import pytest

from pickpost.bench.fleet import HANGING_BUYER, FleetPlan
from pickpost.bench.fleet_server import (
    Buyer,
    BuyerConnection,
    BuyerSpec,
    buyer_specs,
    response,
)


class FakeTransport(asyncio.Transport):
    def __init__(self) -> None:
        super().__init__()
        self.written = bytearray()
        self.closed = False

    def write(self, data: bytes | bytearray | memoryview) -> None:
        assert not self.closed, "written after close"
        self.written += data

    def close(self) -> None:
        self.closed = True


class Answers:
    """Parses what the fleet wrote: ``(status, headers, body)`` per answer."""

    def __init__(self, data: bytes) -> None:
        self.found: list[tuple[int, dict[bytes, bytes], bytes]] = []
        self._headers: dict[bytes, bytes] = {}
        self._body = b""
        self._parser = httptools.HttpResponseParser(self)
        self._parser.feed_data(data)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._headers[name.lower()] = value

    def on_body(self, body: bytes) -> None:
        self._body += body

    def on_message_complete(self) -> None:
        self.found.append((self._parser.get_status_code(), self._headers, self._body))
        self._headers, self._body = {}, b""


def request(path: str, close: bool = False) -> bytes:
    body = b'{"ping_id": "p_1", "lead": {"zip_code": "78701"}}'
    head = f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
    head += "Connection: close\r\n" if close else ""
    return head.encode() + b"Content-Length: %d\r\n\r\n" % len(body) + body


def connect(spec: BuyerSpec) -> tuple[BuyerConnection, FakeTransport]:
    connection, transport = BuyerConnection(Buyer(spec)), FakeTransport()
    connection.connection_made(transport)
    return connection, transport


FAST = BuyerSpec("b01", 10, ping_delay_s=0.02, post_delay_s=0.001)


def test_the_plan_gives_each_buyer_its_delay_and_the_hanging_one_none() -> None:
    specs = buyer_specs(FleetPlan(10, hanging=True))
    assert [s.buyer_id for s in specs] == FleetPlan(10, hanging=True).buyer_ids()
    assert specs[0] == BuyerSpec("b01", 10, 0.02, 0.01)
    assert specs[9].ping_delay_s == 0.08
    assert specs[-1].buyer_id == HANGING_BUYER
    assert specs[-1].ping_delay_s is None


async def test_a_ping_gets_a_bid_after_the_buyers_delay_on_a_kept_connection() -> None:
    connection, transport = connect(FAST)
    connection.data_received(request("/ping"))
    assert transport.written == b""  # not before its delay
    await asyncio.sleep(0.05)
    connection.data_received(request("/ping"))
    await asyncio.sleep(0.05)
    answers = Answers(bytes(transport.written)).found
    assert [status for status, _, _ in answers] == [200, 200]
    bids = [orjson.loads(body)["bid"] for _, _, body in answers]
    assert [bid["bid_id"] for bid in bids] == ["b01-1", "b01-2"]
    assert bids[0]["price"] == 10
    assert bids[0]["tcpa_entity_name"] == "Bench Buyer b01 LLC"
    assert answers[0][1][b"content-type"] == b"application/json"
    assert not transport.closed


async def test_answers_leave_in_request_order_and_close_when_asked() -> None:
    connection, transport = connect(FAST)
    # Pipelined: a slow ping, then a fast post that asks to close.
    connection.data_received(request("/ping") + request("/post", close=True))
    await asyncio.sleep(0.05)
    answers = Answers(bytes(transport.written)).found
    assert "bid" in orjson.loads(answers[0][2])
    assert orjson.loads(answers[1][2]) == {"accepted": True, "fields": {}}
    assert answers[1][1][b"connection"] == b"close"
    assert transport.closed


async def test_the_hanging_buyer_never_answers_a_ping_but_takes_posts() -> None:
    connection, transport = connect(BuyerSpec(HANGING_BUYER, 99, None, 0.001))
    connection.data_received(request("/ping"))
    await asyncio.sleep(0.03)
    assert transport.written == b""
    hung = BuyerConnection(Buyer(BuyerSpec(HANGING_BUYER, 99, None, 0.001)))
    other = FakeTransport()
    hung.connection_made(other)
    hung.data_received(request("/post"))
    await asyncio.sleep(0.03)
    assert Answers(bytes(other.written)).found[0][0] == 200


async def test_an_unknown_path_is_404_and_garbage_is_400_and_closed() -> None:
    connection, transport = connect(FAST)
    connection.data_received(request("/nowhere"))
    await asyncio.sleep(0.01)
    assert Answers(bytes(transport.written)).found[0][0] == 404
    broken, broken_transport = connect(FAST)
    broken.data_received(b"NOT HTTP AT ALL\r\n\r\n")
    assert Answers(bytes(broken_transport.written)).found[0][0] == 400
    assert broken_transport.closed


async def test_an_answer_due_after_the_client_left_is_dropped() -> None:
    connection, transport = connect(FAST)
    connection.data_received(request("/ping"))
    connection.connection_lost(None)
    await asyncio.sleep(0.05)
    assert transport.written == b""


@pytest.mark.parametrize("keep_alive", [True, False])
def test_a_response_is_one_write_with_its_length(keep_alive: bool) -> None:
    data = response(200, b'{"a": 1}', keep_alive)
    ((status, headers, body),) = Answers(data).found
    assert (status, body) == (200, b'{"a": 1}')
    assert headers[b"content-length"] == b"8"
    assert (b"connection" in headers) is not keep_alive
