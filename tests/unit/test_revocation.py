"""Withdrawal of consent: signed links, backoff, the delivery worker against a fake outbox and
transport (the clock moved by hand), the buyers' revocation calls, and what the receipt and a
buyer's view of the certificate show (docs/consent.md)."""

from datetime import UTC, datetime
from typing import Any

import orjson
import pytest

from pickpost.api.receipt_page import receipt_page
from pickpost.buyers import adapter
from pickpost.buyers.wire import InboundResponse, OutboundRequest
from pickpost.domain.consent_ledger import Attested, Entry, append, verify_attested
from pickpost.domain.receipt import Receipt, Recipient, buyer_view, receipt_of
from pickpost.domain.revocation import (
    Backoff,
    LinkKind,
    LinkSigner,
    Revoked,
    certificate_path,
    idempotency_key,
    receipt_path,
    requested_draft,
)
from pickpost.domain.revocation import delivered_draft as revocation_delivered
from pickpost.services.revocations import DeliveryTiming, RevocationWorker, Withdrawals
from tests.unit.factories import make_buyer, make_campaign, make_catalog
from tests.unit.fakes import FakeClock, FakeTransport, MemoryRevocations, Unreachable, answer

SIGNER = LinkSigner(b"s" * 32)
REVOKED = Revoked(
    "l_1", "101", 7, "sunco", "bid-7", datetime(2026, 11, 27, 10, 0, tzinfo=UTC), "rv_key"
)


# --- links ---------------------------------------------------------------------------------


def test_a_link_checks_with_its_own_ids_and_kind_only() -> None:
    mac = SIGNER.sign(LinkKind.CERTIFICATE, "l_1", "sunco")
    assert SIGNER.valid(mac, LinkKind.CERTIFICATE, "l_1", "sunco")
    assert not SIGNER.valid(mac, LinkKind.CERTIFICATE, "l_1", "moonco")
    assert not SIGNER.valid(mac, LinkKind.CERTIFICATE, "l_2", "sunco")
    assert not SIGNER.valid(mac, LinkKind.RECEIPT, "l_1")
    assert not LinkSigner(b"t" * 32).valid(mac, LinkKind.CERTIFICATE, "l_1", "sunco")
    assert not SIGNER.valid(mac[:-1] + ("A" if mac[-1] != "A" else "B"), LinkKind.CERTIFICATE,
                            "l_1", "sunco")  # fmt: skip


def test_ids_cannot_be_shifted_between_the_parts_a_link_signs() -> None:
    # "l_1" + "x.y" and "l_1x" + ".y" must not sign alike.
    assert SIGNER.sign(LinkKind.CERTIFICATE, "l_1", "xy") != SIGNER.sign(
        LinkKind.CERTIFICATE, "l_1x", "y"
    )


def test_paths_carry_the_ids_and_signature() -> None:
    assert receipt_path(SIGNER, "l_1") == f"/receipt/l_1/{SIGNER.sign(LinkKind.RECEIPT, 'l_1')}"
    mac = SIGNER.sign(LinkKind.CERTIFICATE, "l_1", "sunco")
    assert certificate_path(SIGNER, "l_1", "sunco") == f"/certificate/l_1/sunco/{mac}"


# --- backoff and idempotency ---------------------------------------------------------------


def test_backoff_doubles_up_to_its_cap() -> None:
    backoff = Backoff(first_s=10, cap_s=100)
    assert [backoff.delay_s(n) for n in range(1, 7)] == [10, 20, 40, 80, 100, 100]


def test_the_idempotency_key_is_one_per_sale() -> None:
    assert idempotency_key("l_1", 7) == idempotency_key("l_1", 7)
    assert idempotency_key("l_1", 7) != idempotency_key("l_1", 8)
    assert idempotency_key("l_1", 7) != idempotency_key("l_2", 7)


# --- the buyers' revocation calls ----------------------------------------------------------


def test_a_native_buyer_gets_the_documented_body_with_its_idempotency_key() -> None:
    buyer = make_buyer(revoke_url="https://sunco.example/revoke")
    request = adapter.adapter_for(buyer).build_revoke(REVOKED)
    assert request is not None
    assert (request.method, request.url) == ("POST", "https://sunco.example/revoke")
    assert request.headers["Idempotency-Key"] == "rv_key"
    assert orjson.loads(request.body) == {
        "type": "revocation",
        "lead_id": "l_1",
        "sale_id": 7,
        "bid_id": "bid-7",
        "revoked_at": "2026-11-27T10:00:00Z",
        "idempotency_key": "rv_key",
    }


def test_a_native_buyer_without_revoke_url_has_no_channel() -> None:
    assert adapter.adapter_for(make_buyer()).build_revoke(REVOKED) is None


def _mapped(**mapping: Any) -> Any:
    post = {
        "url": "https://api.moon.example/leads",
        "response": {"accepted": {"path": "ok", "equals": True}},
    }
    return make_buyer(
        id="moon",
        ping_url=None,
        post_url=None,
        price={"static": 20},
        mapping={"post": post, **mapping},
    )


def test_a_mapped_buyer_revokes_through_its_revoke_step() -> None:
    revoke = {
        "method": "PUT",
        "url": "https://api.moon.example/leads/{{lp_lead_id}}/optout",
        "headers": {"X-Request-Id": "{{lp_idempotency_key}}"},
        "body": {"sale": "{{lp_sale_id}}", "at": "{{lp_revoked_at}}", "bid": "{{lp_bid_id}}"},
    }
    request = adapter.adapter_for(_mapped(revoke=revoke)).build_revoke(REVOKED)
    assert request is not None
    assert (request.method, request.url) == ("PUT", "https://api.moon.example/leads/l_1/optout")
    assert request.headers["X-Request-Id"] == "rv_key"
    assert orjson.loads(request.body) == {
        "sale": 7,
        "at": "2026-11-27T10:00:00Z",
        "bid": "bid-7",
    }
    assert adapter.adapter_for(_mapped()).build_revoke(REVOKED) is None


def test_a_revoke_step_refuses_values_it_does_not_have() -> None:
    with pytest.raises(ValueError, match="lp_price"):
        _mapped(revoke={"url": "https://api.moon.example/x?p={{lp_price}}"})


# --- the worker ------------------------------------------------------------------------------


def _catalog_with(revoke_url: str | None) -> Any:
    buyers = [
        {
            "id": "sunco",
            "tcpa_entity_name": "SunCo Solar LLC",
            "ping_url": "http://127.0.0.1:9001/ping",
            "post_url": "http://127.0.0.1:9001/post",
            "revoke_url": revoke_url,
        },
        {
            "id": "moonco",
            "tcpa_entity_name": "MoonCo Energy Inc",
            "ping_url": "http://127.0.0.1:9002/ping",
            "post_url": "http://127.0.0.1:9002/post",
        },
    ]
    return make_catalog(make_campaign(buyers=buyers))


class Buyer:
    """A buyer's revocation endpoint that is down until told otherwise."""

    def __init__(self) -> None:
        self.up = False
        self.keys: list[str] = []

    async def __call__(self, request: OutboundRequest, timeout_ms: int) -> InboundResponse:
        if not self.up:
            raise Unreachable
        self.keys.append(request.headers["Idempotency-Key"])
        return answer(200, {"acknowledged": True})


async def test_a_buyer_that_is_down_gets_the_revocation_when_it_comes_back() -> None:
    store, clock, buyer = MemoryRevocations(), FakeClock(1_000_000.0), Buyer()
    store.sold("l_1", "101", 1, "sunco")
    catalog = _catalog_with("http://127.0.0.1:9001/revoke")
    timing = DeliveryTiming(backoff=Backoff(first_s=30, cap_s=600))
    worker = RevocationWorker(store, FakeTransport(buyer), lambda: catalog, clock, timing)
    assert await Withdrawals(store, clock).withdraw("l_1")

    assert await worker.run_once() == 0  # down
    assert store.rows[1].next_at == clock.now() + 30
    clock.advance(29)
    assert await worker.run_once() == 0
    assert store.rows[1].revoked.attempts == 1
    clock.advance(1)
    assert await worker.run_once() == 0  # still down: the wait doubles
    assert store.rows[1].next_at == clock.now() + 60
    buyer.up = True
    clock.advance(60)
    # A worker started after a restart knows only what the store holds.
    restarted = RevocationWorker(store, FakeTransport(buyer), lambda: catalog, clock, timing)
    assert await restarted.run_once() == 1
    assert buyer.keys == [idempotency_key("l_1", 1)]
    assert store.rows[1].state == "delivered"
    assert ("l_1", "revocation_delivered", 1) in store.entries
    clock.advance(10_000)
    assert await restarted.run_once() == 0
    assert len(buyer.keys) == 1


async def test_a_buyer_without_a_channel_is_marked_and_not_retried() -> None:
    store, clock, buyer = MemoryRevocations(), FakeClock(1_000_000.0), Buyer()
    buyer.up = True
    store.sold("l_1", "101", 1, "sunco")
    store.sold("l_1", "101", 2, "moonco")
    transport = FakeTransport(buyer)
    catalog = _catalog_with("http://127.0.0.1:9001/revoke")
    worker = RevocationWorker(store, transport, lambda: catalog, clock)
    await Withdrawals(store, clock).withdraw("l_1")
    assert await worker.run_once() == 1
    assert {s["buyer_id"]: s["state"] for s in await store.states("l_1")} == {
        "sunco": "delivered",
        "moonco": "no_channel",
    }
    clock.advance(100_000)
    await worker.run_once()
    assert len(transport.sent) == 1


async def test_a_failed_answer_is_retried_with_the_same_key() -> None:
    store, clock = MemoryRevocations(), FakeClock(1_000_000.0)
    answers = [answer(503, {}), answer(500, {}), answer(202, {})]
    keys: list[str] = []

    async def flaky(request: OutboundRequest, timeout_ms: int) -> InboundResponse:
        keys.append(request.headers["Idempotency-Key"])
        return answers.pop(0)

    store.sold("l_1", "101", 1, "sunco")
    catalog = _catalog_with("http://127.0.0.1:9001/revoke")
    worker = RevocationWorker(store, FakeTransport(flaky), lambda: catalog, clock)
    await Withdrawals(store, clock).withdraw("l_1")
    for _ in range(3):
        await worker.run_once()
        clock.advance(24 * 3600)
    assert store.rows[1].state == "delivered"
    assert store.rows[1].error == "HTTP 500"
    assert len(keys) == 3
    assert len(set(keys)) == 1


async def test_withdrawing_twice_records_once_and_an_unknown_lead_is_refused() -> None:
    store, clock = MemoryRevocations(), FakeClock(1_000_000.0)
    store.sold("l_1", "101", 1, "sunco")
    withdrawals = Withdrawals(store, clock)
    assert await withdrawals.withdraw("l_1")
    assert await withdrawals.withdraw("l_1")
    assert [e for e in store.entries if e[1] == "revocation_requested"] == [
        ("l_1", "revocation_requested", None)
    ]
    assert not await withdrawals.withdraw("l_404")


# --- what the receipt and a buyer's view show ----------------------------------------------


def _bid(n: int, buyer: str, entity: str) -> dict[str, Any]:
    return {"bid_id": f"bid-{n}", "buyer_id": buyer, "tcpa_entity_name": entity}


SUN, MOON, STAR = (
    _bid(1, "sunco", "SunCo Solar LLC"),
    _bid(2, "moonco", "MoonCo Energy Inc"),
    _bid(3, "starco", "StarCo Power"),
)


def _bundle() -> dict[str, Any]:
    def entry(seq: int, kind: str, facts: dict[str, Any]) -> dict[str, Any]:
        return {
            "seq": seq,
            "kind": kind,
            "at": f"2026-11-27T10:00:0{seq}.000Z",
            "facts": facts,
            "commitment": None,
            "nonce": "n" if kind == "pick_recorded" else None,
            "prev_hash": f"{seq - 1:064d}",
            "entry_hash": f"{seq:064d}",
        }

    shown = [b | {"price_cents": 1000 + n} for n, b in enumerate((SUN, MOON, STAR))]
    entries = [
        entry(0, "bids_shown", {"ping_id": "p_1", "bids": shown}),
        entry(1, "pick_recorded", {"consented_at": "t", "picked": [MOON, SUN]}),
        entry(2, "consent_delivered", {"sale_id": 11, "buyer_id": "moonco", "bid_id": "bid-2"}),
        entry(3, "consent_delivered", {"sale_id": 12, "buyer_id": "sunco", "bid_id": "bid-1"}),
        entry(4, "revocation_requested", {"sales": [{"sale_id": 11, **MOON}]}),
    ]
    text = "I agree to be called by MoonCo Energy Inc and SunCo Solar LLC."
    return {
        "lead_id": "l_1",
        "consent": {
            "ping_id": "p_1",
            "consented_at": "2026-11-27T10:00:00.000Z",
            "bids_shown": [b | {"bid_price": 10} for b in (SUN, MOON, STAR)],
            "bids_picked": [MOON, SUN],
            "evidence": {"tcpa_text": text, "ip_address": "203.0.113.9"},
        },
        "entries": entries,
        "proof": {"format": 1, "genesis": "0" * 64, "days": []},
        "verified": True,
        "problems": [],
    }


def test_the_receipt_names_the_buyers_that_bought_and_their_state() -> None:
    receipt = receipt_of(_bundle(), [{"sale_id": 11, "state": "delivered"}])
    assert [(r.entity, r.revocation) for r in receipt.recipients] == [
        ("MoonCo Energy Inc", "delivered"),
        ("SunCo Solar LLC", None),
    ]
    assert receipt.disclosure is not None
    assert receipt.disclosure.startswith("I agree")
    assert receipt.withdrawn_at == "2026-11-27T10:00:04.000Z"


def test_a_buyers_view_never_names_another_buyer() -> None:
    view = buyer_view(_bundle(), "sunco")
    assert view is not None
    text = orjson.dumps(view).decode()
    for other in (MOON, STAR):
        for value in other.values():
            assert value not in text
    assert "SunCo Solar LLC" in text
    assert "bid-1" in text
    assert view["consent"]["bids_picked"] == [SUN]
    assert all(e["nonce"] is None for e in view["entries"])
    # The chain keeps every link: the other buyer's entries are there, their facts are not.
    assert [e["entry_hash"] for e in view["entries"]] == [
        e["entry_hash"] for e in _bundle()["entries"]
    ]
    assert view["entries"][2]["facts"] == {}
    assert view["entries"][2]["redacted"]
    assert view["entries"][3]["facts"]["buyer_id"] == "sunco"
    assert "[another company]" in view["consent"]["evidence"]["tcpa_text"]


def test_a_buyer_the_consumer_did_not_pick_has_no_view() -> None:
    assert buyer_view(_bundle(), "starco") is None


# --- the consumer's pages ------------------------------------------------------------------


def _receipt(withdrawn_at: str | None = None) -> Receipt:
    recipients = (
        Recipient("<script>alert(1)</script> LLC", "2026-11-27T10:15:00.123Z", None),
        Recipient("SunCo Solar LLC", "2026-11-27T10:15:01.000Z", withdrawn_at and "no_channel"),
    )
    return Receipt("I agree & accept", "2026-11-27T10:14:59.000Z", recipients, withdrawn_at)


def test_the_receipt_page_escapes_and_dates_for_people() -> None:
    page = receipt_page(_receipt(), "/receipt/l_1/m/withdraw", just_withdrawn=False)
    assert "<script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; LLC" in page
    assert "I agree &amp; accept" in page
    assert '<time datetime="2026-11-27T10:15:00.123Z">27 November 2026, 10:15 UTC</time>' in page
    assert 'href="/receipt/l_1/m/withdraw"' in page
    assert "withdrawn" not in page


def test_a_withdrawn_receipt_offers_no_second_withdrawal_and_shows_states() -> None:
    page = receipt_page(_receipt("2026-11-28T08:00:00.000Z"), "/x/withdraw", just_withdrawn=True)
    assert 'href="/x/withdraw"' not in page
    assert "You withdrew your consent on" in page
    assert "contact it directly" in page
    assert 'role="status"' in page


# --- what consent verify checks of a withdrawal ----------------------------------------------


def _withdrawn_chain(delivered: bool) -> list[Entry]:
    at = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
    drafts = [requested_draft([(7, "sunco", "bid-7"), (8, "moon", "bid-8")], at)]
    if delivered:
        drafts.append(revocation_delivered(REVOKED, at))
    return append("l_1", None, drafts)


def _problems(entries: list[Entry], revoked: dict[int, tuple[str, str, bool]]) -> list[str]:
    return [p.detail for p in verify_attested("l_1", Attested(None, {}, None, revoked), entries)]


def test_verify_accepts_a_withdrawal_that_matches_its_outbox() -> None:
    rows = {7: ("sunco", "bid-7", True), 8: ("moon", "bid-8", False)}
    assert _problems(_withdrawn_chain(delivered=True), rows) == []


def test_verify_names_an_outbox_that_differs_from_the_ledger() -> None:
    dropped = {7: ("sunco", "bid-7", True)}
    assert _problems(_withdrawn_chain(True), dropped) == [
        "the revocation outbox differs from its revocation_requested entry"
    ]
    undone = {7: ("sunco", "bid-7", False), 8: ("moon", "bid-8", False)}
    assert _problems(_withdrawn_chain(True), undone) == [
        "sale 7 has a revocation_delivered entry but its revocation is not marked delivered"
    ]
    claimed = {7: ("sunco", "bid-7", True), 8: ("moon", "bid-8", False)}
    assert _problems(_withdrawn_chain(False), claimed) == [
        "the revocation of sale 7 to sunco is marked delivered but no revocation_delivered "
        "entry has it"
    ]
    pending = {7: ("sunco", "bid-7", False)}
    assert _problems([], pending) == [
        "revocations are queued but no revocation_requested entry has them"
    ]
