"""Keep-alive connections to buyers, per (scheme, host, port), under one limit for them all.

A connection goes back to the pool only after a complete answer that lets it live (see
``Connection.reusable``); one the buyer closes while idle leaves the pool as it closes, and one
idle longer than ``KEEPALIVE_S`` is closed (buyers' own idle timeouts are often about that
long, and a buyer gone from the campaigns must not keep its connections forever). At the limit
a call closes another buyer's idle connection, or waits for a free one within its deadline.
"""

import asyncio
import os
import socket
import ssl
from collections import deque

from pickpost.infra.http_request import Key
from pickpost.infra.http_wire import CallFailed, Connection

KEEPALIVE_S = 15.0


class Pool:
    def __init__(self, limit: int, tls: ssl.SSLContext) -> None:
        self._limit = limit
        self._tls = tls
        self._idle: dict[Key, list[Connection]] = {}
        self._keys: dict[Connection, Key] = {}  # every connection open or opening
        self._waiters: deque[asyncio.Future[None]] = deque()
        self._next_sweep = 0.0
        self.closed = False

    @property
    def open(self) -> int:
        """Connections open or opening, idle or not: never more than the limit."""
        return len(self._keys)

    async def acquire(self, key: Key, *, fresh: bool = False) -> Connection:
        """An idle connection to ``key`` (unless ``fresh``), or a new one once the limit
        allows; ``CallFailed`` (not sent) when the buyer cannot be reached."""
        loop = asyncio.get_running_loop()
        while True:
            connection = None if fresh else self.take_idle(key)
            if connection is not None:
                return connection
            if len(self._keys) < self._limit or self._evict():
                break
            waiter = loop.create_future()
            self._waiters.append(waiter)
            try:
                await waiter
            finally:
                if not waiter.done():
                    waiter.cancel()
                elif not waiter.cancelled() and len(self._keys) < self._limit:
                    self._wake()  # a slot this call was given but will not use
        return await self._connect(loop, key)

    def take_idle(self, key: Key) -> Connection | None:
        """The most recently used idle connection to ``key`` still open, if any."""
        idle = self._idle.get(key)
        while idle:
            connection = idle.pop()
            if connection.usable:
                return connection
            self._drop(connection)
        return None

    async def _connect(self, loop: asyncio.AbstractEventLoop, key: Key) -> Connection:
        connection = Connection(self._lost)
        self._keys[connection] = key
        scheme, host, port = key
        tls = self._tls if scheme == "https" else None
        try:
            await loop.create_connection(
                lambda: connection, host, port, ssl=tls, server_hostname=host if tls else None
            )
        except BaseException as error:
            self._drop(connection)
            if isinstance(error, ssl.SSLCertVerificationError):
                raise CallFailed("cannot connect: certificate not trusted", sent=False) from None
            if isinstance(error, ssl.SSLError):
                raise CallFailed("cannot connect: TLS handshake failed", sent=False) from None
            if isinstance(error, OSError):
                raise CallFailed(f"cannot connect: {_describe(error)}", sent=False) from None
            raise
        return connection

    def release(self, connection: Connection) -> None:
        """After a call: pooled when the answer left the connection fit for another one."""
        connection.finished()
        if self.closed or not connection.reusable():
            self._drop(connection)
            return
        now = asyncio.get_running_loop().time()
        connection.idle_since = now
        self._idle.setdefault(self._keys[connection], []).append(connection)
        if self._waiters:
            self._wake()  # a waiting call may close this one to open its own
        if now >= self._next_sweep:
            self._next_sweep = now + KEEPALIVE_S
            self._sweep(now - KEEPALIVE_S)

    def discard(self, connection: Connection) -> None:
        """After a failed or abandoned call: the connection is closed, and an abandoned call
        still in flight on it is not told (it has ended already)."""
        self._lost(connection)
        connection.close(abandoned=True)

    def close(self) -> None:
        self.closed = True
        for connection in list(self._keys):
            self._drop(connection)

    def _sweep(self, before: float) -> None:
        for idle in self._idle.values():
            while idle and idle[0].idle_since < before:
                self._drop(idle[0])

    def _evict(self) -> bool:
        """Close the longest idle connection of any buyer; False when none is idle."""
        oldest = min((idle[0] for idle in self._idle.values() if idle), default=None, key=_since)
        if oldest is None:
            return False
        self._drop(oldest)
        return True

    def _drop(self, connection: Connection) -> None:
        self._lost(connection)
        connection.close()

    def _lost(self, connection: Connection) -> None:
        key = self._keys.pop(connection, None)
        if key is None:
            return
        idle = self._idle.get(key)
        if idle and connection in idle:
            idle.remove(connection)
        self._wake()

    def _wake(self) -> None:
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return


def _describe(error: OSError) -> str:
    """Why a connection failed, never quoting the address: asyncio's message for a refused
    connection names it (``Connect call failed ('10.0.0.7', 443)``), the errno's does not."""
    if isinstance(error, socket.gaierror):
        return error.strerror or "cannot resolve"  # "Name or service not known"
    if error.errno:
        return os.strerror(error.errno)
    return type(error).__name__


def _since(connection: Connection) -> float:
    return connection.idle_since
