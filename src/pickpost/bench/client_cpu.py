"""What a buyer call costs the client's CPU: ``python -m pickpost.bench.client_cpu``.

One uvloop process fans out to ``--buyers`` local keep-alive servers (another process, so
their work is not counted) that answer a small JSON after 20-80 ms: each fan-out is one POST
to every buyer at once, at each of ``--rates`` fan-outs per second, over plain HTTP and over
TLS on loopback. The client process's CPU time (user + system) over each window, divided by
the requests made in it, is the cost per request. The clients are measured in turn within
each run, runs repeated, so drift of a shared machine hits them alike; the median of the runs
is printed, with the spread. ``fanout`` is Pickpost's client given each fan-out's calls at
once (``send_all``, as the auction calls it), ``pickpost`` the same client with a task per
call (``send``). ``aiohttp`` is the transport buyer calls used until the client of
``pickpost.infra.transport`` replaced it (docs/benchmarks.md, "The outbound client"),
configured as it was: one session, no automatic decompression, a timeout per call.
"""

import argparse
import asyncio
import datetime
import ipaddress
import json
import os
import random
import resource
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Coroutine
from pathlib import Path
from typing import Any

import aiohttp
import uvloop
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from pickpost.buyers.wire import Delivery, InboundResponse, OutboundRequest
from pickpost.infra.decoding import ACCEPT_ENCODING, BodyDecoder
from pickpost.infra.transport import MAX_RESPONSE_BYTES, HttpTransport

ANSWER = b'{"bid": {"price": 12.5, "bid_id": "b_1f3a9"}, "status": "ok"}'
REQUEST = b'{"ping_id": "p_1", "zip_code": "78701", "tmax": 900, "test": false}'
TIMEOUT_MS = 1000
Send = Callable[[OutboundRequest, int], Coroutine[Any, Any, Delivery]]
Call = tuple[OutboundRequest, int]
# One fan-out's calls as the coroutines to run: one per call, or one for them all.
Fan = Callable[[list[Call]], list[Coroutine[Any, Any, Delivery | list[Delivery | None]]]]
Close = Callable[[], Awaitable[None]]
CLIENTS = ("aiohttp", "pickpost", "fanout")


def loopback_certificates(
    directory: Path, names: tuple[str, ...] = ("localhost", "127.0.0.1")
) -> tuple[Path, Path, Path]:
    """A private CA and a certificate it signed for ``names`` (host names or IP addresses), in
    PEM files: (the CA's certificate, the server's certificate, its key)."""
    now = datetime.datetime.now(datetime.UTC)

    def certificate(
        subject: str, key: ec.EllipticCurvePrivateKey, issuer: x509.Name | None
    ) -> x509.CertificateBuilder:
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])
        return (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(issuer or name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
        )

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        certificate("Pickpost test CA", ca_key, None)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    alternatives = [_alternative_name(name) for name in names]
    leaf = (
        certificate("localhost", key, ca.subject)
        .add_extension(x509.SubjectAlternativeName(alternatives), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    paths = directory / "ca.pem", directory / "buyer.pem", directory / "buyer.key"
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return paths


def _alternative_name(name: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(name))
    except ValueError:
        return x509.DNSName(name)


class _Buyer(asyncio.Protocol):
    """A keep-alive buyer answering each request after 20-80 ms; requests are small and
    carry a Content-Length, as the clients measured send them."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport
        self._buffer = b""
        self._loop = asyncio.get_running_loop()

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        while (end := self._buffer.find(b"\r\n\r\n")) >= 0:
            head = self._buffer[:end].lower()
            at = head.find(b"content-length:")
            length = int(head[at + 15 :].split(b"\r\n", 1)[0]) if at >= 0 else 0
            if len(self._buffer) < end + 4 + length:
                return
            self._buffer = self._buffer[end + 4 + length :]
            self._loop.call_later(random.uniform(0.02, 0.08), self._answer)

    def _answer(self) -> None:
        if not self._transport.is_closing():
            head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
            self._transport.write(head + b"Content-Length: %d\r\n\r\n" % len(ANSWER) + ANSWER)  # type: ignore[attr-defined]


async def _serve(buyers: int, certificate: Path, key: Path) -> None:
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls.load_cert_chain(certificate, key)
    loop = asyncio.get_running_loop()
    ports = []
    for context in (None, tls):
        for _ in range(buyers):
            server = await loop.create_server(_Buyer, "127.0.0.1", 0, ssl=context, backlog=1024)
            ports.append(server.sockets[0].getsockname()[1])
    print(json.dumps(ports), flush=True)
    await loop.run_in_executor(None, sys.stdin.read)  # until the bench closes our stdin


def _aiohttp_client(ca_file: str) -> tuple[Send, Close]:
    """The transport buyer calls used before, as it was configured and called."""
    tls = ssl.create_default_context(cafile=ca_file)
    connector = aiohttp.TCPConnector(
        limit=1000, ttl_dns_cache=300, enable_cleanup_closed=True, ssl=tls
    )
    session = aiohttp.ClientSession(
        connector=connector,
        timeout=aiohttp.ClientTimeout(),
        auto_decompress=False,
        skip_auto_headers=("User-Agent", "Accept-Encoding"),
        headers={"User-Agent": "Pickpost", "Accept-Encoding": ACCEPT_ENCODING},
    )

    async def send(request: OutboundRequest, timeout_ms: int) -> Delivery:
        started_at, started = time.time(), time.monotonic()
        async with asyncio.timeout(timeout_ms / 1000):
            async with session.request(
                request.method,
                request.url,
                data=request.body,
                headers=dict(request.headers),
                allow_redirects=False,
            ) as response:
                encoding = response.headers.get("Content-Encoding", "")
                decoder = BodyDecoder(encoding, MAX_RESPONSE_BYTES)
                decoder.feed(await response.read())
                answer = InboundResponse(response.status, decoder.finish(), dict(response.headers))
        return Delivery(started_at, (time.monotonic() - started) * 1000, response=answer)

    return send, session.close


def _client(name: str, ca_file: str) -> tuple[Fan, Close]:
    if name == "aiohttp":
        send, close = _aiohttp_client(ca_file)
        return (lambda calls: [send(*call) for call in calls]), close
    transport = HttpTransport.create(1000, ca_file)
    if name == "pickpost":
        return (lambda calls: [transport.send(*call) for call in calls]), transport.close
    return (lambda calls: [transport.send_all(calls)]), transport.close


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def _window(fan: Fan, urls: list[str], rate: float, seconds: float) -> tuple[int, int]:
    """Fan-outs at ``rate`` for ``seconds``: (requests answered, requests failed); a task for
    each coroutine ``fan`` gives (one per call as the auction did, or one per fan-out as it
    does now)."""
    loop = asyncio.get_running_loop()
    headers = {"Content-Type": "application/json"}
    calls = [(OutboundRequest("POST", url, REQUEST, headers), TIMEOUT_MS) for url in urls]
    pending: set[asyncio.Task[Delivery | list[Delivery | None]]] = set()
    tally = [0, 0]

    def count(task: asyncio.Task[Delivery | list[Delivery | None]]) -> None:
        pending.discard(task)
        if task.cancelled() or task.exception() is not None:
            tally[1] += 1
            return
        result = task.result()
        for delivery in result if isinstance(result, list) else [result]:
            tally[delivery is None or delivery.failure is not None] += 1

    start = loop.time()
    for n in range(int(rate * seconds)):
        await asyncio.sleep(max(0.0, start + n / rate - loop.time()))
        for coroutine in fan(calls):  # one fan-out: every buyer at once
            task = loop.create_task(coroutine)
            pending.add(task)
            task.add_done_callback(count)
    if pending:
        await asyncio.wait(pending)
    return tally[0], tally[1]


async def _measure(
    args: argparse.Namespace, ports: list[int], ca_file: str
) -> list[dict[str, object]]:
    plain = [f"http://127.0.0.1:{port}/ping" for port in ports[: args.buyers]]
    tls = [f"https://127.0.0.1:{port}/ping" for port in ports[args.buyers :]]
    rows: list[dict[str, object]] = []
    for run in range(1, args.runs + 1):
        for scheme, urls in (("http", plain), ("https", tls)):
            for name in args.clients:
                fan, close = _client(name, ca_file)
                try:
                    await _window(fan, urls, 20, args.warmup)  # connections opened, code warm
                    for rate in args.rates:
                        before = _cpu()
                        answered, failed = await _window(fan, urls, rate, args.duration)
                        cpu = _cpu() - before
                        per_call = cpu / max(1, answered + failed) * 1e6
                        rows.append(
                            {
                                "run": run,
                                "scheme": scheme,
                                "client": name,
                                "rate": rate,
                                "answered": answered,
                                "failed": failed,
                                "cpu_us_per_request": round(per_call, 1),
                            }
                        )
                        print(
                            f"run {run} {scheme:5} {name:8} {rate:4.0f}/s  {per_call:6.1f} µs"
                            f"  ({answered} answered, {failed} failed)",
                            flush=True,
                        )
                finally:
                    await close()
    return rows


def _summary(rows: list[dict[str, object]]) -> list[str]:
    lines = ["scheme client    rate  median µs/request  (runs: min-max)"]
    cells: dict[tuple[object, object, object], list[float]] = {}
    for row in rows:
        key = (row["scheme"], row["client"], row["rate"])
        cells.setdefault(key, []).append(float(str(row["cpu_us_per_request"])))
    for (scheme, client, rate), values in cells.items():
        lines.append(
            f"{scheme:6} {client:8} {rate:5.0f}  {statistics.median(values):8.1f}"
            f"  ({min(values):.1f}-{max(values):.1f})"
        )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--buyers", type=int, default=10)
    parser.add_argument("--rates", type=lambda text: [float(r) for r in text.split(",")],
                        default=[20.0, 50.0, 100.0])  # fmt: skip
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per window")
    parser.add_argument("--warmup", type=float, default=1.0)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--clients",
        type=lambda text: text.split(","),
        default=list(CLIENTS),
        help="of aiohttp, pickpost (a task per call), fanout (send_all)",
    )
    parser.add_argument("--json", type=Path, help="write every window's numbers here")
    parser.add_argument("--serve", nargs=2, metavar=("CERT", "KEY"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        uvloop.run(_serve(args.buyers, Path(args.serve[0]), Path(args.serve[1])))
        return
    with tempfile.TemporaryDirectory() as directory:
        ca, certificate, key = loopback_certificates(Path(directory))
        command = [sys.executable, "-m", "pickpost.bench.client_cpu", "--buyers", str(args.buyers)]
        command += ["--serve", str(certificate), str(key)]
        with subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE) as server:
            assert server.stdout is not None
            assert server.stdin is not None
            ports = json.loads(server.stdout.readline())
            print(f"load average {os.getloadavg()[0]:.2f} at start", flush=True)
            rows = uvloop.run(_measure(args, ports, str(ca)))
            print(f"load average {os.getloadavg()[0]:.2f} at end")
            server.stdin.close()
    print("\n".join(_summary(rows)))
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
