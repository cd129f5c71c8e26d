"""People's use cases over memory fakes: sign-in and its throttling, sessions and tokens
refused once revoked, disabled or signed out, changes audited; and who may do what."""

import asyncio

import pytest

from pickpost.api.admin import shown_to
from pickpost.api.auth import Need, allows
from pickpost.domain.people import BOOTSTRAP_OWNER, PeopleError, Principal, Role
from pickpost.infra.counters import MemoryCounters
from pickpost.services.people import SIGN_IN_LIMITS, People, SignedIn, SignInRefused, parse_token
from tests.unit.fakes import FakeClock, MemoryAuditLog, MemoryPeople, PlainPasswords, fake_people

PASSWORD = "correct horse battery"


def _people() -> tuple[People, MemoryAuditLog, FakeClock]:
    audit, clock = MemoryAuditLog(), FakeClock(1_800_000_000.0)
    people = fake_people(audit, clock)
    asyncio.run(people.add("cli", "ana", PASSWORD, Role.OWNER))
    return people, audit, clock


def _sign_in(people: People, password: str, name: str = "ana", addr: str = "10.0.0.1") -> object:
    return asyncio.run(people.sign_in(name, password, addr))


def test_the_right_password_signs_in_and_a_wrong_one_does_not() -> None:
    people, audit, _ = _people()
    assert _sign_in(people, "wrong password!") == SignInRefused(throttled=False)
    signed = _sign_in(people, PASSWORD)
    assert isinstance(signed, SignedIn)
    assert signed.user.name == "ana"
    assert _sign_in(people, PASSWORD, name="nobody") == SignInRefused(throttled=False)
    assert audit.actions()[-3:] == ["sign_in_failed", "sign_in", "sign_in_failed"]


def test_five_failures_per_name_throttle_even_the_right_password_for_the_window() -> None:
    people, audit, clock = _people()
    for n in range(SIGN_IN_LIMITS.per_name.failures):
        assert _sign_in(people, f"wrong {n}", addr=f"10.0.0.{n}") == SignInRefused(False)
    assert _sign_in(people, PASSWORD, addr="10.9.9.9") == SignInRefused(throttled=True)
    assert audit.actions()[-1] == "sign_in_throttled"
    clock.advance(SIGN_IN_LIMITS.per_name.window_s + 1)
    assert isinstance(_sign_in(people, PASSWORD), SignedIn)


def test_a_success_clears_the_names_failures() -> None:
    people, _, _ = _people()
    for _ in range(SIGN_IN_LIMITS.per_name.failures - 1):
        _sign_in(people, "wrong")
    assert isinstance(_sign_in(people, PASSWORD), SignedIn)
    for _ in range(SIGN_IN_LIMITS.per_name.failures - 1):
        _sign_in(people, "wrong")
    assert isinstance(_sign_in(people, PASSWORD), SignedIn)


def test_one_address_trying_many_names_is_throttled() -> None:
    people, _, _ = _people()
    for n in range(SIGN_IN_LIMITS.per_address.failures):
        _sign_in(people, "wrong", name=f"guess{n}", addr="10.6.6.6")
    assert _sign_in(people, PASSWORD, addr="10.6.6.6") == SignInRefused(throttled=True)
    assert isinstance(_sign_in(people, PASSWORD, addr="10.0.0.2"), SignedIn)


def test_a_hash_of_older_parameters_is_replaced_at_sign_in() -> None:
    store = MemoryPeople()
    old, audit, clock = PlainPasswords(1), MemoryAuditLog(), FakeClock(0.0)
    asyncio.run(People(store, old, audit, MemoryCounters(), clock).add("cli", "ana", PASSWORD,
                                                                       Role.ADMIN))  # fmt: skip
    newer = People(store, PlainPasswords(2), audit, MemoryCounters(), clock)
    assert store.hashes[1].startswith("v1:")
    assert isinstance(_sign_in(newer, PASSWORD), SignedIn)
    assert store.hashes[1] == f"v2:{PASSWORD}"


def test_a_disabled_user_cannot_sign_in_nor_keep_a_session_or_token() -> None:
    people, audit, _ = _people()
    user = asyncio.run(people.user("ana"))
    _, token = asyncio.run(people.create_token("cli", "ana", "ci"))
    assert asyncio.run(people.token_user(token)) is not None
    asyncio.run(people.disable("cli", "ana"))
    assert _sign_in(people, PASSWORD) == SignInRefused(throttled=False)
    assert asyncio.run(people.session_user(user.id, user.session_epoch)) is None
    assert asyncio.run(people.token_user(token)) is None
    assert "user_disable" in audit.actions()


def test_signing_out_everywhere_ends_sessions_of_the_old_epoch() -> None:
    people, audit, _ = _people()
    user = asyncio.run(people.user("ana"))
    assert asyncio.run(people.session_user(user.id, 0)) is not None
    asyncio.run(people.sign_out_everywhere("ana", "ana"))
    assert asyncio.run(people.session_user(user.id, 0)) is None
    assert asyncio.run(people.session_user(user.id, 1)) is not None
    assert audit.entries[-1].before == {"session_epoch": 0}


def test_a_token_works_until_revoked_and_only_whole() -> None:
    people, audit, _ = _people()
    token_id, token = asyncio.run(people.create_token("cli", "ana", "ci"))
    assert token.startswith(f"pp_{token_id}_")
    assert parse_token(token) is not None
    assert asyncio.run(people.token_user(token[:-1] + "x")) is None
    assert asyncio.run(people.token_user(f"pp_{token_id}_")) is None
    assert asyncio.run(people.token_user("nonsense")) is None
    assert asyncio.run(people.token_user(token)) is not None
    asyncio.run(people.revoke_token("cli", token_id))
    assert asyncio.run(people.token_user(token)) is None
    with pytest.raises(PeopleError, match="revoked already"):
        asyncio.run(people.revoke_token("cli", token_id))
    assert [a for a in audit.actions() if a.startswith("token")] == ["token_create", "token_revoke"]
    assert all(token not in repr(e) for e in audit.entries)  # the secret is never recorded


def test_a_user_revokes_only_their_own_tokens_from_the_account_page() -> None:
    people, _, _ = _people()
    asyncio.run(people.add("cli", "bo", PASSWORD, Role.ANALYST))
    token_id, _ = asyncio.run(people.create_token("cli", "ana", ""))
    bo = asyncio.run(people.user("bo")).principal()
    with pytest.raises(PeopleError, match=f"no token {token_id}"):
        asyncio.run(people.revoke_token("bo", token_id, owner=bo))


@pytest.mark.parametrize(
    ("role", "scope", "message"),
    [
        (Role.SUPPLIER, None, "needs a scope"),
        (Role.BUYER, "", "needs a scope"),
        (Role.ANALYST, "7", "takes no scope"),
    ],
)
def test_scoped_roles_need_a_scope_and_others_refuse_one(
    role: Role, scope: str | None, message: str
) -> None:
    people, _, _ = _people()
    with pytest.raises(PeopleError, match=message):
        asyncio.run(people.add("cli", "x", PASSWORD, role, scope))


def test_changes_are_checked_and_audited_before_and_after() -> None:
    people, audit, _ = _people()
    with pytest.raises(PeopleError, match="unknown time zone"):
        asyncio.run(people.change("cli", "ana", time_zone="Mars/Olympus"))
    with pytest.raises(PeopleError, match="at least 12"):
        asyncio.run(people.add("cli", "short", "short", Role.ADMIN))
    with pytest.raises(PeopleError, match="already"):
        asyncio.run(people.add("cli", "ana", PASSWORD, Role.ADMIN))
    changed = asyncio.run(people.change("cli", "ana", role=Role.SUPPLIER, scope_id="7",
                                        time_zone="America/Chicago"))  # fmt: skip
    assert (changed.role, changed.scope_id, changed.time_zone) == (
        Role.SUPPLIER, "7", "America/Chicago",
    )  # fmt: skip
    last = audit.entries[-1]
    assert (last.action, last.before, last.after) == (
        "user_change",
        {"role": "owner", "scope_id": None, "time_zone": "UTC", "disabled": False},
        {"role": "supplier", "scope_id": "7", "time_zone": "America/Chicago", "disabled": False},
    )
    # A new role does not inherit the old role's scope.
    with pytest.raises(PeopleError, match="needs a scope"):
        asyncio.run(people.change("cli", "ana", role=Role.BUYER))


def test_what_each_role_may_do() -> None:
    def principal(role: Role, scope: str | None = None) -> Principal:
        return Principal("p", role, scope)

    table = {
        Role.OWNER: {Need.READ, Need.READ_ALL, Need.OPERATE, Need.MANAGE_PEOPLE},
        Role.ADMIN: {Need.READ, Need.READ_ALL, Need.OPERATE},
        Role.ANALYST: {Need.READ, Need.READ_ALL},
        Role.SUPPLIER: {Need.READ},
        Role.BUYER: {Need.READ},
    }
    for role, needs in table.items():
        assert {n for n in Need if allows(principal(role, "7"), n)} == needs, role
    assert allows(BOOTSTRAP_OWNER, Need.MANAGE_PEOPLE)


def test_a_scoped_principal_sees_only_its_own_lead_and_a_buyer_only_its_own_part() -> None:
    lead: dict[str, object] = {
        "lead_id": "l_1",
        "supplier_id": "7",
        "fields": {"phone": "5125550142"},
        "sales": [{"buyer_id": "alpha"}, {"buyer_id": "beta"}],
        "timeline": [{"buyer_id": "alpha"}, {"buyer_id": "beta"}],
        "requests": [{"request_id": "r_1"}],
    }
    assert shown_to(Principal("a", Role.ANALYST), lead) is lead
    assert shown_to(Principal("s", Role.SUPPLIER, "7"), lead) is lead
    assert shown_to(Principal("s", Role.SUPPLIER, "8"), lead) is None
    assert shown_to(Principal("b", Role.BUYER, "gamma"), lead) is None
    alpha = shown_to(Principal("b", Role.BUYER, "alpha"), lead)
    assert alpha is not None
    assert alpha["sales"] == [{"buyer_id": "alpha"}]
    assert alpha["timeline"] == [{"buyer_id": "alpha"}]
    assert alpha["requests"] == []
