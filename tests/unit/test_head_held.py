"""A response's head held back for its body: one write where uvicorn makes two, and nothing
reordered, lost or held past the loop's next turn."""

import asyncio

from pickpost.infra.server_protocol import HeadHeld


class _Transport:
    def __init__(self) -> None:
        self.writes: list[bytes] = []
        self.closed = False

    def write(self, data: bytes) -> None:
        assert not self.closed, "written after close"
        self.writes.append(data)

    def close(self) -> None:
        self.closed = True

    def is_closing(self) -> bool:
        return self.closed


def _held(transport: _Transport, loop: asyncio.AbstractEventLoop) -> HeadHeld:
    return HeadHeld(transport, loop)  # type: ignore[arg-type]


def test_head_and_body_go_out_in_one_write() -> None:
    async def run() -> list[bytes]:
        transport = _Transport()
        held = _held(transport, asyncio.get_running_loop())
        held.write(b"HTTP/1.1 200 OK\r\n\r\n")
        assert transport.writes == []
        held.write(b"body")
        held.write(b"more")
        await asyncio.sleep(0)  # the flush scheduled for the head finds nothing held
        return transport.writes

    assert asyncio.run(run()) == [b"HTTP/1.1 200 OK\r\n\r\nbody", b"more"]


def test_a_head_without_a_body_goes_out_on_the_next_turn() -> None:
    async def run() -> list[bytes]:
        transport = _Transport()
        held = _held(transport, asyncio.get_running_loop())
        held.write(b"HTTP/1.1 204 No Content\r\n\r\n")
        await asyncio.sleep(0)
        return transport.writes

    assert asyncio.run(run()) == [b"HTTP/1.1 204 No Content\r\n\r\n"]


def test_close_sends_the_held_head_first() -> None:
    async def run() -> _Transport:
        transport = _Transport()
        held = _held(transport, asyncio.get_running_loop())
        held.write(b"head")
        held.close()
        await asyncio.sleep(0)
        return transport

    transport = asyncio.run(run())
    assert transport.writes == [b"head"]
    assert transport.closed


def test_nothing_is_written_to_a_connection_the_client_closed() -> None:
    async def run() -> list[bytes]:
        transport = _Transport()
        held = _held(transport, asyncio.get_running_loop())
        held.write(b"head")
        transport.closed = True  # the client went before the loop's next turn
        await asyncio.sleep(0)
        assert held.is_closing()
        return transport.writes

    assert asyncio.run(run()) == []
