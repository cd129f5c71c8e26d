"""Password hashing: argon2id (argon2-cffi), with the library's current parameters.

A hash made with older parameters still verifies; ``needs_rehash`` tells sign-in to store a
fresh hash, so raising the cost upgrades every password at its owner's next sign-in.
"""

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_HASHER = PasswordHasher()


class Argon2Passwords:
    """The password hasher of the people port: argon2id, RFC 9106's low-memory profile."""

    def __init__(self, hasher: PasswordHasher = _HASHER) -> None:
        self._hasher = hasher

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, stored: str, password: str) -> bool:
        try:
            return self._hasher.verify(stored, password)
        except (VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, stored: str) -> bool:
        return self._hasher.check_needs_rehash(stored)
