"""The consumer's receipt and withdrawal end to end, on SQLite and PostgreSQL: leads sold through
a running server to simulated buyers, the receipt and the buyers' certificate links over HTTP,
the withdrawal reaching two native buyers' revocation endpoints (real HTTP servers on
loopback), the ledger's entries checked by ``pickpost consent verify``; delivery with the
clock moved by hand (a buyer down for a while, a restart), and two workers on one PostgreSQL."""

import asyncio
import json
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from pickpost.domain.catalog import Catalog
from pickpost.domain.revocation import Backoff, Revoked
from pickpost.domain.workspace import Workspace
from pickpost.infra.sql.engine import make_engine
from pickpost.infra.sql.revocations import SqlRevocations
from pickpost.infra.transport import HttpTransport
from pickpost.services.revocations import DeliveryTiming, RevocationWorker
from tests.support.cli import pickpost
from tests.support.consent_docs import documented_verifier
from tests.support.console import add_user, close_browsers, signed_in
from tests.support.fleet import ThreadedFleet
from tests.support.revoke_stub import RevokeStub, revoking_system
from tests.support.server import ADMIN_TOKEN
from tests.support.system import System, bid_of
from tests.support.waiting import eventually

AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
TCPA = "I agree to be called by Beta Solar Inc. and Alpha Energy LLC about solar."
NOT_VALID = "This link is not valid"
# Entities campaign 100 shows besides the two picked ones: never on a receipt.
OTHERS = ("alpha energy llc", "Cheap Leads Co.", "No Bid Corp.", "Rejecter LLC", "Dupe Inc.")


class Clock:
    """The delivery worker's clock, moved by the test."""

    def __init__(self, now: float) -> None:
        self._now = now

    def now(self) -> float:
        return self._now

    def monotonic(self) -> float:
        return self._now

    def advance(self, seconds: float) -> None:
        self._now += seconds


@pytest.fixture
def stubs() -> Iterator[dict[str, RevokeStub]]:
    with RevokeStub() as alpha, RevokeStub() as beta:
        yield {"alpha": alpha, "beta": beta}


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def _sell(sut: System, *buyers: str, phone: str = "(512) 555-0142") -> dict[str, Any]:
    ping = sut.ping("100")
    assert ping.json()["code"] == 0, ping.text
    post = sut.post(ping, [bid_of(ping, b) for b in buyers], "100", phone=phone, tcpa_text=TCPA)
    answer: dict[str, Any] = post.json()
    assert answer["code"] == 0, post.text
    return answer


def _path(url: str) -> str:
    return httpx.URL(url).raw_path.decode()


def _withdraw(sut: System, receipt: str, times: int = 1) -> httpx.Response:
    """Open the confirm step and submit it (``times`` times, as a double click would)."""
    confirm = sut.http.get(f"{receipt}/withdraw")
    assert confirm.status_code == 200, confirm.text
    found = re.search(r'name="token" value="([^"]+)"', confirm.text)
    assert found is not None
    form = {"token": found.group(1), "confirm": "yes"}
    answers = [sut.http.post(f"{receipt}/withdraw", data=form) for _ in range(times)]
    assert len({a.status_code for a in answers}) == 1
    return answers[-1]


def _kinds(sut: System, lead_id: str) -> list[str]:
    rows = sut.query("SELECT kind FROM consent_ledger WHERE lead_id = :id ORDER BY seq", id=lead_id)
    return [r[0] for r in rows]


def _sql(sut: System, statement: str) -> None:
    """Change the database behind Pickpost's back, as a tamperer with SQL access would."""

    async def run() -> None:
        engine = make_engine(sut.database_url)
        try:
            async with engine.begin() as conn:
                await conn.execute(sa.text(statement))
        finally:
            await engine.dispose()

    asyncio.run(run())


def _verify(sut: System) -> tuple[int, str]:
    result = pickpost("consent", "verify", "--database", sut.database_url)
    return result.returncode, result.stdout + result.stderr


def test_the_receipt_shows_the_buyers_and_withdrawal_reaches_both(
    backend: str, fleet: ThreadedFleet, tmp_path: Path, stubs: dict[str, RevokeStub]
) -> None:
    with revoking_system(backend, fleet, tmp_path, stubs, "0.2") as (sut, _):
        answer = _sell(sut, "beta", "alpha")
        lead_id = answer["lead_id"]
        receipt = _path(answer["receipt_url"])
        assert answer["receipt_url"].startswith(sut.server.base_url + "/receipt/")

        page = sut.http.get(receipt)
        assert page.status_code == 200
        assert "Beta Solar Inc." in page.text
        assert "Alpha Energy LLC" in page.text
        assert page.text.index("Beta Solar Inc.") < page.text.index("Alpha Energy LLC")
        assert "about solar" in page.text  # the disclosure
        assert not [o for o in OTHERS if o in page.text]
        assert "555" not in page.text
        assert "$" not in page.text
        assert lead_id not in page.text[page.text.index("<main>") :].replace(receipt, "")
        assert "default-src 'none'" in page.headers["content-security-policy"]

        # A forged, cut or other lead's link: the same clear 404 page.
        mac = receipt.rsplit("/", 1)[1]
        forged = [
            receipt[:-1] + ("A" if receipt[-1] != "A" else "B"),
            receipt.rsplit("/", 1)[0] + "/",
            f"/receipt/l_not_a_lead/{mac}",
            f"/receipt/{lead_id}/{'x' * len(mac)}/withdraw",
        ]
        for bad in forged:
            refused = sut.http.get(bad)
            assert refused.status_code == 404, bad
            assert NOT_VALID in refused.text or bad.endswith("/")

        # Another site's form is refused, whatever it sends.
        cross = sut.http.post(
            f"{receipt}/withdraw",
            data={"token": "x", "confirm": "yes"},
            headers={"Origin": "https://evil.example"},
        )
        assert cross.status_code == 403
        assert "revocation_requested" not in _kinds(sut, lead_id)

        done = _withdraw(sut, receipt, times=2)  # the second records nothing new
        assert done.status_code == 303, done.text
        assert done.headers["location"] == f"{receipt}?withdrawn=1"
        assert sut.http.get(f"{receipt}/withdraw").status_code == 303  # no second confirm
        again = sut.http.post(
            f"{receipt}/withdraw", data={"token": re.sub(".", "x", mac), "confirm": "yes"}
        )
        assert again.status_code == 403

        assert eventually(lambda: bool(stubs["alpha"].revoked and stubs["beta"].revoked))
        assert eventually(lambda: _kinds(sut, lead_id).count("revocation_delivered") == 2)
        kinds = _kinds(sut, lead_id)
        assert kinds.count("revocation_requested") == 1
        for buyer in ("alpha", "beta"):
            [(key, body)] = stubs[buyer].revoked.items()
            assert body["lead_id"] == lead_id
            assert body["idempotency_key"] == key
            assert set(body) == {"type", "lead_id", "sale_id", "bid_id", "revoked_at",
                                 "idempotency_key"}  # fmt: skip
        code, said = _verify(sut)
        assert code == 0, said

        shown = sut.http.get(receipt).text
        assert shown.count("withdrawal delivered") == 2
        bundle = sut.http.get(f"/api/v1/leads/{lead_id}/consent", headers=AUTH).json()
        assert {s["buyer_id"]: s["state"] for s in bundle["revocations"]} == {
            "alpha": "delivered",
            "beta": "delivered",
        }
        assert bundle["verified"], bundle["problems"]


def test_each_buyer_link_shows_only_that_buyer(
    backend: str, fleet: ThreadedFleet, tmp_path: Path, stubs: dict[str, RevokeStub]
) -> None:
    with revoking_system(backend, fleet, tmp_path, stubs, "3600") as (sut, _):
        fleet.clear()
        answer = _sell(sut, "beta", "alpha", phone="(512) 555-0199")
        lead_id = answer["lead_id"]
        links = {}
        for buyer in ("alpha", "beta"):
            [post] = [p for p in sut.posts_received(buyer) if p["lead_id"] == lead_id]
            links[buyer] = _path(post["consent"]["certificate_url"])
            assert links[buyer].startswith(f"/certificate/{lead_id}/{buyer}/")
        # The link is the buyer's: never in the recorded call.
        assert eventually(lambda: bool(sut.lead(lead_id)["requests"]))
        recorded = json.dumps(sut.lead(lead_id))
        assert _path(answer["receipt_url"]) not in recorded  # nor the receipt in the request log
        assert links["alpha"] not in recorded
        assert links["beta"] not in recorded

        for buyer, other in (("alpha", "beta"), ("beta", "alpha")):
            page = sut.http.get(links[buyer])
            assert page.status_code == 200
            view = sut.http.get(links[buyer], params={"format": "json"}).json()
            other_bid = next(e for e in view["consent"]["bids_shown"] if e["buyer_id"] == buyer)[
                "bid_id"
            ]
            assert other_bid
            stored = sut.query(
                "SELECT bid_id FROM sales WHERE lead_id = :id AND buyer_id = :b",
                id=lead_id,
                b=other,
            )
            entity = {"alpha": "Alpha Energy LLC", "beta": "Beta Solar Inc."}
            for text in (page.text, json.dumps(view)):
                assert entity[buyer] in text
                assert entity[other] not in text
                assert f'"{other}"' not in text
                assert f">{other}<" not in text
                assert stored[0][0] not in text
                assert not [o for o in OTHERS if o in text]
            assert view["verified"]
            assert documented_verifier()(view) == []  # docs/consent.md's own verifier

        # Another buyer's link cannot be made from one's own.
        mac = links["alpha"].rsplit("/", 1)[1]
        for forged in (
            f"/certificate/{lead_id}/beta/{mac}",
            f"/certificate/{lead_id}/gamma/{mac}",
            f"/receipt/{lead_id}/{mac}",
        ):
            refused = sut.http.get(forged)
            assert refused.status_code == 404
            assert NOT_VALID in refused.text


def _console_shows(sut: System, lead_id: str) -> None:
    """The lead record shows each buyer's delivery; a buyer's user only its own."""
    try:
        page = signed_in(sut, add_user(sut, "analyst")).get(f"/console/leads/{lead_id}")
        assert "Consent withdrawn" in page.text
        section = page.text[page.text.index('id="withdrawal"') :]
        assert "<td>alpha</td>" in section
        assert "<td>beta</td>" in section
        assert "HTTP 503" not in section  # the error of a failed attempt goes once delivered
        buyer = signed_in(sut, add_user(sut, "buyer", scope="beta"))
        mine = buyer.get(f"/console/leads/{lead_id}").text
        section = mine[mine.index('id="withdrawal"') :]
        assert "<td>beta</td>" in section
        assert "<td>alpha</td>" not in section
    finally:
        close_browsers()


def _catalog(data: dict[str, Any]) -> Catalog:
    return Catalog.from_workspace(Workspace.model_validate(data))


async def _worker(database_url: str, data: dict[str, Any], clock: Clock) -> Any:
    engine = make_engine(database_url)
    transport = HttpTransport.create(10)
    catalog = _catalog(data)
    timing = DeliveryTiming(backoff=Backoff(first_s=30, cap_s=600), timeout_ms=5000)
    worker = RevocationWorker(SqlRevocations(engine), transport, lambda: catalog, clock, timing)
    return engine, transport, worker


def test_a_buyer_down_for_a_while_gets_it_once_it_is_back_across_a_restart(
    backend: str, fleet: ThreadedFleet, tmp_path: Path, stubs: dict[str, RevokeStub]
) -> None:
    # serve's own worker waits an hour between rounds: the test's workers do the delivering.
    with revoking_system(backend, fleet, tmp_path, stubs, "3600") as (sut, data):
        answer = _sell(sut, "beta", "alpha", phone="(512) 555-0123")
        lead_id = answer["lead_id"]
        stubs["beta"].down = True
        assert _withdraw(sut, _path(answer["receipt_url"])).status_code == 303
        clock = Clock(time.time() + 1)  # the withdrawal's rows are due

        async def run() -> None:
            engine, transport, worker = await _worker(sut.database_url, data, clock)
            try:
                assert await worker.run_once() == 1  # alpha
                assert len(stubs["beta"].calls) == 1  # beta: 503
                clock.advance(29)
                assert await worker.run_once() == 0
                assert len(stubs["beta"].calls) == 1  # not due before its backoff
                clock.advance(1)
                assert await worker.run_once() == 0
                assert len(stubs["beta"].calls) == 2  # still down: the wait doubles
                clock.advance(59)
                assert await worker.run_once() == 0
                assert len(stubs["beta"].calls) == 2
            finally:
                await transport.close()
                await engine.dispose()
            stubs["beta"].down = False
            clock.advance(1)
            # A new process: all it knows is in the database.
            engine, transport, restarted = await _worker(sut.database_url, data, clock)
            try:
                assert await restarted.run_once() == 1
                clock.advance(100_000)
                assert await restarted.run_once() == 0
            finally:
                await transport.close()
                await engine.dispose()

        asyncio.run(run())
        beta = stubs["beta"]
        assert [c["status"] for c in beta.calls] == [503, 503, 200]
        assert len(set(beta.keys())) == 1  # the same key on every attempt
        assert len(beta.revoked) == 1
        assert len(stubs["alpha"].revoked) == 1
        _console_shows(sut, lead_id)
        states = sut.http.get(f"/api/v1/leads/{lead_id}/consent", headers=AUTH).json()
        assert {s["buyer_id"]: (s["state"], s["attempts"]) for s in states["revocations"]} == {
            "alpha": ("delivered", 1),
            "beta": ("delivered", 3),
        }
        assert _kinds(sut, lead_id).count("revocation_delivered") == 2
        code, said = _verify(sut)
        assert code == 0, said

        # The outbox is attested by the ledger: changing it behind Pickpost's back is reported.
        _sql(sut, "UPDATE revocations SET state = 'pending' WHERE buyer_id = 'beta'")
        code, said = _verify(sut)
        assert code == 1
        assert "revocation_delivered entry but its revocation is not marked delivered" in said
        _sql(sut, "UPDATE revocations SET state = 'delivered' WHERE buyer_id = 'beta'")
        _sql(sut, "DELETE FROM revocations WHERE buyer_id = 'alpha'")
        code, said = _verify(sut)
        assert code == 1
        assert "the revocation outbox differs from its revocation_requested entry" in said


def test_two_workers_on_one_postgresql_never_deliver_one_row_twice(
    fleet: ThreadedFleet, tmp_path: Path, stubs: dict[str, RevokeStub]
) -> None:
    with revoking_system("postgres", fleet, tmp_path, stubs, "3600") as (sut, data):
        for n in range(6):
            answer = _sell(sut, "beta", "alpha", phone=f"(512) 555-01{n:02d}")
            assert _withdraw(sut, _path(answer["receipt_url"])).status_code == 303
        clock = Clock(time.time() + 1)

        async def run() -> list[list[Revoked]]:
            engines = [make_engine(sut.database_url) for _ in range(2)]
            stores = [SqlRevocations(e) for e in engines]
            try:
                # Both race for every row at once, one row per lease.
                leased: list[list[Revoked]] = [[], []]
                for _ in range(12):
                    got = await asyncio.gather(
                        *(s.lease_due(f"w{i}", clock.now(), 300, 1) for i, s in enumerate(stores))
                    )
                    for i, rows in enumerate(got):
                        leased[i] += rows
                return leased
            finally:
                for engine in engines:
                    await engine.dispose()

        first, second = asyncio.run(run())
        taken = [r.sale_id for r in first + second]
        assert len(taken) == 12
        assert len(set(taken)) == 12

        async def deliver() -> None:
            made = [await _worker(sut.database_url, data, clock) for _ in range(2)]
            try:
                await asyncio.gather(*(w.run_once() for _, _, w in made))
            finally:
                for engine, transport, _ in made:
                    await transport.close()
                    await engine.dispose()

        clock.advance(301)  # the leases above run out: the two workers race for real
        asyncio.run(deliver())
        for stub in stubs.values():
            assert len(stub.calls) == 6
            assert len(set(stub.keys())) == 6
        assert sut.query("SELECT count(*) FROM revocations WHERE state = 'delivered'") == [(12,)]
        code, said = _verify(sut)
        assert code == 0, said
