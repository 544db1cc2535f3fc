"""Short-lived state: where a conversation waits, a USSD session's pages.

Kept in the database, encrypted (a confidential report's answers pass through it), with an expiry:
the database is the source of truth, so a Redis outage or restart never rewinds a conversation.
Expired rows are purged by a periodic job.
"""

import json
from datetime import datetime, timedelta
from typing import NamedTuple

from cryptography.fernet import InvalidToken
from sqlalchemy import ColumnElement, String, bindparam, cast, delete, literal, select
from sqlalchemy.orm import Session

from bot.db import upsert
from bot.models import ConversationState, utcnow
from bot.prepared import Prepared
from bot.vault import Vault

_TABLE = ConversationState.__table__
_KEY = _TABLE.c.key == bindparam("state_key")
_LOAD = select(_TABLE.c.state, _TABLE.c.expires_at).where(_KEY)
_KEEP = {name: Prepared(statement) for name, statement in upsert(_TABLE, _TABLE.c.key).items()}
_FORGET = delete(_TABLE).where(_KEY)


def position_key(channel: str, contact_id: int) -> str:
    """Where a person's conversation on a channel waits."""
    return f"position:{channel}:{contact_id}"


def position_key_in_sql(channel: ColumnElement[str], contact_id: ColumnElement[int]) -> ColumnElement[str]:
    """`position_key` computed by the database, to read where a conversation waits with its contact's row."""
    return literal("position:") + channel + literal(":") + cast(contact_id, String)


class Saved(NamedTuple):
    """A state as stored: encrypted, with its expiry."""

    state: str
    expires_at: datetime


def _encode(value: object) -> object:
    if isinstance(value, datetime):  # an assembly's time, kept to quote it back
        return {"$datetime": value.isoformat()}
    raise TypeError(f"cannot keep {type(value).__name__} in a state store")


def _decode(value: dict) -> object:
    return datetime.fromisoformat(value["$datetime"]) if set(value) == {"$datetime"} else value


class StateStore:
    def __init__(self, vault: Vault, ttl_seconds: int):
        self.vault = vault
        self.ttl = timedelta(seconds=ttl_seconds)

    # Every message reads and writes its conversation's state: statements built once, run on the connection.

    def load(self, db: Session, key: str) -> dict | None:
        row = db.connection().execute(_LOAD, {"state_key": key}).first()
        return self.opened(Saved(*row) if row else None)

    def opened(self, saved: Saved | None) -> dict | None:
        """A state as it was kept; None if there is none or it has expired."""
        if saved is None or saved.expires_at <= utcnow():
            return None
        try:
            return json.loads(self.vault.decrypt(saved.state), object_hook=_decode)
        except InvalidToken:  # written under another SECRET_KEY: as good as expired
            return None

    def save(self, db: Session, key: str, state: dict | None) -> None:
        """Keep `state` under `key` for the store's time to live (None: forget it); the caller commits."""
        connection = db.connection()
        if state is None:
            connection.execute(_FORGET, {"state_key": key})
            return
        sealed = self.vault.encrypt(json.dumps(state, default=_encode))
        kept = {"key": key, "state": sealed, "expires_at": utcnow() + self.ttl}
        _KEEP[connection.dialect.name].run(connection, kept)  # one statement, whether it was kept before or not


def purge_expired(db: Session) -> int:
    """Forget every state past its expiry; how many."""
    return db.execute(delete(ConversationState).where(ConversationState.expires_at <= utcnow())).rowcount
