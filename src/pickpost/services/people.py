"""People: sign-in with throttling, users and their API tokens, every change audited.

Throttling counts failed sign-ins in the shared counters (SQL or Redis), so every node sees
the same counts: ``SIGN_IN_LIMITS`` failures per user name and per remote address in a
window that starts at the first failure. A throttled attempt is refused before the password
is checked; a successful sign-in clears its name's count (not its address's).
"""

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pickpost.domain.audit import AuditEntry
from pickpost.domain.caps import Charge
from pickpost.domain.people import ApiToken, PeopleError, Principal, Role, User, check_scope
from pickpost.services.ports import AuditLog, Clock, CounterStore, Passwords, PeopleStore

CLI = "cli"
TOKEN_PREFIX = "pp"
MIN_PASSWORD = 12


@dataclass(frozen=True, slots=True)
class Limit:
    failures: int
    window_s: int


@dataclass(frozen=True, slots=True)
class SignInLimits:
    per_name: Limit = Limit(5, 15 * 60)
    per_address: Limit = Limit(30, 15 * 60)


SIGN_IN_LIMITS = SignInLimits()


@dataclass(frozen=True, slots=True)
class SessionPolicy:
    """How console sessions are signed and how long they live."""

    key: bytes  # the shared signing key (site_secrets "session_key")
    idle_s: float  # a session unused this long is over
    absolute_s: float  # and any session this old


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def throttle_charges(name: str, remote_addr: str | None, limits: SignInLimits) -> list[Charge]:
    """One failed sign-in, counted against the name (case-folded) and the address."""
    charges = [
        Charge(
            f"signin:name:{_digest(name.casefold())[:32]}",
            limits.per_name.failures,
            1,
            limits.per_name.window_s,
        )
    ]
    if remote_addr:
        charges.append(
            Charge(
                f"signin:addr:{_digest(remote_addr)[:32]}",
                limits.per_address.failures,
                1,
                limits.per_address.window_s,
            )
        )
    return charges


def check_time_zone(time_zone: str) -> str:
    try:
        ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise PeopleError(
            f"unknown time zone {time_zone!r}: use Area/City, e.g. Europe/Paris"
        ) from None
    return time_zone


def check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise PeopleError(f"a password needs at least {MIN_PASSWORD} characters")
    return password


def parse_token(token: str) -> tuple[str, str] | None:
    """``pp_<id>_<secret>`` as (id, secret), or None when it is not of that form."""
    prefix, _, rest = token.partition("_")
    token_id, _, secret = rest.partition("_")
    if prefix != TOKEN_PREFIX or not token_id or not secret or len(token_id) > 24:
        return None
    return token_id, secret


@dataclass(frozen=True, slots=True)
class SignedIn:
    user: User


@dataclass(frozen=True, slots=True)
class SignInRefused:
    throttled: bool  # too many failures: refused without checking the password


def _profile(user: User) -> dict[str, object]:
    return {
        "role": user.role.value,
        "scope_id": user.scope_id,
        "time_zone": user.time_zone,
        "disabled": user.disabled,
    }


class People:
    """The use cases of people: who signs in, who exists, which tokens act for whom."""

    def __init__(
        self,
        store: PeopleStore,
        passwords: Passwords,
        audit: AuditLog,
        counters: CounterStore,
        clock: Clock,
        limits: SignInLimits = SIGN_IN_LIMITS,
    ) -> None:
        self._store = store
        self._passwords = passwords
        self._audit = audit
        self._counters = counters
        self._clock = clock
        self._limits = limits
        self._dummy: str | None = None

    def _dummy_hash(self) -> str:
        """A hash to check against when the name is unknown, made on first need."""
        if self._dummy is None:
            self._dummy = self._passwords.hash(secrets.token_urlsafe(16))
        return self._dummy

    async def _record(
        self,
        actor: str,
        action: str,
        target: str,
        before: dict[str, object] | None = None,
        after: dict[str, object] | None = None,
        remote_addr: str | None = None,
    ) -> None:
        entry = AuditEntry(actor, action, target, self._clock.now(), before, after, remote_addr)
        await self._audit.record(entry)

    def now(self) -> float:
        return self._clock.now()

    # Sign-in and credentials.

    async def sign_in(
        self, name: str, password: str, remote_addr: str | None
    ) -> SignedIn | SignInRefused:
        charges = throttle_charges(name, remote_addr, self._limits)
        if await self._counters.exceeded(charges) is not None:
            await self._record(name, "sign_in_throttled", f"user {name}", remote_addr=remote_addr)
            return SignInRefused(throttled=True)
        user = await self._store.user_by_name(name)
        stored = None if user is None else await self._store.password_hash(user.id)
        if user is None or stored is None:
            # As slow as a wrong password, so timing does not tell which names exist.
            self._passwords.verify(self._dummy_hash(), password)
        if user is None or stored is None or not self._passwords.verify(stored, password):
            await self._counters.charge(charges)
            await self._record(name, "sign_in_failed", f"user {name}", remote_addr=remote_addr)
            return SignInRefused(throttled=False)
        if user.disabled:
            await self._record(name, "sign_in_failed", f"user {name}", remote_addr=remote_addr)
            return SignInRefused(throttled=False)
        if self._passwords.needs_rehash(stored):
            await self._store.update_user(user.id, password_hash=self._passwords.hash(password))
        await self._counters.forget(charges[0].key)
        await self._record(name, "sign_in", f"user {name}", remote_addr=remote_addr)
        return SignedIn(user)

    async def signed_out(self, name: str, remote_addr: str | None) -> None:
        await self._record(name, "sign_out", f"user {name}", remote_addr=remote_addr)

    async def session_user(self, user_id: int, epoch: int) -> User | None:
        """The user a session names, unless disabled or signed out everywhere since."""
        user = await self._store.user_by_id(user_id)
        if user is None or user.disabled or user.session_epoch != epoch:
            return None
        return user

    async def token_user(self, token: str) -> User | None:
        """The live user whose live API token this is."""
        parsed = parse_token(token)
        if parsed is None:
            return None
        token_id, secret = parsed
        stored = await self._store.token(token_id)
        if stored is None or stored.revoked_at is not None:
            return None
        if not hmac.compare_digest(stored.secret_hash, _digest(secret)):
            return None
        user = await self._store.user_by_id(stored.user_id)
        if user is None or user.disabled:
            return None
        now = self._clock.now()
        if stored.last_used_at is None or now - stored.last_used_at >= 60:
            await self._store.token_used(token_id, now)
        return user

    # Managing people: owners in the console, anyone with the database on the command line.

    async def user(self, name: str) -> User:
        found = await self._store.user_by_name(name)
        if found is None:
            raise PeopleError(f"no user {name}")
        return found

    async def users(self) -> list[User]:
        return await self._store.users()

    async def add(
        self,
        actor: str,
        name: str,
        password: str,
        role: Role,
        scope_id: str | None = None,
        time_zone: str = "UTC",
        remote_addr: str | None = None,
    ) -> User:
        name = name.strip()
        if not name or len(name) > 64:
            raise PeopleError("a user name has 1 to 64 characters")
        check_scope(role, scope_id)
        check_time_zone(time_zone)
        hashed = self._passwords.hash(check_password(password))
        user = await self._store.add_user(
            name, hashed, role, scope_id or None, time_zone, self._clock.now()
        )
        if user is None:
            raise PeopleError(f"there is a user {name} already")
        await self._record(actor, "user_add", f"user {name}", None, _profile(user), remote_addr)
        return user

    async def change(
        self,
        actor: str,
        name: str,
        *,
        role: Role | None = None,
        scope_id: str | None = None,
        time_zone: str | None = None,
        password: str | None = None,
        remote_addr: str | None = None,
    ) -> User:
        """Change what is given; a role without a scope drops the old scope."""
        user = await self.user(name)
        values: dict[str, object] = {}
        new_role = role or user.role
        if scope_id is not None:
            new_scope: str | None = scope_id or None
        else:  # a new role keeps no scope of the old one
            new_scope = user.scope_id if new_role is user.role else None
        if (new_role, new_scope) != (user.role, user.scope_id):
            check_scope(new_role, new_scope or None)
            values.update(role=new_role, scope_id=new_scope or None)
        if time_zone is not None and time_zone != user.time_zone:
            values["time_zone"] = check_time_zone(time_zone)
        if password is not None:
            values["password_hash"] = self._passwords.hash(check_password(password))
        if values:
            await self._store.update_user(user.id, **values)
        changed = await self.user(name)
        after = _profile(changed) | ({"password": "changed"} if password is not None else {})
        await self._record(actor, "user_change", f"user {name}", _profile(user), after, remote_addr)
        return changed

    async def change_own_password(
        self, principal: Principal, current: str, new: str, remote_addr: str | None = None
    ) -> None:
        user = await self.user(principal.name)
        stored = await self._store.password_hash(user.id)
        if stored is None or not self._passwords.verify(stored, current):
            raise PeopleError("the current password is not right")
        await self.change(principal.name, user.name, password=new, remote_addr=remote_addr)

    async def disable(self, actor: str, name: str, remote_addr: str | None = None) -> User:
        user = await self.user(name)
        if not user.disabled:
            await self._store.update_user(user.id, disabled_at=self._clock.now())
        changed = await self.user(name)
        await self._record(
            actor, "user_disable", f"user {name}", _profile(user), _profile(changed), remote_addr
        )
        return changed

    async def sign_out_everywhere(
        self, actor: str, name: str, remote_addr: str | None = None
    ) -> None:
        user = await self.user(name)
        await self._store.bump_epoch(user.id)
        after: dict[str, object] = {"session_epoch": user.session_epoch + 1}
        await self._record(
            actor,
            "user_sign_out",
            f"user {name}",
            {"session_epoch": user.session_epoch},
            after,
            remote_addr,
        )

    async def create_token(
        self, actor: str, name: str, label: str = "", remote_addr: str | None = None
    ) -> tuple[str, str]:
        """A new token for ``name``: (its id, the whole token, to be shown once)."""
        user = await self.user(name)
        if user.disabled:
            raise PeopleError(f"user {name} is disabled")
        label = label.strip()[:64] or "token"
        token_id, secret = secrets.token_hex(8), secrets.token_urlsafe(32)
        await self._store.add_token(token_id, user.id, label, _digest(secret), self._clock.now())
        await self._record(
            actor, "token_create", f"token {token_id} of user {name}", None, {"label": label},
            remote_addr,
        )  # fmt: skip
        return token_id, f"{TOKEN_PREFIX}_{token_id}_{secret}"

    async def tokens(self, name: str) -> list[ApiToken]:
        user = await self.user(name)
        return list(await self._store.tokens(user.id))

    async def revoke_token(
        self, actor: str, token_id: str, owner: Principal | None = None,
        remote_addr: str | None = None,
    ) -> None:  # fmt: skip
        """Revoke a token; with ``owner``, only one of that principal's own."""
        stored = await self._store.token(token_id)
        if stored is None or (owner is not None and stored.user_id != owner.user_id):
            raise PeopleError(f"no token {token_id}")
        if not await self._store.revoke_token(token_id, self._clock.now()):
            raise PeopleError(f"token {token_id} is revoked already")
        await self._record(
            actor, "token_revoke", f"token {token_id}", {"revoked": False}, {"revoked": True},
            remote_addr,
        )  # fmt: skip
