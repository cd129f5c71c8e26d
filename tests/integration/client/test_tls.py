"""Buyers over HTTPS: a loopback server with a certificate made here, signed by a CA made here,
trusted only through the transport's CA bundle setting."""

import asyncio
import ssl
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from pickpost.bench.client_cpu import loopback_certificates
from pickpost.buyers.wire import OutboundRequest
from pickpost.domain.outcomes import Outcome
from pickpost.infra.transport import HttpTransport
from tests.support.loopback_buyer import BODY, OK, read_request


class TlsBuyer:
    def __init__(
        self, directory: Path, names: tuple[str, ...] = ("localhost", "127.0.0.1")
    ) -> None:
        self.ca, certificate, key = loopback_certificates(directory, names)
        self._tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self._tls.load_cert_chain(certificate, key)
        self.connections = 0

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0, ssl=self._tls)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        self._server.close()
        await self._server.wait_closed()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while await read_request(reader):
                writer.write(OK)
                await writer.drain()
        except (ConnectionError, ssl.SSLError):
            pass
        finally:
            writer.close()


@pytest.fixture
async def buyer(tmp_path: Path) -> AsyncIterator[TlsBuyer]:
    buyer = TlsBuyer(tmp_path)
    await buyer.start()
    yield buyer
    await buyer.stop()


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
async def test_a_buyer_with_a_trusted_certificate_answers_over_kept_alive_tls(
    buyer: TlsBuyer, host: str
) -> None:
    transport = HttpTransport.create(ca_file=str(buyer.ca))
    try:
        for _ in range(2):
            request = OutboundRequest("POST", f"https://{host}:{buyer.port}/ping", b"{}")
            delivery = await transport.send(request, 2000)
            assert delivery.response is not None
            assert delivery.response.body == BODY
    finally:
        await transport.close()
    assert buyer.connections == 1


async def test_an_untrusted_certificate_is_an_error_and_nothing_was_sent(
    buyer: TlsBuyer,
) -> None:
    transport = HttpTransport.create()  # the system's CAs only
    try:
        request = OutboundRequest("POST", f"https://127.0.0.1:{buyer.port}/ping", b"{}")
        delivery = await transport.send(request, 2000)
    finally:
        await transport.close()
    assert (delivery.failure, delivery.reason) == (
        Outcome.ERROR,
        "cannot connect: certificate not trusted",
    )
    assert not delivery.sent


async def test_a_certificate_for_another_name_is_not_trusted(tmp_path: Path) -> None:
    buyer = TlsBuyer(tmp_path, names=("localhost",))  # not 127.0.0.1, where it is reached
    await buyer.start()
    transport = HttpTransport.create(ca_file=str(buyer.ca))
    try:
        request = OutboundRequest("POST", f"https://127.0.0.1:{buyer.port}/ping", b"{}")
        delivery = await transport.send(request, 2000)
    finally:
        await transport.close()
        await buyer.stop()
    assert (delivery.failure, delivery.reason) == (
        Outcome.ERROR,
        "cannot connect: certificate not trusted",
    )


async def test_plain_http_to_a_tls_port_is_an_error(buyer: TlsBuyer) -> None:
    transport = HttpTransport.create()
    try:
        request = OutboundRequest("POST", f"http://127.0.0.1:{buyer.port}/ping", b"{}")
        delivery = await transport.send(request, 2000)
    finally:
        await transport.close()
    assert delivery.failure is Outcome.ERROR
    assert delivery.response is None
