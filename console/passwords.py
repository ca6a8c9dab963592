"""Password hashing with Argon2id (argon2-cffi's recommended parameters)."""

from __future__ import annotations

from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_LENGTH = 12
MAX_LENGTH = 128


@lru_cache
def _hasher() -> PasswordHasher:
    return PasswordHasher()


def check_strength(password: str) -> None:
    """Raise ``ValueError`` unless the password has 12 to 128 characters."""
    if not MIN_LENGTH <= len(password) <= MAX_LENGTH:
        raise ValueError(f"a password needs {MIN_LENGTH} to {MAX_LENGTH} characters")


def hash_password(password: str) -> str:
    """An Argon2id hash of a password that passed :func:`check_strength`."""
    check_strength(password)
    return _hasher().hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    """Whether ``password`` matches; never raises for a wrong password or a bad hash."""
    try:
        return _hasher().verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


# A real hash to verify against when the username is unknown, so that the answer takes
# the same time whether or not the account exists.
@lru_cache
def dummy_hash() -> str:
    return _hasher().hash("not-a-real-password-0000")
