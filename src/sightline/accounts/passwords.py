"""Password hashing: argon2id with argon2-cffi's defaults (RFC 9106's second profile).

The PHC string stores the salt and the cost parameters, so hashes made with older
parameters still verify, and :func:`needs_rehash` says when to store a fresh one.
"""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from sightline.errors import InvalidParameterError

MIN_LENGTH = 8
# Hashing costs the same whatever the length; the cap only bounds the request body.
MAX_LENGTH = 1024

_hasher = PasswordHasher()
# Verified when the user does not exist, so a wrong name costs as long as a wrong
# password and sign-in timing does not reveal which names exist.
_DUMMY = _hasher.hash("sightline-no-such-user")


def check_password(password: str) -> str:
    """``password`` if acceptable as a new password.

    Raises:
        InvalidParameterError: shorter than 8 or longer than 1024 characters.
    """
    if len(password) < MIN_LENGTH:
        raise InvalidParameterError(f"The password needs at least {MIN_LENGTH} characters.")
    if len(password) > MAX_LENGTH:
        raise InvalidParameterError(f"The password may have at most {MAX_LENGTH} characters.")
    return password


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored: str | None, password: str) -> bool:
    """Whether ``password`` matches the ``stored`` hash (None: no such user)."""
    if len(password) > MAX_LENGTH:
        return False
    try:
        return _hasher.verify(stored or _DUMMY, password) and stored is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    return _hasher.check_needs_rehash(stored)
