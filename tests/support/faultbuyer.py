"""A buyer that misbehaves on purpose, over raw sockets on loopback, on a background thread.

Raw sockets because a well-behaved HTTP server cannot trickle, reset, lie about its
Content-Length or answer a garbage status line. What it does is chosen by the request path,
``/<fault>``, so one server plays every buyer of a test workspace: ``/bid/<cents>`` bids
(``/mapped-bid`` in a mapped buyer's own format) and ``/accept`` buys; every other path is a
fault from ``FAULTS``.
"""

import asyncio
import socket
import struct
import threading
import zlib
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import Self

Writer = asyncio.StreamWriter
Fault = Callable[[Writer], Awaitable[None]]

BOMB_BYTES = 200 << 20  # what the compressed answer expands to
HUGE_BYTES = 200 << 20  # what the oversized answers declare or send
TRICKLE_INTERVAL_S = 0.1


XML_BOMB = (
    b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa">'
    + b"".join(
        b'<!ENTITY %c "%s">' % (ord("b") + i, b"&%c;" % (ord("a") + i) * 10) for i in range(8)
    )
    + b"]><r><price>&i;</price></r>"
)  # a billion laughs: 10 ** 9 bytes of entity text, if anything expanded it


def _response(status: str, body: bytes, *headers: str) -> bytes:
    head = [f"HTTP/1.1 {status}", f"Content-Length: {len(body)}", *headers, ""]
    return "\r\n".join(head).encode() + b"\r\n" + body


def _json(body: bytes) -> bytes:
    return _response("200 OK", body, "Content-Type: application/json")


def _bid(price: object) -> bytes:
    return b'{"bid": {"price": %s, "bid_id": "t"}}' % str(price).encode()


def _gzip_bomb() -> bytes:
    """A real bid followed by 200 MB of JSON whitespace, gzipped to about 200 KB."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)  # gzip framing
    parts = [compressor.compress(_bid(90))]
    block = b" " * (1 << 20)
    parts += [compressor.compress(block) for _ in range(BOMB_BYTES >> 20)]
    return b"".join([*parts, compressor.flush()])


_BOMB: list[bytes] = []


def bomb() -> bytes:
    """The gzip bomb, built once per test run."""
    if not _BOMB:
        _BOMB.append(_gzip_bomb())
    return _BOMB[0]


async def _send(writer: Writer, data: bytes) -> None:
    writer.write(data)
    await writer.drain()


async def _hang(writer: Writer) -> None:
    await asyncio.sleep(3600)


async def _trickle(writer: Writer) -> None:
    """Headers at once, then the body a byte at a time: never done before any deadline."""
    body = _bid(90) + b" " * 1000
    await _send(writer, b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(body))
    for byte in body:
        await _send(writer, bytes([byte]))
        await asyncio.sleep(TRICKLE_INTERVAL_S)


async def _reset(writer: Writer) -> None:
    """Close with a TCP RST instead of a FIN."""
    sock = writer.get_extra_info("socket")
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


async def _huge_declared(writer: Writer) -> None:
    """Declares 200 MB and sends as much as the reader takes."""
    await _send(writer, b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % HUGE_BYTES)
    block = b" " * (1 << 16)
    for _ in range(HUGE_BYTES // len(block)):
        await _send(writer, block)


async def _huge_chunked(writer: Writer) -> None:
    """No length at all: 200 MB in chunks, as long as the reader takes them."""
    await _send(writer, b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
    block = b" " * (1 << 16)
    chunk = b"%x\r\n%s\r\n" % (len(block), block)
    await _send(writer, b"%x\r\n%s\r\n" % (len(_bid(90)), _bid(90)))
    for _ in range(HUGE_BYTES // len(block)):
        await _send(writer, chunk)
    await _send(writer, b"0\r\n\r\n")


async def _gzip(writer: Writer) -> None:
    body = bomb()
    head = "Content-Type: application/json", "Content-Encoding: gzip"
    await _send(writer, _response("200 OK", body, *head))


async def _short(writer: Writer) -> None:
    """A Content-Length longer than the body, then the connection closes."""
    body = _bid(90)
    await _send(writer, b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body) + 50, body))


def _answer(data: bytes) -> Fault:
    async def fault(writer: Writer) -> None:
        await _send(writer, data)

    return fault


FAULTS: dict[str, Fault] = {
    "hang": _hang,
    "trickle": _trickle,
    "500": _answer(_response("500 Internal Server Error", b"")),
    "garbage": _answer(_json(b"<html>not a bid</html>")),
    "reset": _reset,
    "closed": _answer(b""),
    "short": _short,
    "huge": _huge_declared,
    "chunked": _huge_chunked,
    "gzip": _gzip,
    "brotli": _answer(
        _response("200 OK", _bid(90), "Content-Type: application/json", "Content-Encoding: br")
    ),
    "redirect": _answer(_response("302 Found", _bid(90), "Location: /bid/9000")),
    "http09": _answer(b"HELLO THERE\r\n\r\n" + _bid(90)),
    "informational": _answer(b"HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n"),
    "utf8": _answer(_json(b'{"bid": {"price": 90, "bid_id": "\xff\xfe"}}')),
    "surrogate": _answer(
        _json(b'{"bid": {"price": 90, "bid_id": "t", "tcpa_entity_name": "X\\ud800"}}')
    ),
    "overflow": _answer(_json(_bid('"1e999999"'))),
    "nan": _answer(_json(_bid('"NaN"'))),
    "infinity": _answer(_json(_bid('"Infinity"'))),
    "1e400": _answer(_json(_bid("1e400"))),
    "deep": _answer(_json(b'{"bid": ' + b"[" * 100_000 + b"]" * 100_000 + b"}")),
    "post-fields-1e400": _answer(_json(b'{"accepted": true, "fields": {"n": 1e400}}')),
    # Answers to mapped buyers, read by their mapping (tests/support/fault_exchange.py).
    "mapped-overflow": _answer(_json(b'{"price": "%s"}' % (b"9" * 60))),
    "mapped-deep": _answer(_json(b'{"price": 90, "reason": %s}' % (b"[" * 300 + b"]" * 300))),
    "xml-bomb": _answer(_response("200 OK", XML_BOMB, "Content-Type: application/xml")),
}


class FaultBuyers:
    """One loopback server playing every buyer; ``url(path)`` is where a buyer step points."""

    def __init__(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._server: asyncio.Server | None = None
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._answering: set[asyncio.Task[None]] = set()  # hanging ones among them
        self.port = 0

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}/{path}"

    def start(self) -> None:
        bomb()  # built before any server runs: a test must not wait for it
        self._thread.start()
        started = asyncio.run_coroutine_threadsafe(
            asyncio.start_server(self._handle, "127.0.0.1", 0), self._loop
        )
        self._server = started.result(10)
        self.port = self._server.sockets[0].getsockname()[1]

    def stop(self) -> None:
        async def close() -> None:
            if self._server is not None:
                self._server.close()
            for task in list(self._answering):
                task.cancel()
            await asyncio.gather(*self._answering, return_exceptions=True)

        asyncio.run_coroutine_threadsafe(close(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()

    async def _handle(self, reader: asyncio.StreamReader, writer: Writer) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._answering.add(task)
        try:
            path = await _read_request(reader)
            if path.startswith("bid/"):
                await _send(writer, _json(_bid(int(path[4:]) / 100)))
            elif path == "mapped-bid":
                await _send(writer, _json(b'{"price": 50}'))
            elif path == "accept":
                await _send(writer, _json(b'{"accepted": true}'))
            else:
                await FAULTS[path](writer)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass  # the caller gave up on us: that is the point of most faults
        finally:
            self._answering.discard(task)
            writer.close()

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.stop()


async def _read_request(reader: asyncio.StreamReader) -> str:
    """The request's path, after reading its head and body."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    length = next(
        (int(line.split(":", 1)[1]) for line in lines if line.lower().startswith("content-length")),
        0,
    )
    await reader.readexactly(length)
    return lines[0].split(" ")[1].lstrip("/")
