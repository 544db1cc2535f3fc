"""Short-lived state: where a conversation waits, a USSD session's pages.

Kept in the database, encrypted (a confidential report's answers pass through it), with an expiry:
the database is the source of truth, so a Redis outage or restart never rewinds a conversation.
Expired rows are purged by a periodic job.
"""

import json
from datetime import datetime, timedelta

from cryptography.fernet import InvalidToken
from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.orm import Session

from bot.models import ConversationState, utcnow
from bot.vault import Vault

_TABLE = ConversationState.__table__
_KEY = _TABLE.c.key == bindparam("state_key")
_LOAD = select(_TABLE.c.state, _TABLE.c.expires_at).where(_KEY)
_UPDATE = update(_TABLE).where(_KEY)  # the columns set are those given
_INSERT = insert(_TABLE)
_FORGET = delete(_TABLE).where(_KEY)


def position_key(channel: str, contact_id: int) -> str:
    """Where a person's conversation on a channel waits."""
    return f"position:{channel}:{contact_id}"


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
        if row is None or row.expires_at <= utcnow():
            return None
        try:
            return json.loads(self.vault.decrypt(row.state), object_hook=_decode)
        except InvalidToken:  # written under another SECRET_KEY: as good as expired
            return None

    def save(self, db: Session, key: str, state: dict | None) -> None:
        """Keep `state` under `key` for the store's time to live (None: forget it); the caller commits."""
        connection = db.connection()
        if state is None:
            connection.execute(_FORGET, {"state_key": key})
            return
        values = {"state": self.vault.encrypt(json.dumps(state, default=_encode)), "expires_at": utcnow() + self.ttl}
        if not connection.execute(_UPDATE, {"state_key": key, **values}).rowcount:
            connection.execute(_INSERT, {"key": key, **values})


def purge_expired(db: Session) -> int:
    """Forget every state past its expiry; how many."""
    return db.execute(delete(ConversationState).where(ConversationState.expires_at <= utcnow())).rowcount
