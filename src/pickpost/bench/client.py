"""The generator's HTTP: Pickpost's own client (``infra/transport.py``), the cheapest this
project has, so that the generator takes as little as it can of the cores the server under
test shares with it (docs/benchmarks.md, "Method")."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import orjson

from pickpost.buyers.wire import OutboundRequest
from pickpost.infra.transport import HttpTransport

_JSON = {"Content-Type": "application/json"}
# Far above any deadline in the bench: a request this late is counted as an error.
CLIENT_TIMEOUT_MS = 30_000
# Past saturation an open loop keeps sending: thousands of requests may be in flight at once.
_CONNECTIONS = 8192


@asynccontextmanager
async def generator_client() -> AsyncIterator[HttpTransport]:
    client = HttpTransport.create(_CONNECTIONS)
    try:
        yield client
    finally:
        await client.close()


async def exchange(
    client: HttpTransport, method: str, url: str, body: bytes = b""
) -> tuple[int, object]:
    """The answer's status and JSON body; ``(0, None)`` when no answer came (a timeout, a
    refused or reset connection), and ``None`` as the body when it is not JSON."""
    delivery = await client.send(OutboundRequest(method, url, body, _JSON), CLIENT_TIMEOUT_MS)
    if delivery.response is None:
        return 0, None
    try:
        return delivery.response.status, orjson.loads(delivery.response.body)
    except orjson.JSONDecodeError:
        return delivery.response.status, None
