"""A raw loopback buyer for the outbound client's tests: it answers as each test scripts,
byte for byte, and counts its connections."""

import asyncio
from collections.abc import Awaitable, Callable

BODY = b'{"bid": {"price": 12.5}}'
OK = b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(BODY), BODY)

Reader = asyncio.StreamReader
Writer = asyncio.StreamWriter
# Answers the requests of one connection; ``number`` counts the server's connections from 1.
Handler = Callable[[Reader, Writer, int], Awaitable[None]]


async def read_request(reader: Reader) -> bytes:
    """One whole request (head and Content-Length body); b"" at the end of the connection."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError:
        return b""
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":")[1])
    return head + await reader.readexactly(length)


class Buyer:
    """A loopback server running ``handler`` for each connection, counting them."""

    def __init__(self, handler: Handler, host: str = "127.0.0.1") -> None:
        self._handler = handler
        self._host = host
        self.connections = 0
        self.open = 0
        self.most_open = 0
        self.requests: list[bytes] = []

    async def __aenter__(self) -> "Buyer":
        self._server = await asyncio.start_server(self._handle, self._host, 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *_: object) -> None:
        self._server.close()
        await self._server.wait_closed()

    def url(self, path: str = "/ping") -> str:
        host = f"[{self._host}]" if ":" in self._host else self._host
        return f"http://{host}:{self.port}{path}"

    async def _handle(self, reader: Reader, writer: Writer) -> None:
        self.connections += 1
        self.open += 1
        self.most_open = max(self.most_open, self.open)
        try:
            await self._handler(reader, writer, self.connections)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            self.open -= 1
            writer.close()


def answering(*answers: bytes, keep_open: bool = True) -> Handler:
    """Each request of a connection gets the next answer; then the connection ends (or is
    kept open, silent, until the client closes it)."""

    async def handle(reader: Reader, writer: Writer, number: int) -> None:
        for answer in answers:
            if not await read_request(reader):
                return
            writer.write(answer)
            await writer.drain()
        if keep_open:
            await reader.read()

    return handle
