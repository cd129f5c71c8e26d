"""The open-loop generator: PINGs on a fixed clock, and a POST for some of the pinged leads."""

import asyncio
import time
from collections.abc import Callable

import orjson

from pickpost.bench.client import exchange
from pickpost.bench.measure import Sample
from pickpost.bench.schedule import due_at, request_count
from pickpost.bench.workspace import BenchCampaign
from pickpost.infra.transport import HttpTransport

_NO_BIDS = 2001
CONSENTED_BIDS = 2


def ping_failed(status: int, envelope: object) -> bool:
    """A non-2xx answer, or an envelope other than ACCEPTED or "no bids" (ERROR, DUPLICATED)."""
    if not 200 <= status < 300 or not isinstance(envelope, dict):
        return True
    return envelope.get("status") != "ACCEPTED" and envelope.get("code") != _NO_BIDS


def no_bids(envelope: object) -> bool:
    return isinstance(envelope, dict) and envelope.get("code") == _NO_BIDS


def _consent(envelope: object) -> list[str]:
    bids = envelope.get("bids") if isinstance(envelope, dict) else None
    if not isinstance(bids, list):
        return []
    return [bid["bid_id"] for bid in bids[:CONSENTED_BIDS] if isinstance(bid, dict)]


def _attempted(envelope: object) -> int:
    if not isinstance(envelope, dict):
        return 0
    sold, rejected = envelope.get("sold_bids"), envelope.get("rejected_bids")
    return len(sold if isinstance(sold, list) else []) + len(
        rejected if isinstance(rejected, list) else []
    )


class OpenLoop:
    """Sends PINGs to ``base_url`` on the open-loop schedule.

    Every ``post_every``-th ping that got bids is followed, as soon as it is answered, by its
    POST consenting to the first bids; a POST is timed from its own send (it depends on its
    ping's answer, so it has no schedule of its own).
    """

    def __init__(
        self,
        client: HttpTransport,
        base_url: str,
        campaign: BenchCampaign,
        post_every: int | None,
    ) -> None:
        self._client = client
        self._base_url = base_url
        self._campaign = campaign
        self._post_every = post_every
        self._samples: list[Sample] = []

    async def run(
        self, rate: float, duration_s: float, on_sent: Callable[[int], None]
    ) -> tuple[float, list[Sample]]:
        """Run one step; returns its start on the monotonic clock and every sample."""
        self._samples = []
        count = request_count(rate, duration_s)
        start = time.monotonic()
        requests: list[asyncio.Task[None]] = []
        for index in range(count):
            due = due_at(start, index, rate)
            wait = due - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            requests.append(asyncio.create_task(self._ping(index, due)))
            on_sent(index + 1)
        await asyncio.gather(*requests)
        return start, self._samples

    async def _send(self, path: str, body: bytes) -> tuple[int, object]:
        return await exchange(self._client, "POST", self._base_url + path, body)

    async def _ping(self, index: int, due: float) -> None:
        status, envelope = await self._send("/ping", orjson.dumps(self._campaign.ping_body()))
        answered = time.monotonic()
        failed = ping_failed(status, envelope)
        latency_ms = (answered - due) * 1000
        self._samples.append(
            Sample("ping", latency_ms, answered, failed, no_bids=no_bids(envelope))
        )
        consent = _consent(envelope)
        if not failed and consent and self._post_every and index % self._post_every == 0:
            assert isinstance(envelope, dict)
            await self._post(str(envelope["ping_id"]), consent)

    async def _post(self, ping_id: str, consent: list[str]) -> None:
        body = orjson.dumps(self._campaign.post_body(ping_id, consent))
        sent = time.monotonic()
        status, envelope = await self._send("/post", body)
        answered = time.monotonic()
        failed = not 200 <= status < 300 or not (
            isinstance(envelope, dict) and envelope.get("status") == "ACCEPTED"
        )
        latency_ms = (answered - sent) * 1000
        self._samples.append(Sample("post", latency_ms, answered, failed, _attempted(envelope)))
