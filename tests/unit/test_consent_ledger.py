"""The consent ledger's pure rules (docs/consent.md): canonical encoding, chains, daily roots,
inclusion proofs, and that any single edit, deletion, reorder or insertion is detected."""

import hashlib
import json
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pickpost.domain.consent_ledger import (
    GENESIS,
    Attested,
    Draft,
    Entry,
    EntryKind,
    Problem,
    Tamper,
    append,
    canonical,
    claim_drafts,
    commitment,
    delivered_draft,
    included,
    inclusion_path,
    merkle_root,
    seal_day,
    sealable_through,
    stamp,
    verify_attested,
    verify_chain,
    verify_day,
    verify_escrowed,
)
from pickpost.domain.lead import ConsentRecord

AT = datetime(2026, 11, 27, 10, 15, 0, 123456, tzinfo=UTC)
KINDS = list(EntryKind)


def _chain(n: int, lead_id: str = "l_1") -> list[Entry]:
    drafts = [
        Draft(KINDS[i % len(KINDS)], AT + timedelta(seconds=i), {"n": i, "text": f"é{i}"})
        for i in range(n)
    ]
    return append(lead_id, None, drafts)


def _kinds(problems: list[Problem]) -> set[Tamper]:
    return {p.tamper for p in problems}


def test_canonical_json_is_sorted_compact_utf8_and_refuses_floats() -> None:
    assert canonical({"b": 1, "a": ["é", None, True]}) == '{"a":["é",null,true],"b":1}'.encode()
    assert canonical({"x": "a\nb\u0001"}) == b'{"x":"a\\nb\\u0001"}'
    with pytest.raises(TypeError):
        canonical({"price": 1.5})
    with pytest.raises(TypeError):
        canonical({1: "a"})


def test_an_entry_hash_is_sha256_of_its_canonical_body() -> None:
    [entry] = append("l_1", None, [Draft(EntryKind.BIDS_SHOWN, AT, {"bids": []})])
    body = {
        "format": 1,
        "lead_id": "l_1",
        "kind": "bids_shown",
        "at": "2026-11-27T10:15:00.123Z",
        "facts": {"bids": []},
        "commitment": None,
        "prev_hash": GENESIS,
    }
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert entry.entry_hash == hashlib.sha256(text.encode()).hexdigest()
    assert stamp(entry.at) == "2026-11-27T10:15:00.123Z"


def test_a_chain_links_each_entry_to_the_one_before() -> None:
    chain = _chain(4)
    assert chain[0].prev_hash == GENESIS
    assert [e.prev_hash for e in chain[1:]] == [e.entry_hash for e in chain[:-1]]
    more = append("l_1", (chain[-1].seq, chain[-1].entry_hash), [delivered_draft(7, "a", "b", AT)])
    assert (more[0].seq, more[0].prev_hash) == (4, chain[-1].entry_hash)
    assert verify_chain("l_1", [*chain, *more]) == []


def test_commitments_hide_values_behind_the_nonce() -> None:
    evidence = {"ip_address": "203.0.113.7"}
    first, second = commitment(evidence, "aa" * 16), commitment(evidence, "bb" * 16)
    assert first != second
    assert "203.0.113.7" not in first
    assert commitment(evidence, "aa" * 16) == first


@given(n=st.integers(1, 12), data=st.data())
def test_any_single_edit_is_detected(n: int, data: st.DataObject) -> None:
    chain = _chain(n)
    i = data.draw(st.integers(0, n - 1))
    field = data.draw(st.sampled_from(["facts", "kind", "at", "commitment", "prev", "lead"]))
    target = chain[i]
    if field == "facts":
        edited = replace(target, facts={**target.facts, "n": -1})
    elif field == "kind":
        other = next(k for k in KINDS if k.value != target.kind)
        edited = replace(target, kind=other.value)
    elif field == "at":
        edited = replace(target, at=target.at + timedelta(milliseconds=1))
    elif field == "commitment":
        edited = replace(target, commitment="f" * 64)
    elif field == "prev":
        edited = replace(target, prev_hash="e" * 64)
    else:
        edited = replace(target, lead_id="l_2")
    problems = verify_chain("l_1", [*chain[:i], edited, *chain[i + 1 :]])
    assert Tamper.EDITED in _kinds(problems)
    assert any(p.seq == i for p in problems)


@given(n=st.integers(1, 12), data=st.data())
def test_an_edit_with_its_hash_recomputed_is_detected_by_the_next_link(
    n: int, data: st.DataObject
) -> None:
    chain = _chain(n + 1)
    i = data.draw(st.integers(0, n - 1))
    target = chain[i]
    facts = {**target.facts, "n": -1}
    forged = replace(target, facts=facts)
    forged = replace(forged, entry_hash=forged.computed_hash())
    problems = verify_chain("l_1", [*chain[:i], forged, *chain[i + 1 :]])
    assert problems
    assert any(p.seq in (i, i + 1) for p in problems)


@given(n=st.integers(2, 12), data=st.data())
def test_any_deletion_but_the_last_is_detected(n: int, data: st.DataObject) -> None:
    chain = _chain(n)
    i = data.draw(st.integers(0, n - 2))
    problems = verify_chain("l_1", chain[:i] + chain[i + 1 :])
    assert Tamper.DELETED in _kinds(problems)
    assert [p.seq for p in problems if p.tamper is Tamper.DELETED] == [i]


@given(n=st.integers(2, 12), data=st.data())
def test_any_swap_of_two_entries_is_detected_as_reordered(n: int, data: st.DataObject) -> None:
    chain = _chain(n)
    i, j = sorted(data.draw(st.lists(st.integers(0, n - 1), min_size=2, max_size=2, unique=True)))
    swapped = list(chain)
    swapped[i] = replace(chain[j], seq=i)
    swapped[j] = replace(chain[i], seq=j)
    problems = verify_chain("l_1", swapped)
    assert Tamper.REORDERED in _kinds(problems)


@given(n=st.integers(1, 12), data=st.data())
def test_any_insertion_is_detected(n: int, data: st.DataObject) -> None:
    chain = _chain(n)
    i = data.draw(st.integers(0, n))
    linked = data.draw(st.booleans())  # a forger who links the new entry in properly
    prev = (chain[i - 1].entry_hash if i else GENESIS) if linked else "d" * 64
    draft = Draft(EntryKind.CONSENT_DELIVERED, AT, {"sale_id": 99})
    [new] = append("l_1", (i - 1, prev), [draft])
    shifted = [replace(e, seq=e.seq + 1) for e in chain[i:]]
    problems = verify_chain("l_1", [*chain[:i], new, *shifted])
    if i == n and linked:
        # An entry appended properly at the end is indistinguishable from a real one: the day
        # root and the cross-checks with the sales ledger are what catch it.
        assert problems == []
    else:
        assert problems
        assert any(p.seq == i for p in problems)


@given(hashes=st.lists(st.binary(min_size=32, max_size=32), min_size=1, max_size=40, unique=True))
def test_every_entry_of_a_day_has_an_inclusion_proof(hashes: list[bytes]) -> None:
    day = [h.hex() for h in hashes]
    root = merkle_root(day)
    for target in day:
        index, path = inclusion_path(day, target)
        assert included(target, index, len(day), path, root)
        assert not included(target, index, len(day), path, "0" * 64)
        if len(day) > 1:
            assert not included(target, (index + 1) % len(day), len(day), path, root)


def test_the_merkle_root_is_rfc6962_over_sorted_hashes() -> None:
    a, b, c = ("11" * 32), ("22" * 32), ("33" * 32)

    def leaf(h: str) -> bytes:
        return hashlib.sha256(b"\x00" + bytes.fromhex(h)).digest()

    def node(x: bytes, y: bytes) -> bytes:
        return hashlib.sha256(b"\x01" + x + y).digest()

    assert merkle_root([c, a, b]) == node(node(leaf(a), leaf(b)), leaf(c)).hex()
    assert merkle_root([]) == hashlib.sha256(b"").hexdigest()


def test_a_day_root_detects_changed_entries_and_broken_day_links() -> None:
    hashes = [e.entry_hash for e in _chain(3)]
    sealed = seal_day(date(2026, 11, 27), hashes, GENESIS)
    assert verify_day(sealed, GENESIS, hashes) == []
    assert _kinds(verify_day(sealed, GENESIS, hashes[:2])) == {Tamper.ROOT}
    assert verify_day(sealed, "a" * 64, hashes)
    assert verify_day(replace(sealed, merkle_root="b" * 64), GENESIS, hashes)
    next_day = seal_day(date(2026, 11, 28), hashes[:1], sealed.root)
    assert next_day.prev_root == sealed.root


def test_a_day_is_sealed_only_after_it_closed_and_the_grace_passed() -> None:
    assert sealable_through(datetime(2026, 11, 28, 0, 30, tzinfo=UTC)) == date(2026, 11, 26)
    assert sealable_through(datetime(2026, 11, 28, 1, 30, tzinfo=UTC)) == date(2026, 11, 27)


def _consent() -> ConsentRecord:
    bids: list[dict[str, object]] = [
        {"bid_id": "b_1", "buyer_id": "alpha", "tcpa_entity_name": "Alpha LLC", "bid_price": 36.5},
        {"bid_id": "b_2", "buyer_id": "beta", "tcpa_entity_name": "Beta Inc.", "bid_price": 27},
    ]
    evidence = {"ip_address": "203.0.113.7", "tcpa_text": "I agree"}
    return ConsentRecord("l_1", "p_1", AT.timestamp(), bids, bids[::-1], evidence)


def test_the_chain_attests_the_consent_record_and_the_sold_sales() -> None:
    consent = _consent()
    nonce = "ab" * 16
    entries = append("l_1", None, claim_drafts(consent, AT, nonce))
    assert entries[0].facts["bids"] == [
        {
            "bid_id": "b_1",
            "buyer_id": "alpha",
            "tcpa_entity_name": "Alpha LLC",
            "price_cents": 3650,
        },
        {"bid_id": "b_2", "buyer_id": "beta", "tcpa_entity_name": "Beta Inc.", "price_cents": 2700},
    ]
    assert "203.0.113.7" not in json.dumps([dict(e.facts) for e in entries])
    entries += append("l_1", (1, entries[1].entry_hash), [delivered_draft(5, "beta", "b_2", AT)])
    records = Attested(consent, {5: ("beta", "b_2")}, (consent.evidence, nonce))
    assert verify_attested("l_1", records, entries) == []
    # Purged evidence is not checked; everything else still is.
    assert verify_attested("l_1", replace(records, opening=None), entries) == []

    changed = replace(consent, evidence={**consent.evidence, "tcpa_text": "other"})
    assert verify_attested("l_1", replace(records, opening=(changed.evidence, nonce)), entries)
    reordered = replace(consent, bids_picked=consent.bids_shown)
    assert verify_attested("l_1", replace(records, consent=reordered), entries)
    assert verify_attested("l_1", replace(records, sold={5: ("beta", "b_2"), 6: ("a", "b")}),
                           entries)  # fmt: skip
    assert verify_attested("l_1", replace(records, sold={}), entries)
    assert verify_attested("l_1", records, entries[1:])


def test_stored_roots_are_checked_against_escrowed_copies() -> None:
    hashes = [e.entry_hash for e in _chain(2)]
    first = seal_day(date(2026, 11, 26), hashes[:1], GENESIS)
    second = seal_day(date(2026, 11, 27), hashes[1:], first.root)
    assert verify_escrowed([first, second], [first, second]) == []
    assert verify_escrowed([first, second], [first]) == []  # sealed since the copy was taken
    [gone] = verify_escrowed([second], [first, second])
    assert (gone.day, "gone" in gone.detail) == (first.day, True)
    [changed] = verify_escrowed([first, replace(second, entries=5)], [first, second])
    assert (changed.day, "differs" in changed.detail) == (second.day, True)
