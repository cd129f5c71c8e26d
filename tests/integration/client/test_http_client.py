"""The buyer transport's own HTTP/1.1 client against raw loopback servers: keep-alive and its
limits, the one retry on a connection the buyer closed, framing of every kind, and requests
that must never be sent."""

import asyncio
import socket
import struct

import pytest

from pickpost.buyers.wire import Delivery, OutboundRequest
from pickpost.domain.outcomes import Outcome
from pickpost.infra.transport import HttpTransport
from tests.support.loopback_buyer import BODY, OK, Buyer, Reader, Writer, answering, read_request


async def post(transport: HttpTransport, url: str, timeout_ms: int = 2000) -> Delivery:
    return await transport.send(OutboundRequest("POST", url, b"{}"), timeout_ms)


async def test_a_kept_alive_connection_carries_the_next_call(transport: HttpTransport) -> None:
    async with Buyer(answering(OK, OK)) as buyer:
        for _ in range(2):
            delivery = await post(transport, buyer.url())
            assert delivery.response is not None
            assert delivery.response.body == BODY
    assert buyer.connections == 1


@pytest.mark.parametrize(
    "head",
    [
        b"HTTP/1.1 200 OK\r\nConnection: close\r\n",
        b"HTTP/1.0 200 OK\r\n",
    ],
    ids=["connection-close", "http-1.0"],
)
async def test_a_connection_the_answer_ends_is_not_reused(
    transport: HttpTransport, head: bytes
) -> None:
    answer = head + b"Content-Length: %d\r\n\r\n%s" % (len(BODY), BODY)
    async with Buyer(answering(answer, answer)) as buyer:
        for _ in range(2):
            delivery = await post(transport, buyer.url())
            assert delivery.response is not None
    assert buyer.connections == 2


async def test_an_http_1_0_answer_with_keep_alive_is_reused(transport: HttpTransport) -> None:
    answer = b"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\n{}"
    async with Buyer(answering(answer, answer)) as buyer:
        for _ in range(2):
            assert (await post(transport, buyer.url())).response is not None
    assert buyer.connections == 1


async def test_a_connection_the_buyer_closes_while_idle_leaves_the_pool(
    transport: HttpTransport,
) -> None:
    async with Buyer(answering(OK, keep_open=False)) as buyer:
        assert (await post(transport, buyer.url())).response is not None
        for _ in range(100):  # until the client has seen the end of the connection
            if transport._pool.open == 0:
                break
            await asyncio.sleep(0.01)
        else:
            pytest.fail("the closed connection stayed in the pool")


async def test_a_kept_alive_connection_closed_before_answering_is_retried_once(
    transport: HttpTransport,
) -> None:
    # The first connection answers once, then reads the next request and closes without a
    # byte (as a buyer's idle timeout does, racing the request); the next connection answers.
    async def handle(reader: Reader, writer: Writer, number: int) -> None:
        buyer.requests.append(await read_request(reader))
        writer.write(OK)
        await writer.drain()
        if number == 1:
            buyer.requests.append(await read_request(reader))

    async with Buyer(handle) as buyer:
        assert (await post(transport, buyer.url())).response is not None
        delivery = await post(transport, buyer.url())
    assert delivery.response is not None
    assert delivery.response.body == BODY
    assert buyer.connections == 2
    assert len(buyer.requests) == 3  # the retried request reached the buyer twice


async def test_a_fresh_connection_closed_before_answering_is_not_retried(
    transport: HttpTransport,
) -> None:
    async def handle(reader: Reader, writer: Writer, number: int) -> None:
        await read_request(reader)

    async with Buyer(handle) as buyer:
        delivery = await post(transport, buyer.url())
    assert (delivery.failure, delivery.reason) == (Outcome.ERROR, "connection closed by buyer")
    assert buyer.connections == 1


async def test_a_connection_closed_after_part_of_an_answer_is_not_retried(
    transport: HttpTransport,
) -> None:
    async def handle(reader: Reader, writer: Writer, number: int) -> None:
        await read_request(reader)
        writer.write(OK)
        await read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-")

    async with Buyer(handle) as buyer:
        assert (await post(transport, buyer.url())).response is not None
        delivery = await post(transport, buyer.url())
    assert (delivery.failure, delivery.reason) == (Outcome.ERROR, "connection closed by buyer")
    assert buyer.connections == 1


async def test_a_body_until_the_end_of_the_connection_is_read_whole(
    transport: HttpTransport,
) -> None:
    answer = b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n" + BODY
    async with Buyer(answering(answer, keep_open=False)) as buyer:
        delivery = await post(transport, buyer.url())
    assert delivery.response is not None
    assert delivery.response.body == BODY


async def test_a_chunked_body_with_trailers_is_read_whole(transport: HttpTransport) -> None:
    answer = (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        + b"%x\r\n%s\r\n" % (len(BODY), BODY)
        + b"0\r\nX-Checksum: 1\r\n\r\n"
    )
    async with Buyer(answering(answer, OK)) as buyer:
        first = await post(transport, buyer.url())
        second = await post(transport, buyer.url())
    assert first.response is not None
    assert first.response.body == BODY
    assert second.response is not None  # and the connection stayed in step
    assert buyer.connections == 1


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        (b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{}", "response body cut short"),
        (
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n9\r\n{}",
            "response body cut short",
        ),
        (b"HTTP/1.1 200 OK\r\nno colon here\r\n\r\n", "bad HTTP response"),
        (b"HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n", "bad HTTP response"),
        (
            b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}",
            "bad HTTP response",
        ),
    ],
    ids=["short", "chunked-short", "header", "length", "two-lengths"],
)
async def test_a_broken_answer_is_an_error_with_its_reason(
    transport: HttpTransport, answer: bytes, reason: str
) -> None:
    async with Buyer(answering(answer, keep_open=False)) as buyer:
        delivery = await post(transport, buyer.url())
    assert (delivery.failure, delivery.reason) == (Outcome.ERROR, reason)


async def test_interim_answers_are_skipped(transport: HttpTransport) -> None:
    answer = b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n" + OK
    async with Buyer(answering(answer)) as buyer:
        delivery = await post(transport, buyer.url())
    assert delivery.response is not None
    assert (delivery.response.status, delivery.response.body) == (200, BODY)


@pytest.mark.parametrize("status", [b"204 No Content", b"304 Not Modified"])
async def test_an_answer_without_a_body_keeps_the_connection(
    transport: HttpTransport, status: bytes
) -> None:
    answer = b"HTTP/1.1 %s\r\n\r\n" % status
    async with Buyer(answering(answer, OK)) as buyer:
        first = await post(transport, buyer.url())
        second = await post(transport, buyer.url())
    assert first.response is not None
    assert first.response.body == b""
    assert second.response is not None
    assert second.response.body == BODY
    assert buyer.connections == 1


async def test_a_redirect_is_the_answer_never_followed(transport: HttpTransport) -> None:
    answer = b"HTTP/1.1 302 Found\r\nLocation: /elsewhere\r\nContent-Length: 0\r\n\r\n"
    async with Buyer(answering(answer)) as buyer:
        delivery = await post(transport, buyer.url())
    assert delivery.response is not None
    assert delivery.response.status == 302
    assert delivery.response.headers["Location"] == "/elsewhere"
    assert buyer.connections == 1


async def test_an_answer_before_the_whole_request_was_written_is_taken(
    transport: HttpTransport,
) -> None:
    answer = b"HTTP/1.1 413 Content Too Large\r\nContent-Length: 0\r\n\r\n"

    async def handle(reader: Reader, writer: Writer, number: int) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(answer)
        await writer.drain()
        await asyncio.sleep(0.5)  # before reading the body, as a buyer refusing it may
        while await reader.read(1 << 16):
            pass

    body = b"x" * (16 << 20)
    async with Buyer(handle) as buyer:
        delivery = await transport.send(OutboundRequest("POST", buyer.url(), body), 5000)
    assert delivery.response is not None
    assert delivery.response.status == 413


async def test_the_request_carries_its_headers_and_ours(transport: HttpTransport) -> None:
    async def handle(reader: Reader, writer: Writer, number: int) -> None:
        buyer.requests.append(await read_request(reader))
        writer.write(OK)

    async with Buyer(handle) as buyer:
        headers = {"Content-Type": "application/json", "X-Api-Key": "k", "Content-Length": "9"}
        request = OutboundRequest("POST", buyer.url("/a%20b?q=1"), b"{}", headers)
        assert (await transport.send(request, 2000)).response is not None
    head, _, body = buyer.requests[0].partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    assert lines[0] == b"POST /a%20b?q=1 HTTP/1.1"
    assert sorted(lines[1:]) == sorted(
        [
            b"Host: 127.0.0.1:%d" % buyer.port,
            b"User-Agent: Pickpost",
            b"Accept-Encoding: gzip, deflate",
            b"Content-Type: application/json",
            b"X-Api-Key: k",
            b"Content-Length: 2",  # the body's own, never the one a header claims
        ]
    )
    assert body == b"{}"


@pytest.mark.parametrize(
    "headers",
    [{"X-Key": "a\r\nX-Evil: 1"}, {"X-Key": "a\nb"}, {"X-Key\r\nX-Evil": "1"}, {"X Key": "1"}],
    ids=["crlf-value", "lf-value", "crlf-name", "space-name"],
)
async def test_a_header_that_would_break_the_request_is_never_sent(
    transport: HttpTransport, headers: dict[str, str]
) -> None:
    async with Buyer(answering(OK)) as buyer:
        request = OutboundRequest("POST", buyer.url(), b"{}", headers)
        delivery = await transport.send(request, 2000)
        await asyncio.sleep(0.05)
    assert (delivery.failure, delivery.reason) == (Outcome.ERROR, "invalid request header")
    assert not delivery.sent
    assert buyer.connections == 0


async def test_a_refused_connection_was_not_sent(transport: HttpTransport) -> None:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    delivery = await post(transport, f"http://127.0.0.1:{port}/ping")
    assert (delivery.failure, delivery.reason) == (
        Outcome.ERROR,
        "cannot connect: Connection refused",
    )
    assert not delivery.sent  # and the reason does not name the address: it may be a lead's


async def test_a_host_name_is_resolved(transport: HttpTransport) -> None:
    async with Buyer(answering(OK)) as buyer:
        delivery = await post(transport, f"http://localhost:{buyer.port}/ping")
    assert delivery.response is not None


async def test_an_ipv6_literal_is_reached(transport: HttpTransport) -> None:
    if not socket.has_ipv6:
        pytest.skip("no IPv6 on this machine")

    async def handle(reader: Reader, writer: Writer, number: int) -> None:
        buyer.requests.append(await read_request(reader))
        writer.write(OK)

    try:
        buyer = Buyer(handle, host="::1")
        await buyer.__aenter__()
    except OSError:
        pytest.skip("no IPv6 loopback here")
    try:
        delivery = await post(transport, buyer.url())
    finally:
        await buyer.__aexit__()
    assert delivery.response is not None
    assert b"\r\nHost: [::1]:%d\r\n" % buyer.port in buyer.requests[0]


async def test_the_connection_limit_holds_across_buyers() -> None:
    transport = HttpTransport.create(connections=1)

    pooled: list[int] = []  # connections the client holds, at each request a buyer reads

    async def slow(reader: Reader, writer: Writer, number: int) -> None:
        while await read_request(reader):
            pooled.append(transport._pool.open)
            await asyncio.sleep(0.1)
            writer.write(OK)

    try:
        async with Buyer(slow) as first, Buyer(slow) as second:
            urls = [first.url(), second.url()] * 2
            deliveries = await asyncio.gather(*(post(transport, url) for url in urls))
    finally:
        await transport.close()
    assert all(delivery.response is not None for delivery in deliveries)
    assert pooled == [1, 1, 1, 1]
    assert first.connections + second.connections > 2  # a buyer's turn closed the other's


async def test_waiting_for_a_connection_is_within_the_deadline() -> None:
    transport = HttpTransport.create(connections=1)
    try:
        async with Buyer(answering()) as silent:
            hanging = asyncio.create_task(post(transport, silent.url(), timeout_ms=2000))
            await asyncio.sleep(0.1)
            delivery = await post(transport, silent.url(), timeout_ms=100)
            hanging.cancel()
    finally:
        await transport.close()
    assert (delivery.failure, delivery.reason) == (Outcome.TIMEOUT, "no answer in 100 ms")
    assert silent.connections == 1


async def test_closing_the_transport_closes_its_connections() -> None:
    transport = HttpTransport.create()
    ended = asyncio.Event()

    async def handle(reader: Reader, writer: Writer, number: int) -> None:
        await read_request(reader)
        writer.write(OK)
        await reader.read()  # b"" once the client closes
        ended.set()

    async with Buyer(handle) as buyer:
        assert (await post(transport, buyer.url())).response is not None
        await transport.close()
        await asyncio.wait_for(ended.wait(), 5)


async def test_a_url_cannot_end_the_request_line(transport: HttpTransport) -> None:
    async def handle(reader: Reader, writer: Writer, number: int) -> None:
        buyer.requests.append(await read_request(reader))
        writer.write(OK)

    async with Buyer(handle) as buyer:
        url = buyer.url("/a b\r\nX-Evil: 1?q=é#part")
        assert (await post(transport, url)).response is not None
    first_line, second_line = buyer.requests[0].split(b"\r\n")[:2]
    assert first_line == b"POST /a%20b%0D%0AX-Evil:%201?q=%C3%A9 HTTP/1.1"
    assert second_line.startswith(b"Host: ")


async def test_a_reset_is_an_error_with_its_reason(transport: HttpTransport) -> None:
    async def handle(reader: Reader, writer: Writer, number: int) -> None:
        await read_request(reader)
        sock = writer.get_extra_info("socket")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        writer.transport.abort()  # closed with a linger of 0: a TCP reset

    async with Buyer(handle) as buyer:
        delivery = await post(transport, buyer.url())
    assert (delivery.failure, delivery.reason) == (Outcome.ERROR, "connection reset by buyer")
    assert delivery.sent
