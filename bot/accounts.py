"""Staff accounts: argon2 password hashes."""

from argon2 import PasswordHasher
from argon2.exceptions import VerificationError

ROLES = ("admin", "triage", "protection", "organizer")
_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except VerificationError:
        return False
