"""The printable consent certificate: what it shows of a bundle, every value escaped."""

from typing import Any

from pickpost.api.consent_certificate import render

HOSTILE = "<script>alert('x')</script> & Co"


def _bundle(verified: bool = True) -> dict[str, Any]:
    bids = [
        {"bid_id": "b_1", "buyer_id": "alpha", "tcpa_entity_name": HOSTILE, "price_cents": 3650},
        {"bid_id": "b_2", "buyer_id": "beta", "tcpa_entity_name": "Beta Inc.", "price_cents": 2700},
    ]
    entry = {"commitment": None, "nonce": None, "prev_hash": "0" * 64, "entry_hash": "a" * 64}
    return {
        "lead_id": "l_1",
        "consent": {
            "ping_id": "p_1",
            "consented_at": "2026-11-27T10:15:00.000Z",
            "bids_shown": bids,
            "bids_picked": bids[::-1],
            "evidence": {"tcpa_text": f"I agree {HOSTILE}", "ip_address": "[purged]"},
        },
        "entries": [
            {**entry, "seq": 0, "kind": "bids_shown", "at": "2026-11-27T10:15:00.100Z",
             "facts": {"ping_id": "p_1", "bids": bids}},
            {**entry, "seq": 1, "kind": "consent_delivered", "at": "2026-11-27T10:15:01.000Z",
             "facts": {"sale_id": 7, "buyer_id": "beta", "bid_id": "b_2"}},
        ],
        "proof": {"format": 1, "genesis": "0" * 64, "days": [
            {"sealed": True, "day": "2026-11-27", "entries": 9, "merkle_root": "b" * 64,
             "prev_root": "0" * 64, "root": "c" * 64, "format": 1,
             "inclusions": [{"entry_hash": "a" * 64, "index": 0, "path": [], "proven": True}]},
        ]},
        "verified": verified,
        "problems": [] if verified else [f"lead l_1, entry 1: edited: {HOSTILE}"],
    }  # fmt: skip


def test_the_certificate_shows_the_disclosure_picks_deliveries_and_proof() -> None:
    page = render(_bundle())
    assert "The ledger verifies" in page
    assert "I agree &lt;script&gt;" in page
    picks = page[page.index("<ol>") : page.index("</ol>")]
    assert picks.index("Beta Inc.") < picks.index("&lt;script&gt;alert(&#x27;x&#x27;)")
    assert "$36.50" in page
    assert "[purged]" in page
    assert "c" * 64 in page
    assert "1 of this lead's entries proven in 9" in page
    assert "<script>" not in page


def test_a_bundle_that_does_not_verify_says_what_is_wrong() -> None:
    page = render(_bundle(verified=False))
    assert "does not verify" in page
    assert "entry 1: edited: &lt;script&gt;" in page
    assert "<script>" not in page
