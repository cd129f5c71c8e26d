"""The buyer transport against raw sockets: answers split, chunked, cut short or oversized."""

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from pickpost.buyers.wire import Delivery, OutboundRequest
from pickpost.domain.outcomes import Outcome
from pickpost.infra.transport import MAX_RESPONSE_BYTES, AiohttpTransport

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


@pytest.fixture
async def transport() -> AsyncIterator[AiohttpTransport]:
    transport = AiohttpTransport.create()
    yield transport
    await transport.close()


async def _send_to(script: Script, transport: AiohttpTransport, timeout_ms: int = 2000) -> Delivery:
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


async def test_a_body_split_across_writes_is_read_whole(transport: AiohttpTransport) -> None:
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


async def test_a_chunked_body_is_read_whole(transport: AiohttpTransport) -> None:
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


async def test_a_body_cut_short_is_an_error(transport: AiohttpTransport) -> None:
    async def short(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n" + BODY[:3])
        await writer.drain()

    delivery = await _send_to(short, transport)
    assert delivery.response is None
    assert delivery.failure is Outcome.ERROR


async def test_an_oversized_body_is_an_error(transport: AiohttpTransport) -> None:
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


async def test_not_http_is_an_error(transport: AiohttpTransport) -> None:
    async def garbage(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"SSH-2.0-OpenSSH\r\n\r\n")
        await writer.drain()

    delivery = await _send_to(garbage, transport)
    assert delivery.failure is Outcome.ERROR


async def test_silence_is_a_timeout(transport: AiohttpTransport) -> None:
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await asyncio.sleep(5)

    delivery = await _send_to(silent, transport, timeout_ms=100)
    assert delivery.failure is Outcome.TIMEOUT
    assert delivery.reason == "no answer in 100 ms"


async def test_a_closed_session_is_an_error_not_an_exception() -> None:
    transport = AiohttpTransport.create()
    await transport.close()
    request = OutboundRequest("POST", "http://127.0.0.1:9/ping", b"{}")
    delivery = await transport.send(request, 100)
    assert delivery.failure is Outcome.ERROR
