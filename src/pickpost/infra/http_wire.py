"""One HTTP/1.1 exchange on one connection: the request written, the answer parsed by httptools.

A connection is an asyncio protocol (no streams, no futures): the bytes the loop hands over
go straight into the parser, and the parser's callbacks feed the body to the ``BodyDecoder``
within the size cap. A call's end, the answer or the ``CallFailed`` it will be recorded with,
is handed to the callback the call was started with, from the loop's own callback: no task
waits on it (docs/benchmarks.md, "The outbound client").
"""

import asyncio
import errno
import ssl
from collections.abc import Callable
from typing import cast

import httptools

from pickpost.buyers.wire import InboundResponse
from pickpost.infra.decoding import TOO_LARGE, BodyDecoder, Unreadable

MAX_RESPONSE_BYTES = 1 << 20  # a buyer's answer larger than this is garbage, not a bid

CLOSED = "connection closed by buyer"
RESET = "connection reset by buyer"
BAD_RESPONSE = "bad HTTP response"  # not HTTP/1.x: a garbage status line, header or framing
CUT_SHORT = "response body cut short"


class CallFailed(Exception):
    """A call's end without an answer; ``reason`` never quotes the buyer's bytes or the URL.

    ``retryable``: the buyer closed or reset a connection it had kept alive before sending a
    single byte of an answer, the usual end of a connection it timed out while idle.
    """

    def __init__(self, reason: str, *, sent: bool = True, retryable: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.sent = sent
        self.retryable = retryable


Result = InboundResponse | CallFailed
Done = Callable[[Result], None]


class Connection(asyncio.Protocol):
    """One keep-alive connection to a buyer; one request at a time (no pipelining)."""

    def __init__(self, on_lost: Callable[["Connection"], None]) -> None:
        self._on_lost = on_lost  # the pool forgets the connection, idle or not
        self._transport: asyncio.Transport | None = None
        self._parser = httptools.HttpResponseParser(self)
        self._done: Done | None = None  # the call in flight; None while idle
        self._result: Result | None = None  # its end, handed over once the parser returns
        self.reused = False  # has answered a request before this one
        self.idle_since = 0.0
        self._received = False
        self._reset_message()

    def _reset_message(self) -> None:
        self._status = 0
        self._headers: dict[str, str] = {}
        self._length: int | None = None
        self._chunked = False
        self._encoding = ""
        self._decoder: BodyDecoder | None = None
        self._keep_alive = False  # a complete answer that lets the connection live

    # The pool's side.

    @property
    def usable(self) -> bool:
        return self._transport is not None and not self._transport.is_closing()

    def request(self, data: bytes, done: Done) -> None:
        """Write the whole request; ``done`` is called once, with the answer or a
        ``CallFailed``, unless the call is abandoned first (``close``)."""
        assert self._transport is not None
        self._done = done
        self._result = None
        self._received = False
        self._reset_message()
        self._transport.write(data)

    def reusable(self) -> bool:
        """After a complete answer: whether the connection may carry the next request."""
        return (
            self._keep_alive
            and self.usable
            and self._transport is not None
            and self._transport.get_write_buffer_size() == 0
        )

    def finished(self) -> None:
        self.reused = True

    def close(self, *, abandoned: bool = False) -> None:
        """A call still in flight ends as "transport closed" (at shutdown), unless it is
        ``abandoned``: its deadline passed and it has ended already."""
        if abandoned:
            self._done = None
        self._fail(CallFailed("transport closed"))
        if self._transport is not None:
            self._transport.abort()

    # The loop's side.

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not subclasses of asyncio's, only alike.
        self._transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        if self._done is None:
            # Bytes nobody asked for, while idle: the connection's framing can no longer be
            # trusted.
            self._keep_alive = False
            if self._transport is not None:
                self._transport.abort()
            return
        self._received = True
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserCallbackError as error:
            cause = error.__context__
            reason = str(cause) if isinstance(cause, Unreadable) else BAD_RESPONSE
            self._fail(CallFailed(reason))
        except (httptools.HttpParserError, httptools.HttpParserUpgrade):
            self._fail(CallFailed(BAD_RESPONSE))
        # Handed over only now the parser has returned: the callback may put the connection
        # back in the pool, which it must not be while the parser is still in this data.
        self._hand_over()

    def eof_received(self) -> bool:
        self._ended(None)
        return False  # close the transport

    def connection_lost(self, exc: Exception | None) -> None:
        self._ended(exc)
        self._transport = None
        self._on_lost(self)

    def _ended(self, exc: Exception | None) -> None:
        """The buyer closed, reset or broke the connection while a call waited on it."""
        if self._done is None or self._result is not None:
            return
        if exc is None and self._decoder is not None and self._until_eof():
            self._respond()  # a body without framing ends where the connection does
            self._hand_over()
            return
        if self._decoder is not None:
            self._fail(CallFailed(CUT_SHORT))
            return
        retryable = self.reused and not self._received
        if exc is None:
            self._fail(CallFailed(CLOSED, retryable=retryable))
        elif isinstance(exc, ConnectionResetError) or getattr(exc, "errno", 0) in (
            errno.ECONNRESET,
            errno.EPIPE,
        ):
            self._fail(CallFailed(RESET, retryable=retryable))
        elif isinstance(exc, ssl.SSLError):
            self._fail(CallFailed("TLS error"))
        elif isinstance(exc, OSError) and exc.strerror:
            self._fail(CallFailed(f"{type(exc).__name__}: {exc.strerror}"))
        else:
            self._fail(CallFailed(type(exc).__name__))

    def _fail(self, failure: CallFailed) -> None:
        """The call ends with ``failure``, unless its answer was complete already."""
        self._keep_alive = False
        if self._done is not None and self._result is None:
            self._result = failure
            self._hand_over()

    def _hand_over(self) -> None:
        done, result = self._done, self._result
        if done is not None and result is not None:
            self._done = self._result = None
            done(result)

    def _until_eof(self) -> bool:
        return self._length is None and not self._chunked

    def _respond(self) -> None:
        assert self._decoder is not None
        try:
            body = self._decoder.finish()
        except Unreadable as error:
            self._keep_alive = False
            self._result = CallFailed(str(error))
            return
        self._result = InboundResponse(self._status, body, self._headers)

    # The parser's callbacks (httptools calls them by name).

    def on_message_begin(self) -> None:
        # Also a message after the whole answer, in the same bytes: not asked for; resetting
        # forgets the answer's keep-alive, so the connection is not reused.
        self._reset_message()

    def on_header(self, name: bytes, value: bytes) -> None:
        key = name.decode("latin-1")
        text = value.decode("latin-1")
        self._headers.setdefault(key, text)
        lowered = name.lower()
        if lowered == b"content-length":
            self._length = int(value)  # llhttp has checked it is digits
        elif lowered == b"transfer-encoding":
            self._chunked = b"chunked" in value.lower()
        elif lowered == b"content-encoding":
            self._encoding = text

    def on_headers_complete(self) -> None:
        self._status = self._parser.get_status_code()
        if self._status < 200:
            return  # an interim answer (100 Continue, 103 Early Hints): the real one follows
        if self._length is not None and self._length > MAX_RESPONSE_BYTES:
            raise Unreadable(TOO_LARGE)  # refused before reading any of it
        self._decoder = BodyDecoder(self._encoding, MAX_RESPONSE_BYTES)

    def on_body(self, body: bytes) -> None:
        if self._decoder is not None:
            self._decoder.feed(body)

    def on_message_complete(self) -> None:
        if self._decoder is None:
            self._reset_message()  # the end of an interim answer
            return
        # Asked here: once the callback returns, the parser has forgotten the answer's flags.
        self._keep_alive = self._parser.should_keep_alive()
        if self._done is not None and self._result is None:
            self._respond()
