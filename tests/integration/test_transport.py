"""The buyer transport against raw sockets: answers split, chunked, cut short, oversized,
compressed, trickling or not HTTP at all."""

import asyncio
import gzip
import time
import zlib
from collections.abc import Awaitable, Callable

import pytest

from pickpost.buyers.wire import Delivery, OutboundRequest
from pickpost.domain.outcomes import Outcome
from pickpost.infra.transport import MAX_RESPONSE_BYTES, HttpTransport

Script = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]
BODY = b'{"bid": {"price": 12.5, "bid_id": "tok"}}'


async def _read_request(reader: asyncio.StreamReader) -> None:
    head = await reader.readuntil(b"\r\n\r\n")
    length = next(
        (int(line.split(b":")[1]) for line in head.split(b"\r\n")
         if line.lower().startswith(b"content-length")),
        0,
    )  # fmt: skip
    await reader.readexactly(length)


async def _send_to(script: Script, transport: HttpTransport, timeout_ms: int = 2000) -> Delivery:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await _read_request(reader)
            await script(reader, writer)
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        request = OutboundRequest("POST", f"http://127.0.0.1:{port}/ping", b"{}")
        return await transport.send(request, timeout_ms)
    finally:
        server.close()
        await server.wait_closed()


async def test_a_body_split_across_writes_is_read_whole(transport: HttpTransport) -> None:
    async def split(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n")
        writer.write(b"Content-Length: %d\r\n\r\n" % len(BODY) + BODY[:10])
        await writer.drain()
        await asyncio.sleep(0.05)
        writer.write(BODY[10:])
        await writer.drain()

    delivery = await _send_to(split, transport)
    assert delivery.response is not None
    assert delivery.response.body == BODY


async def test_a_chunked_body_is_read_whole(transport: HttpTransport) -> None:
    async def chunked(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
        for part in (BODY[:7], BODY[7:20], BODY[20:]):
            writer.write(b"%x\r\n%s\r\n" % (len(part), part))
            await writer.drain()
            await asyncio.sleep(0.02)
        writer.write(b"0\r\n\r\n")
        await writer.drain()

    delivery = await _send_to(chunked, transport)
    assert delivery.response is not None
    assert delivery.response.body == BODY


async def test_a_body_cut_short_is_an_error(transport: HttpTransport) -> None:
    async def short(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n" + BODY[:3])
        await writer.drain()

    delivery = await _send_to(short, transport)
    assert delivery.response is None
    assert delivery.failure is Outcome.ERROR


async def test_an_oversized_body_is_an_error(transport: HttpTransport) -> None:
    async def huge(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
        part = b"x" * 65536
        for _ in range(MAX_RESPONSE_BYTES // len(part) + 2):
            writer.write(b"%x\r\n%s\r\n" % (len(part), part))
            await writer.drain()
        writer.write(b"0\r\n\r\n")
        await writer.drain()

    delivery = await _send_to(huge, transport)
    assert delivery.failure is Outcome.ERROR
    assert delivery.reason == "response too large"


async def test_not_http_is_an_error(transport: HttpTransport) -> None:
    async def garbage(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"SSH-2.0-OpenSSH\r\n\r\n")
        await writer.drain()

    delivery = await _send_to(garbage, transport)
    assert delivery.failure is Outcome.ERROR


async def test_silence_is_a_timeout(transport: HttpTransport) -> None:
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await asyncio.sleep(5)

    delivery = await _send_to(silent, transport, timeout_ms=100)
    assert delivery.failure is Outcome.TIMEOUT
    assert delivery.reason == "no answer in 100 ms"


async def test_a_closed_session_is_an_error_not_an_exception() -> None:
    transport = HttpTransport.create()
    await transport.close()
    request = OutboundRequest("POST", "http://127.0.0.1:9/ping", b"{}")
    delivery = await transport.send(request, 100)
    assert delivery.failure is Outcome.ERROR


async def _answer_encoded(
    transport: HttpTransport, encoding: str, body: bytes, timeout_ms: int = 2000
) -> Delivery:
    async def encoded(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n")
        writer.write(b"Content-Encoding: %s\r\n" % encoding.encode())
        writer.write(b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
        await writer.drain()

    return await _send_to(encoded, transport, timeout_ms)


@pytest.mark.parametrize(
    ("encoding", "body"),
    [("gzip", gzip.compress(BODY)), ("deflate", zlib.compress(BODY)), ("identity", BODY)],
    ids=["gzip", "deflate", "identity"],
)
async def test_a_compressed_answer_is_decoded(
    transport: HttpTransport, encoding: str, body: bytes
) -> None:
    delivery = await _answer_encoded(transport, encoding, body)
    assert delivery.response is not None
    assert delivery.response.body == BODY


async def test_a_gzip_bomb_is_cut_at_the_cap_of_what_it_decodes_to(
    transport: HttpTransport,
) -> None:
    # 100 MB of spaces after a bid, sent as 100 KB: refused once the decoded bytes pass the cap.
    bomb = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    parts = [bomb.compress(BODY)]
    parts += [bomb.compress(b" " * (1 << 20)) for _ in range(100)]
    body = b"".join([*parts, bomb.flush()])
    assert len(body) < MAX_RESPONSE_BYTES
    started = time.monotonic()
    delivery = await _answer_encoded(transport, "gzip", body)
    assert (delivery.failure, delivery.reason) == (Outcome.ERROR, "response too large")
    assert time.monotonic() - started < 1.0  # inflating 100 MB would take about as long


@pytest.mark.parametrize(
    ("encoding", "body", "reason"),
    [
        ("br", BODY, "unsupported Content-Encoding 'br'"),
        ("gzip, gzip", BODY, "unsupported Content-Encoding 'gzip, gzip'"),
        ("gzip", BODY, "response is not valid gzip"),
        ("gzip", gzip.compress(BODY)[:-12], "gzip response cut short"),
    ],
    ids=["unknown", "twice", "not-gzip", "cut-short"],
)
async def test_an_answer_that_cannot_be_decoded_is_an_error(
    transport: HttpTransport, encoding: str, body: bytes, reason: str
) -> None:
    delivery = await _answer_encoded(transport, encoding, body)
    assert (delivery.failure, delivery.reason) == (Outcome.ERROR, reason)


async def test_a_declared_length_over_the_cap_is_refused_without_reading(
    transport: HttpTransport,
) -> None:
    async def declares(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % (200 << 20))
        await writer.drain()
        await asyncio.sleep(5)  # and never sends it: reading any of it would time out

    delivery = await _send_to(declares, transport, timeout_ms=2000)
    assert (delivery.failure, delivery.reason) == (Outcome.ERROR, "response too large")
    assert delivery.latency_ms < 1000


async def test_a_trickling_body_is_cut_at_the_deadline(transport: HttpTransport) -> None:
    async def trickle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
        for byte in BODY:
            writer.write(b"1\r\n%c\r\n" % byte)
            await writer.drain()
            await asyncio.sleep(0.05)

    started = time.monotonic()
    delivery = await _send_to(trickle, transport, timeout_ms=300)
    assert (delivery.failure, delivery.reason) == (Outcome.TIMEOUT, "no answer in 300 ms")
    assert time.monotonic() - started < 1.3


async def test_a_garbage_status_line_is_not_quoted_in_the_reason(
    transport: HttpTransport,
) -> None:
    async def garbage(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"HELLO 5125550142\r\n\r\n")
        await writer.drain()

    delivery = await _send_to(garbage, transport)
    assert (delivery.failure, delivery.reason) == (Outcome.ERROR, "bad HTTP response")


async def test_buyers_are_offered_only_the_encodings_that_are_decoded(
    transport: HttpTransport,
) -> None:
    heads: list[bytes] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        heads.append(await reader.readuntil(b"\r\n\r\n"))
        writer.write(b"HTTP/1.1 204 No Content\r\n\r\n")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        await transport.send(OutboundRequest("GET", f"http://127.0.0.1:{port}/", b""), 2000)
    finally:
        server.close()
        await server.wait_closed()
    assert b"\r\nAccept-Encoding: gzip, deflate\r\n" in heads[0]
