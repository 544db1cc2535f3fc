"""Staff accounts: their passwords (a policy, argon2 hashes), the lockout after repeated failures, logins kept
server-side, API tokens, and what an admin does to an account (disable, enable, reset a password, revoke a token).
"""

import hashlib
import secrets
import threading
from datetime import datetime, timedelta
from enum import StrEnum

from argon2 import PasswordHasher
from argon2.exceptions import VerificationError
from sqlalchemy import Update, case, delete, func, literal, null, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from bot.db import transaction
from bot.models import Site, StaffLogin, StaffUser, UTCDateTime, utcnow
from bot.vocabulary import Role

MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)
# A login ends this long after it started, however active: a cookie left on a shared computer expires.
LOGIN_LIFETIME = timedelta(hours=12)

MIN_PASSWORD_LENGTH = 12
# zxcvbn's score, from 0 to 4: 3 means over 10^8 guesses even for an attacker who tries common passwords,
# words, names, keyboard rows (azerty too), dates and repeats first, with their usual substitutions.
MIN_PASSWORD_SCORE = 3
# zxcvbn refuses longer input (its matching grows fast with length); a long password is judged by its start.
_SCORED_CHARACTERS = 72
# zxcvbn keeps the words of the current call in a module-level dictionary: one call at a time.
_zxcvbn_lock = threading.Lock()

_hasher = PasswordHasher()
# Verified against when no password may be checked (no such account, disabled, locked), with the same argon2
# parameters as real hashes: every refusal costs one verification, so its timing does not tell an email exists.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


def password_problem(password: str, email: str = "") -> str | None:
    """Why this password may not be used (for the account of `email`), or None if it may."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"a password needs at least {MIN_PASSWORD_LENGTH} characters"
    # zxcvbn: imported when used, not with the web process: 13 MB every gunicorn worker would
    # carry otherwise (bench/capacity.py).
    from zxcvbn import zxcvbn

    own_words = ["baro", email, email.partition("@")[0]] if email else ["baro"]
    with _zxcvbn_lock:
        estimate = zxcvbn(password[:_SCORED_CHARACTERS], user_inputs=own_words)
    if estimate["score"] < MIN_PASSWORD_SCORE:
        warning = estimate["feedback"]["warning"]
        return "this password is too common or too easy to guess" + (f": {warning}" if warning else "")
    return None


def _check_password(password: str, email: str) -> None:
    problem = password_problem(password, email)
    if problem:
        raise ValueError(problem)


def generate_password() -> str:
    """A random password for an admin to hand over once (20 characters)."""
    while True:
        password = secrets.token_urlsafe(15)
        if password_problem(password) is None:  # a random draw that happens to look like a word is drawn again
            return password


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except VerificationError:
        return False


def _claim_a_try(address: str, now: datetime) -> Update:
    """Take one of the account's tries, in one statement: none left while it is locked; taking the last one locks
    it; the first try after a lock has expired starts the count again."""
    expired = StaffUser.locked_until <= now
    tries = case((expired, 1), else_=StaffUser.failed_logins + 1)
    locked_until = case(
        (tries >= MAX_FAILED_LOGINS, literal(now + LOCKOUT, UTCDateTime())),
        (expired, null()),
        else_=StaffUser.locked_until,
    )
    return (
        update(StaffUser)
        .where(
            func.lower(StaffUser.email) == address,
            StaffUser.active.is_(True),
            or_(StaffUser.locked_until.is_(None), expired),
        )
        .values(failed_logins=tries, locked_until=locked_until)
        .execution_options(synchronize_session=False)
    )


def authenticate(database: sessionmaker[Session], email: str, password: str) -> int | None:
    """The account's id if the password is right and the account neither disabled nor locked.

    The try is claimed, and committed, before the slow password check: parallel guesses each take their own, so
    no more than MAX_FAILED_LOGINS passwords are ever checked before the lock. A right password gives the tries
    back. Every refusal, whatever its reason, costs the same: one claim, one read, one argon2 verification.
    """
    address = email.strip().lower()
    with transaction(database) as db:
        claimed = db.execute(_claim_a_try(address, utcnow())).rowcount == 1
        account = db.execute(
            select(StaffUser.id, StaffUser.password_hash).where(func.lower(StaffUser.email) == address)
        ).first()
    right = verify_password(account.password_hash if claimed else _DUMMY_HASH, password)
    if not (claimed and right):
        return None
    with transaction(database) as db:
        db.execute(update(StaffUser).where(StaffUser.id == account.id).values(failed_logins=0, locked_until=None))
    return account.id


def token_hash(token: str) -> str:
    """Tokens are random (256 bits): a plain SHA-256 keeps a database leak from giving them away."""
    return hashlib.sha256(token.encode()).hexdigest()


def start_login(db: Session, staff_id: int) -> str:
    """A new login for the account: the token for its cookie; only its hash is stored."""
    now = utcnow()
    db.execute(delete(StaffLogin).where(StaffLogin.expires_at <= now))  # anyone's expired logins
    token = secrets.token_urlsafe(32)
    db.add(StaffLogin(staff_id=staff_id, token_hash=token_hash(token), created_at=now, expires_at=now + LOGIN_LIFETIME))
    # Shown to admins: an account nobody has used for months is one to disable.
    db.execute(update(StaffUser).where(StaffUser.id == staff_id).values(last_login_at=now))
    return token


def staff_for_login(db: Session, token: object) -> StaffUser | None:
    """The active account a login cookie's token belongs to, if that login has not ended."""
    if not isinstance(token, str) or not token:
        return None
    return db.scalar(
        select(StaffUser)
        .join(StaffLogin, StaffLogin.staff_id == StaffUser.id)
        .where(StaffLogin.token_hash == token_hash(token), StaffLogin.expires_at > utcnow(), StaffUser.active.is_(True))
    )


def end_login(db: Session, token: object) -> None:
    if isinstance(token, str) and token:
        db.execute(delete(StaffLogin).where(StaffLogin.token_hash == token_hash(token)))


def _end_every_login(db: Session, user: StaffUser) -> None:
    db.execute(delete(StaffLogin).where(StaffLogin.staff_id == user.id))


def create_user(db: Session, email: str, role: str, password: str, site_slugs: list[str] = ()) -> StaffUser:
    if role not in set(Role):
        raise ValueError(f"role must be one of {', '.join(Role)}")
    address = email.strip().lower()
    _check_password(password, address)
    sites = list(db.scalars(select(Site).where(Site.slug.in_(site_slugs)))) if site_slugs else []
    if len(sites) != len(set(site_slugs)):
        raise ValueError(f"unknown site among {', '.join(site_slugs)}")
    user = StaffUser(email=address, role=role, password_hash=hash_password(password), sites=sites)
    db.add(user)
    db.flush()
    return user


def find_user(db: Session, email: str) -> StaffUser | None:
    return db.scalar(select(StaffUser).where(func.lower(StaffUser.email) == email.strip().lower()))


def reset_password(db: Session, user: StaffUser, password: str) -> None:
    """A new password (same policy as at creation); every login of the account ends and its lock is lifted."""
    _check_password(password, user.email)
    user.password_hash = hash_password(password)
    user.failed_logins, user.locked_until = 0, None
    _end_every_login(db, user)


class Lockout(StrEnum):
    """Why a change to an account would leave nobody able to administer baro."""

    SELF = "self"  # an admin disabling or demoting their own account
    LAST_ADMIN = "last_admin"  # the last active admin disabled or demoted


def lockout(
    db: Session, actor: StaffUser | None, user: StaffUser, role: str | None = None, active: bool | None = None
) -> Lockout | None:
    """Whether `actor` (None: the operator, at the command line) changing `user`'s role to `role`, or its `active`
    flag, would lock admins out; None if not. An active admin acting on another always leaves one: themselves."""
    demoted = role is not None and role != Role.ADMIN
    if not (user.role == Role.ADMIN and user.active and (demoted or active is False)):
        return None
    if actor is not None and user.id == actor.id:
        return Lockout.SELF
    others = select(func.count(StaffUser.id)).where(
        StaffUser.role == Role.ADMIN, StaffUser.active.is_(True), StaffUser.id != user.id
    )
    return None if db.scalar(others) else Lockout.LAST_ADMIN


def change_role(db: Session, user: StaffUser, role: str, site_slugs: list[str] = ()) -> None:
    """A new role, and the sites a triage account is limited to (none: every site; other roles have none)."""
    if role not in set(Role):
        raise ValueError(f"role must be one of {', '.join(Role)}")
    wanted = set(site_slugs) if role == Role.TRIAGE else set()
    sites = list(db.scalars(select(Site).where(Site.slug.in_(wanted)))) if wanted else []
    if len(sites) != len(wanted):
        raise ValueError(f"unknown site among {', '.join(sorted(wanted))}")
    user.role, user.sites = role, sites


def disable(db: Session, user: StaffUser) -> None:
    """The account can no longer log in nor use its API token; its logins end at once."""
    user.active = False
    _end_every_login(db, user)


def enable(db: Session, user: StaffUser) -> None:
    """The account works again, without the lock of earlier failures; its API token too, if not revoked."""
    user.active = True
    user.failed_logins, user.locked_until = 0, None


def issue_api_token(user: StaffUser) -> str:
    """A new token for /api/v1, shown once; it replaces the previous one."""
    token = f"baro_{secrets.token_urlsafe(32)}"
    user.api_token_hash = token_hash(token)
    return token


def revoke_api_token(user: StaffUser) -> None:
    user.api_token_hash = None


def user_for_token(db: Session, token: str) -> StaffUser | None:
    user = db.scalar(select(StaffUser).where(StaffUser.api_token_hash == token_hash(token)))
    return user if user is not None and user.active else None
