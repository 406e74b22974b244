"""Password hashing with argon2id (argon2-cffi's defaults follow RFC 9106's recommendation)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from kizashi.domain.refusals import Refused

_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    if len(password) < 8:
        raise Refused(
            "パスワードは8文字以上にしてください", "A password needs at least 8 characters."
        )
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
