"""Staff accounts: argon2 password hashes, lockout after repeated failures, API tokens."""

import hashlib
import secrets
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import VerificationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.models import Site, StaffUser, utcnow
from bot.vocabulary import Role

MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)
_hasher = PasswordHasher()
# Verified against when the email is unknown, so a login takes as long either way.
_DUMMY_HASH = _hasher.hash("not a password")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except VerificationError:
        return False


def authenticate(db: Session, email: str, password: str) -> StaffUser | None:
    """The account if the password is right and the account neither disabled nor locked; counts failures."""
    user = db.scalar(select(StaffUser).where(func.lower(StaffUser.email) == email.strip().lower()))
    if user is None:
        verify_password(_DUMMY_HASH, password)
        return None
    now = utcnow()
    if not user.active or (user.locked_until and user.locked_until > now):
        return None
    if not verify_password(user.password_hash, password):
        user.failed_logins += 1
        if user.failed_logins >= MAX_FAILED_LOGINS:
            user.locked_until, user.failed_logins = now + LOCKOUT, 0
        return None
    user.failed_logins, user.locked_until = 0, None
    return user


def create_user(db: Session, email: str, role: str, password: str, site_slugs: list[str] = ()) -> StaffUser:
    if role not in set(Role):
        raise ValueError(f"role must be one of {', '.join(Role)}")
    sites = list(db.scalars(select(Site).where(Site.slug.in_(site_slugs)))) if site_slugs else []
    if len(sites) != len(set(site_slugs)):
        raise ValueError(f"unknown site among {', '.join(site_slugs)}")
    user = StaffUser(email=email.strip().lower(), role=role, password_hash=hash_password(password), sites=sites)
    db.add(user)
    db.flush()
    return user


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_api_token(user: StaffUser) -> str:
    """A new token for /api/v1, shown once; it replaces the previous one."""
    token = f"baro_{secrets.token_urlsafe(32)}"
    user.api_token_hash = token_hash(token)
    return token


def user_for_token(db: Session, token: str) -> StaffUser | None:
    user = db.scalar(select(StaffUser).where(StaffUser.api_token_hash == token_hash(token)))
    return user if user is not None and user.active else None
