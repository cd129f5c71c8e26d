"""The consent ledger's rules: how entries are encoded, hashed, chained and verified, and how
each day's entries are committed to by one root (docs/consent.md).

Each lead has its own chain: every entry commits to the one before it (``prev_hash``; the first
to ``GENESIS``). An entry holds no personal value, only a commitment to them (a SHA-256 over a
random nonce and the values): the retention purge can blank the values and the nonce and every
hash still verifies. Each UTC day's appended entries are committed to by a Merkle root (RFC 6962
tree hashing over the day's entry hashes in ascending order), and each day's root record commits
to the previous sealed day's, so publishing the newest root pins the whole history before it.

Pure: stdlib and the domain's lead and money types.
"""

import hashlib
import json
import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum

from pickpost.domain.lead import ConsentRecord
from pickpost.domain.money import to_cents

FORMAT = 1
GENESIS = "0" * 64
"""What the first entry of every lead, and the first sealed day, commit to as their previous."""

SEAL_GRACE = timedelta(hours=1)
"""How long after a UTC day ends its root is computed: transactions still in flight at midnight
(and clocks a little apart across nodes) land in it first."""


class EntryKind(StrEnum):
    BIDS_SHOWN = "bids_shown"
    PICK_RECORDED = "pick_recorded"
    CONSENT_DELIVERED = "consent_delivered"  # with a sale the buyer confirmed
    REVOCATION_REQUESTED = "revocation_requested"
    REVOCATION_DELIVERED = "revocation_delivered"


def canonical(value: object) -> bytes:
    """The one byte string a value hashes as: JSON with keys sorted, no whitespace, UTF-8 and
    no escapes but the ones JSON requires (RFC 8785 for the values allowed here). Floats are
    refused: amounts are integer cents, so no two encoders can disagree on a number."""
    _check_encodable(value)
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _check_encodable(value: object) -> None:
    kind = type(value)
    if kind is str or kind is int or kind is bool or value is None:
        return
    if kind is dict:
        for key, item in value.items():  # type: ignore[attr-defined]
            if type(key) is not str:
                raise TypeError("canonical JSON keys must be strings")
            _check_encodable(item)
    elif kind is list or kind is tuple:
        for item in value:  # type: ignore[attr-defined]
            _check_encodable(item)
    elif isinstance(value, float):
        raise TypeError("canonical JSON holds no floats (amounts are integer cents)")
    elif not isinstance(value, str | int):  # subclasses: enums, NewTypes
        raise TypeError(f"canonical JSON cannot hold a {kind.__name__}")


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def new_nonce() -> str:
    """128 random bits, hex: what makes a commitment to a guessable value unguessable."""
    return secrets.token_hex(16)


def commitment(values: Mapping[str, object], nonce: str) -> str:
    """The commitment to personal ``values``: SHA-256 of canonical ``{"nonce", "values"}``.
    Without the nonce (purged with the values) no guess of a phone number or IP can be
    checked against it."""
    return sha256_hex(canonical({"nonce": nonce, "values": dict(values)}))


def stamp(moment: datetime) -> str:
    """An entry's time as hashed: ISO 8601 UTC with milliseconds, ``2026-11-27T10:15:00.123Z``
    (``moment`` must have whole milliseconds: see :func:`now_ms`)."""
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def now_ms(moment: datetime | None = None) -> datetime:
    """``moment`` (default: now) in UTC, cut to whole milliseconds, as entries store it."""
    moment = (moment or datetime.now(UTC)).astimezone(UTC)
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


@dataclass(frozen=True, slots=True)
class Draft:
    """An event to append: its kind, when, its facts (no personal values) and, if it has
    personal values, their commitment."""

    kind: EntryKind
    at: datetime
    facts: Mapping[str, object]
    commitment: str | None = None


@dataclass(frozen=True, slots=True)
class Entry:
    """One appended event of a lead's chain. ``seq`` only places it in storage: the chain's
    order is its ``prev_hash`` links."""

    lead_id: str
    seq: int
    kind: str
    at: datetime
    facts: Mapping[str, object]
    commitment: str | None
    prev_hash: str
    entry_hash: str

    def computed_hash(self) -> str:
        """The hash this entry's content gives, whatever is stored in ``entry_hash``."""
        return entry_hash(
            self.lead_id, self.kind, self.at, self.facts, self.commitment, self.prev_hash
        )

    @property
    def day(self) -> date:
        return self.at.astimezone(UTC).date()


def entry_hash(
    lead_id: str,
    kind: str,
    at: datetime,
    facts: Mapping[str, object],
    commitment: str | None,
    prev_hash: str,
) -> str:
    """SHA-256 of the canonical entry: ``format``, ``lead_id``, ``kind``, ``at``, ``facts``,
    ``commitment`` (null when none) and ``prev_hash``."""
    body = {
        "format": FORMAT,
        "lead_id": lead_id,
        "kind": kind,
        "at": stamp(at),
        "facts": dict(facts),
        "commitment": commitment,
        "prev_hash": prev_hash,
    }
    return sha256_hex(canonical(body))


def append(lead_id: str, head: tuple[int, str] | None, drafts: Sequence[Draft]) -> list[Entry]:
    """The entries of ``drafts`` appended after ``head`` (the lead's last entry's seq and hash;
    None for a lead with no entries yet)."""
    seq, prev = (-1, GENESIS) if head is None else head
    entries = []
    for draft in drafts:
        seq += 1
        at = now_ms(draft.at)
        digest = entry_hash(lead_id, draft.kind.value, at, draft.facts, draft.commitment, prev)
        entries.append(
            Entry(lead_id, seq, draft.kind.value, at, draft.facts, draft.commitment, prev, digest)
        )
        prev = digest
    return entries


# --- verification ------------------------------------------------------------------------


class Tamper(StrEnum):
    EDITED = "edited"
    DELETED = "deleted"
    REORDERED = "reordered"
    INSERTED = "inserted"
    MISMATCH = "mismatch"  # the ledger and the records it attests disagree
    ROOT = "root mismatch"


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing ``consent verify`` found: which lead and entry, or which day, and how."""

    tamper: Tamper
    detail: str
    lead_id: str | None = None
    seq: int | None = None
    day: date | None = None

    def __str__(self) -> str:
        where = []
        if self.day is not None:
            where.append(f"day {self.day.isoformat()}")
        if self.lead_id is not None:
            where.append(f"lead {self.lead_id}")
        if self.seq is not None:
            where.append(f"entry {self.seq}")
        return f"{', '.join(where)}: {self.tamper.value}: {self.detail}"


def verify_chain(lead_id: str, entries: Sequence[Entry]) -> list[Problem]:
    """What is wrong with one lead's chain (``entries`` as stored, in any order): entries whose
    content no longer gives their hash (edited), gaps in the sequence (deleted), links to an
    entry stored elsewhere in the chain (reordered), entries nothing links to that the chain
    steps over (inserted), and links to nothing in the chain (an entry rewritten or gone)."""
    ordered = sorted(entries, key=lambda e: e.seq)
    position = {e.entry_hash: e.seq for e in ordered}
    linked_from = {e.prev_hash for e in ordered}
    found: dict[tuple[Tamper, int], str] = {}

    def problem(tamper: Tamper, seq: int, detail: str) -> None:
        found.setdefault((tamper, seq), detail)

    expected_seq, expected_prev = 0, GENESIS
    for index, entry in enumerate(ordered):
        gap = entry.seq != expected_seq
        if gap:
            missing = "it is missing from the chain"
            if entry.seq > expected_seq + 1:
                missing = f"entries {expected_seq} to {entry.seq - 1} are missing from the chain"
            problem(Tamper.DELETED, expected_seq, missing)
        if entry.lead_id != lead_id:
            problem(Tamper.EDITED, entry.seq, f"it names lead {entry.lead_id}")
        if entry.computed_hash() != entry.entry_hash:
            problem(Tamper.EDITED, entry.seq, f"its content ({entry.kind}) does not give its hash")
        elif entry.prev_hash != expected_prev and not gap:
            _broken_link(ordered, index, position, linked_from, problem)
        expected_seq, expected_prev = entry.seq + 1, entry.entry_hash
    return [
        Problem(tamper, detail, lead_id, seq)
        for (tamper, seq), detail in sorted(found.items(), key=lambda item: item[0][1])
    ]


def _broken_link(
    ordered: Sequence[Entry],
    index: int,
    position: Mapping[str, int],
    linked_from: set[str],
    problem: Callable[[Tamper, int, str], None],
) -> None:
    """Name what broke the link of ``ordered[index]`` to the entry stored before it."""
    entry = ordered[index]
    before = ordered[index - 1] if index else None
    linked = position.get(entry.prev_hash)
    dead_end = before is not None and before.entry_hash not in linked_from
    if dead_end and before is not None and entry.prev_hash == before.prev_hash:
        problem(Tamper.INSERTED, before.seq, "nothing follows it: the chain steps over it")
    elif entry.prev_hash == GENESIS or (linked is not None and linked > entry.seq):
        what = "the chain's first entry" if linked is None else f"entry {linked}"
        problem(Tamper.REORDERED, entry.seq, f"it follows {what}, stored after it")
    elif linked is not None and before is not None:
        if dead_end:
            problem(Tamper.INSERTED, before.seq, "nothing follows it: the chain steps over it")
        else:
            problem(
                Tamper.REORDERED, entry.seq, f"it follows entry {linked}, not entry {before.seq}"
            )
    else:
        after = ordered[index + 1] if index + 1 < len(ordered) else None
        start = before.entry_hash if before is not None else GENESIS
        if entry.entry_hash not in linked_from and after is not None and after.prev_hash == start:
            problem(Tamper.INSERTED, entry.seq, "it links to nothing and the chain steps over it")
        else:
            problem(
                Tamper.EDITED,
                entry.seq,
                "the entry it follows is not in the chain "
                "(rewritten, or deleted and the rest renumbered)",
            )


# --- daily roots ---------------------------------------------------------------------------


def _leaf(entry_hash_hex: str) -> bytes:
    return hashlib.sha256(b"\x00" + bytes.fromhex(entry_hash_hex)).digest()


def _node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two below ``n`` (n > 1)."""
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def _tree(leaves: Sequence[bytes]) -> bytes:
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    k = _split(len(leaves))
    return _node(_tree(leaves[:k]), _tree(leaves[k:]))


def day_leaves(entry_hashes: Sequence[str]) -> list[str]:
    """A day's entry hashes in the order its tree takes them: ascending, so every node computes
    the same root whatever order the entries were written in."""
    return sorted(entry_hashes)


def merkle_root(entry_hashes: Sequence[str]) -> str:
    """RFC 6962 Merkle Tree Hash over the day's entry hashes (leaf: SHA-256(0x00 || hash);
    node: SHA-256(0x01 || left || right)), hex."""
    return _tree([_leaf(h) for h in day_leaves(entry_hashes)]).hex()


def inclusion_path(entry_hashes: Sequence[str], target: str) -> tuple[int, list[str]]:
    """The target's index among the day's sorted hashes and its RFC 6962 audit path."""
    leaves = day_leaves(entry_hashes)
    index = leaves.index(target)
    path: list[bytes] = []
    nodes = [_leaf(h) for h in leaves]
    m = index
    while len(nodes) > 1:
        k = _split(len(nodes))
        if m < k:
            path.append(_tree(nodes[k:]))
            nodes = nodes[:k]
        else:
            path.append(_tree(nodes[:k]))
            nodes, m = nodes[k:], m - k
    return index, [p.hex() for p in reversed(path)]


def included(target: str, index: int, size: int, path: Sequence[str], root: str) -> bool:
    """Whether ``path`` proves ``target`` is leaf ``index`` of a tree of ``size`` with ``root``
    (RFC 9162, section 2.1.3.2)."""
    if not 0 <= index < size:
        return False
    fn, sn, r = index, size - 1, _leaf(target)
    for step in path:
        p = bytes.fromhex(step)
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = _node(p, r)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = _node(r, p)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and r.hex() == root


@dataclass(frozen=True, slots=True)
class DayRoot:
    """A sealed day: how many entries were appended on it, their Merkle root, and the root of
    the previous sealed day it commits to; ``root`` hashes all of it."""

    day: date
    entries: int
    merkle_root: str
    prev_root: str
    root: str

    def computed_root(self) -> str:
        return day_root_hash(self.day, self.entries, self.merkle_root, self.prev_root)

    def as_json(self) -> dict[str, object]:
        return {
            "format": FORMAT,
            "day": self.day.isoformat(),
            "entries": self.entries,
            "merkle_root": self.merkle_root,
            "prev_root": self.prev_root,
            "root": self.root,
        }


def day_root_hash(day: date, entries: int, merkle: str, prev_root: str) -> str:
    """SHA-256 of canonical ``{"format", "day", "entries", "merkle_root", "prev_root"}``."""
    body = {
        "format": FORMAT,
        "day": day.isoformat(),
        "entries": entries,
        "merkle_root": merkle,
        "prev_root": prev_root,
    }
    return sha256_hex(canonical(body))


def seal_day(day: date, entry_hashes: Sequence[str], prev_root: str) -> DayRoot:
    merkle = merkle_root(entry_hashes)
    count = len(entry_hashes)
    return DayRoot(day, count, merkle, prev_root, day_root_hash(day, count, merkle, prev_root))


def sealable_through(now: datetime) -> date:
    """The last day whose root may be computed at ``now``: closed, and past the grace."""
    return (now.astimezone(UTC) - SEAL_GRACE).date() - timedelta(days=1)


def verify_day(stored: DayRoot, prev_root: str, entry_hashes: Sequence[str]) -> list[Problem]:
    """A sealed day against the entries now stored for it and the previous day's root."""
    problems = []
    if stored.computed_root() != stored.root:
        problems.append(Problem(Tamper.ROOT, "its root record was edited", day=stored.day))
    if stored.prev_root != prev_root:
        problems.append(
            Problem(Tamper.ROOT, "it does not follow the previous sealed day", day=stored.day)
        )
    recomputed = merkle_root(entry_hashes)
    if recomputed != stored.merkle_root or len(entry_hashes) != stored.entries:
        problems.append(
            Problem(
                Tamper.ROOT,
                f"its entries no longer give its root (sealed with {stored.entries}, "
                f"{len(entry_hashes)} now): entries of that day were edited, deleted or added",
                day=stored.day,
            )
        )
    return problems


def verify_escrowed(stored: Sequence[DayRoot], escrowed: Sequence[DayRoot]) -> list[Problem]:
    """Stored roots against copies published or escrowed earlier: each copy must still be
    stored as it was (the stored roots are checked against their entries separately)."""
    by_day = {root.day: root for root in stored}
    problems = []
    for copy in escrowed:
        found = by_day.get(copy.day)
        if found is None:
            problems.append(
                Problem(Tamper.ROOT, "its root is gone (the copy has it)", day=copy.day)
            )
        elif found != copy:
            problems.append(Problem(Tamper.ROOT, "its root differs from the copy", day=copy.day))
    return problems


def root_from_json(line: Mapping[str, object]) -> DayRoot:
    """A root as ``as_json`` writes it (ValueError if it is not one)."""
    try:
        return DayRoot(
            day=date.fromisoformat(str(line["day"])),
            entries=int(str(line["entries"])),
            merkle_root=str(line["merkle_root"]),
            prev_root=str(line["prev_root"]),
            root=str(line["root"]),
        )
    except (KeyError, ValueError) as error:
        raise ValueError(f"not a day root: {error}") from None


def day_of(moment: datetime) -> date:
    return moment.astimezone(UTC).date()


def day_start(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


# --- what the ledger attests ---------------------------------------------------------------


def shown_bid(bid: Mapping[str, object], priced: bool = True) -> dict[str, object]:
    """A bid of a consent record as entries hold it: ids, entity and price in cents."""
    facts: dict[str, object] = {
        "bid_id": str(bid.get("bid_id", "")),
        "buyer_id": str(bid.get("buyer_id", "")),
        "tcpa_entity_name": str(bid.get("tcpa_entity_name", "")),
    }
    if priced:
        facts["price_cents"] = to_cents(str(bid.get("bid_price", 0)))
    return facts


def claim_drafts(consent: ConsentRecord, at: datetime, nonce: str) -> list[Draft]:
    """What a claimed lead appends: the bids it was shown, then its pick with the commitment
    to its evidence."""
    return [
        Draft(EntryKind.BIDS_SHOWN, at, bids_shown_facts(consent)),
        Draft(
            EntryKind.PICK_RECORDED,
            at,
            pick_facts(consent),
            commitment(consent.evidence, nonce),
        ),
    ]


def bids_shown_facts(consent: ConsentRecord) -> dict[str, object]:
    return {"ping_id": consent.ping_id, "bids": [shown_bid(b) for b in consent.bids_shown]}


def pick_facts(consent: ConsentRecord) -> dict[str, object]:
    """The consumer's picks in order; with ``first_party`` when Pickpost recorded the pick
    itself (its widget or page): source, when, hashes of the disclosure and of what was
    rendered, and the bid ids shown and picked in order."""
    facts: dict[str, object] = {
        "consented_at": stamp(now_ms(datetime.fromtimestamp(consent.consented_at, UTC))),
        "picked": [shown_bid(b, priced=False) for b in consent.bids_picked],
    }
    if consent.pick is not None:
        facts["first_party"] = dict(consent.pick)
    return facts


def delivered_draft(sale_id: int, buyer_id: str, bid_id: str, at: datetime) -> Draft:
    """The consent delivered to a buyer with a sale it confirmed."""
    facts = {"sale_id": sale_id, "buyer_id": buyer_id, "bid_id": bid_id}
    return Draft(EntryKind.CONSENT_DELIVERED, at, facts)


@dataclass(frozen=True, slots=True)
class Attested:
    """The records a lead's chain attests, as the ledger tables have them now."""

    consent: ConsentRecord | None
    sold: Mapping[int, tuple[str, str]]  # sale id: (buyer id, bid id) of its sold sales
    # The evidence in clear with the pick's nonce, when both are still there (not purged).
    opening: tuple[Mapping[str, object], str] | None = None
    # sale id: (buyer id, bid id, delivered) of the revocation outbox's rows, after a withdrawal
    revoked: Mapping[int, tuple[str, str, bool]] = field(default_factory=dict)


def verify_attested(lead_id: str, records: Attested, entries: Sequence[Entry]) -> list[Problem]:
    """Whether the chain and the records it attests agree: the consent record's bids shown,
    pick and (until purged) evidence, and one consent_delivered entry per sold sale."""
    problems = []

    def problem(detail: str, seq: int | None = None) -> None:
        problems.append(Problem(Tamper.MISMATCH, detail, lead_id, seq))

    by_kind: dict[str, list[Entry]] = {}
    for entry in sorted(entries, key=lambda e: e.seq):
        by_kind.setdefault(entry.kind, []).append(entry)
    consent = records.consent
    if consent is not None:
        for kind, facts in (
            (EntryKind.BIDS_SHOWN, bids_shown_facts(consent)),
            (EntryKind.PICK_RECORDED, pick_facts(consent)),
        ):
            found = by_kind.get(kind, [])
            if not found:
                problem(f"no {kind} entry for its consent record (deleted)")
            elif dict(found[0].facts) != facts:
                problem(f"the consent record differs from its {kind} entry", found[0].seq)
        picks = by_kind.get(EntryKind.PICK_RECORDED, [])
        if records.opening is not None and picks:
            evidence, nonce = records.opening
            if commitment(evidence, nonce) != picks[0].commitment:
                problem(
                    "the consent evidence differs from what the pick committed to", picks[0].seq
                )
    delivered = {}
    for entry in by_kind.get(EntryKind.CONSENT_DELIVERED, []):
        sale_id = entry.facts.get("sale_id")
        if isinstance(sale_id, int):
            delivered[sale_id] = (entry.facts.get("buyer_id"), entry.facts.get("bid_id"), entry)
    for sale_id, (buyer_id, bid_id) in sorted(records.sold.items()):
        found_entry = delivered.get(sale_id)
        if found_entry is None:
            problem(f"sale {sale_id} to {buyer_id} is sold but no consent_delivered entry has it")
        elif found_entry[:2] != (buyer_id, bid_id):
            problem(f"sale {sale_id} differs from its consent_delivered entry", found_entry[2].seq)
    for sale_id, (_, _, entry) in sorted(delivered.items()):
        if sale_id not in records.sold:
            problem(f"sale {sale_id} is not sold in the sales ledger", entry.seq)
    problems += _revocations_attested(lead_id, records, by_kind)
    return problems


def _revocations_attested(
    lead_id: str, records: Attested, by_kind: Mapping[str, Sequence[Entry]]
) -> list[Problem]:
    """The withdrawal's entries against the revocation outbox: one revocation_requested entry
    naming exactly the outbox's sales, and a revocation_delivered entry for each row marked
    delivered and for no other."""
    problems = []

    def problem(detail: str, seq: int | None = None) -> None:
        problems.append(Problem(Tamper.MISMATCH, detail, lead_id, seq))

    requested = by_kind.get(EntryKind.REVOCATION_REQUESTED, [])
    for extra in requested[1:]:
        problem("a second revocation_requested entry", extra.seq)
    if requested:
        sales = requested[0].facts.get("sales")
        listed = {
            int(str(s.get("sale_id"))): (s.get("buyer_id"), s.get("bid_id"))
            for s in (sales if isinstance(sales, list) else [])
            if isinstance(s, dict)
        }
        queued = {sale: (buyer, bid) for sale, (buyer, bid, _) in records.revoked.items()}
        if listed != queued:
            problem("the revocation outbox differs from its revocation_requested entry",
                    requested[0].seq)  # fmt: skip
    elif records.revoked:
        problem("revocations are queued but no revocation_requested entry has them")
    acknowledged = {}
    for entry in by_kind.get(EntryKind.REVOCATION_DELIVERED, []):
        acknowledged[entry.facts.get("sale_id")] = entry
    for sale_id, (buyer_id, _, delivered) in sorted(records.revoked.items()):
        if delivered and sale_id not in acknowledged:
            problem(f"the revocation of sale {sale_id} to {buyer_id} is marked delivered but "
                    "no revocation_delivered entry has it")  # fmt: skip
    for named, entry in acknowledged.items():
        row = records.revoked.get(named) if isinstance(named, int) else None
        if row is None or not row[2]:
            problem(f"sale {named} has a revocation_delivered entry but its revocation is not "
                    "marked delivered", entry.seq)  # fmt: skip
    return problems
