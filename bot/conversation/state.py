"""Short-lived state (where a conversation waits, a USSD session's pages): in Redis with an expiry;
in the database only while Redis is down, so an outage never rewinds a conversation."""

import json
import logging
from datetime import datetime, timedelta

from redis import Redis
from redis.exceptions import RedisError
from sqlalchemy.orm import Session

from bot.models import ConversationFallback, utcnow

log = logging.getLogger(__name__)


def position_key(channel: str, contact_id: int) -> str:
    """Where a person's conversation on a channel waits (the key predates the name `position`)."""
    return f"baro:session:{channel}:{contact_id}"


def _encode(value: object) -> object:
    if isinstance(value, datetime):  # an assembly's time, kept to quote it back
        return {"$datetime": value.isoformat()}
    raise TypeError(f"cannot keep {type(value).__name__} in a state store")


def _decode(value: dict) -> object:
    return datetime.fromisoformat(value["$datetime"]) if set(value) == {"$datetime"} else value


def dumps(envelope: dict) -> str:
    return json.dumps(envelope, default=_encode)


def loads(raw: str | bytes) -> dict:
    return json.loads(raw, object_hook=_decode)


class StateStore:
    """Reads the newer of Redis and the fallback row, so an outage never rewinds a conversation."""

    def __init__(self, redis: Redis, ttl_seconds: int):
        self.redis = redis
        self.ttl = ttl_seconds

    def _from_redis(self, key: str) -> dict | None:
        try:
            raw = self.redis.get(key)
        except RedisError as error:
            log.warning("state read from Redis failed, using the database: %s", error)
            return None
        return loads(raw) if raw else None

    def load(self, db: Session, key: str) -> dict | None:
        now = utcnow()
        candidates = [self._from_redis(key)]
        row = db.get(ConversationFallback, key)
        if row is not None and row.expires_at > now:
            candidates.append(loads(row.state))
        live = [c for c in candidates if c]
        if not live:
            return None
        # The envelope's key is "session" in states written before the rename: kept so they still load.
        return max(live, key=lambda c: c["saved_at"])["session"]

    def save(self, db: Session, key: str, state: dict | None) -> None:
        now = utcnow()
        envelope = dumps({"session": state, "saved_at": now.isoformat()})
        try:
            if state is None:
                self.redis.delete(key)
            else:
                self.redis.set(key, envelope, ex=self.ttl)
        except RedisError as error:
            log.warning("state write to Redis failed, keeping it in the database: %s", error)
            self._save_fallback(db, key, envelope, now + timedelta(seconds=self.ttl))
            return
        row = db.get(ConversationFallback, key)
        if row is not None:
            db.delete(row)

    @staticmethod
    def _save_fallback(db: Session, key: str, envelope: str, expires_at: datetime) -> None:
        row = db.get(ConversationFallback, key)
        if row is None:
            db.add(ConversationFallback(key=key, state=envelope, expires_at=expires_at))
        else:
            row.state, row.expires_at = envelope, expires_at
