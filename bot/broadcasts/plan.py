"""Creating a broadcast: checking it, storing one message per recipient at once, and handing it to the bulk lane.

Planning is one transaction: the broadcast and every message it sends (direction out, status pending,
lane bulk, its id), inserted in batches without an ORM object per row, so 100,000 people are planned
in seconds. No job per recipient: the bulk drains (bot.outbound.bulk) send the pending messages of each
channel in order, at its pace. The unique (broadcast, contact) key makes "never twice" the database's.
"""

import hashlib
import json
from datetime import datetime, timedelta

from redis.exceptions import RedisError
from sqlalchemy import insert, select

from bot.broadcasts.audience import Audience, reach, text_for
from bot.cases.lifecycle import Refused
from bot.config import Settings
from bot.db import transaction
from bot.models import Broadcast, Message, utcnow
from bot.outbound.bulk import start_drains
from bot.outbound.gsm7 import prepare
from bot.runtime import Runtime
from bot.vocabulary import N_, BroadcastStatus, Direction, Lane, MessageStatus

# The longest text a broadcast may carry, per language: four GSM-7 SMS parts (or ten UCS-2 ones).
# Anything longer is a letter, not an SMS; people read broadcasts on basic phones.
MAX_CHARS = 612
# A send_at this far in the past is taken as "now" (a form filled in slowly); further back, a mistake.
PAST_GRACE = timedelta(minutes=1)
# The same texts to the same audience by the same person this soon after: a second click, not a second broadcast.
DUPLICATE_WINDOW = timedelta(minutes=10)
INSERT_BATCH = 5000


def check_texts(settings: Settings, texts: object) -> dict[str, str]:
    """The texts to send, one per configured language, the default language's required; Refused otherwise."""
    if not isinstance(texts, dict):
        raise Refused(N_('The texts must be given per language, e.g. {"fr": "…"}.'))
    checked = {}
    for language, text in texts.items():
        if language not in settings.languages:
            raise Refused(N_("Unknown language “%(language)s”."), {"language": str(language)[:40]})
        if text is None:
            continue
        if not isinstance(text, str):
            raise Refused(N_("The text in “%(language)s” must be text."), {"language": language})
        text = text.strip()
        if len(text) > MAX_CHARS:
            raise Refused(
                N_("The text in “%(language)s” is too long: at most %(max)s characters."),
                {"language": language, "max": str(MAX_CHARS)},
            )
        if text:
            checked[language] = text
    if settings.languages[0] not in checked:
        raise Refused(
            N_("Write the text in “%(language)s”, the default language: it goes to everyone without a text in theirs."),
            {"language": settings.languages[0]},
        )
    return checked


def check_send_at(send_at: object, now: datetime) -> datetime | None:
    """When to send: None (now) or an aware time not in the past; Refused otherwise."""
    if send_at is None:
        return None
    if not isinstance(send_at, datetime) or send_at.tzinfo is None or send_at.utcoffset() is None:
        raise Refused(N_("The time to send must be a date and time with its time zone."))
    if send_at < now - PAST_GRACE:
        raise Refused(N_("The time to send is in the past."))
    return send_at if send_at > now else None


def _fingerprint(actor_id: int | None, texts: dict[str, str], audience: Audience, send_at: datetime | None) -> str:
    raw = json.dumps([actor_id, texts, audience.to_json(), send_at.isoformat() if send_at else None], sort_keys=True)
    return hashlib.sha256(raw.encode()).hexdigest()


def _refuse_duplicate(runtime: Runtime, db, actor_id, texts, audience, send_at, now) -> None:
    """Refused if the same broadcast was just created: a double click or a retried request sends once."""
    same = db.scalars(
        select(Broadcast).where(
            Broadcast.created_by_id.is_(None) if actor_id is None else Broadcast.created_by_id == actor_id,
            Broadcast.created_at > now - DUPLICATE_WINDOW,
            Broadcast.status != BroadcastStatus.CANCELLED,
        )
    )
    for earlier in same:
        if earlier.texts == texts and earlier.audience == audience.to_json():
            raise Refused(
                N_("This broadcast was just sent (number %(id)s): it is not sent twice."), {"id": str(earlier.id)}
            )
    # Two requests at the very same moment: the first takes the key, the second is refused.
    key = f"baro:broadcast-once:{_fingerprint(actor_id, texts, audience, send_at)}"
    try:
        taken = runtime.redis.set(key, "1", nx=True, ex=int(DUPLICATE_WINDOW.total_seconds()))
    except RedisError:
        return  # the database check above stands alone
    if not taken:
        raise Refused(N_("This broadcast is already being sent: it is not sent twice."))


def create_broadcast(
    runtime: Runtime,
    actor_id: int | None,
    texts: dict[str, str],
    audience: Audience,
    send_at: datetime | None,
) -> Broadcast:
    """Check, store and plan a broadcast (one pending bulk message per recipient), then hand it to the bulk lane.

    Refused (an `admin` msgid) for a missing default-language text, a text over MAX_CHARS, an unknown
    language, site or assembly, a send_at without a time zone or in the past, or the same broadcast
    created moments ago. Status `scheduled` if send_at is in the future (a periodic job starts it),
    else `sending`. Returns the stored broadcast, with its recipients and who is left out.
    """
    settings = runtime.settings
    now = utcnow()
    texts = check_texts(settings, texts)
    when = check_send_at(send_at, now)
    if not isinstance(audience, Audience):
        raise Refused(N_("The audience must be an object with sites, languages, channels and assembly."))
    with transaction(runtime.database) as db:
        audience.check(db, settings)
        _refuse_duplicate(runtime, db, actor_id, texts, audience, when, now)
        found = reach(db, settings, audience, now)
        broadcast = Broadcast(
            texts=texts,
            audience=audience.to_json(),
            status=BroadcastStatus.SCHEDULED if when else BroadcastStatus.SENDING,
            send_at=when or now,
            created_at=now,
            created_by_id=actor_id,
            recipients=len(found.recipients),
            left_out=found.left_out,
        )
        if not found.recipients:
            broadcast.status, broadcast.finished_at = BroadcastStatus.DONE, now
        db.add(broadcast)
        db.flush()
        written: dict[tuple[str, str], str] = {}  # (language, channel) → the text as that channel writes it
        rows = []
        for recipient in found.recipients:
            key = (recipient.language, recipient.channel.value)
            if key not in written:
                written[key] = prepare(text_for(texts, recipient.language, settings), settings.alphabet(key[1]))
            rows.append(
                {
                    "contact_id": recipient.contact_id,
                    "channel": key[1],
                    "direction": Direction.OUT.value,
                    "text": written[key],
                    "status": MessageStatus.PENDING.value,
                    "lane": Lane.BULK.value,
                    "broadcast_id": broadcast.id,
                    "created_at": now,
                    "attempts": 0,
                    "confidential": False,
                    "redacted": False,
                }
            )
        for start in range(0, len(rows), INSERT_BATCH):  # Core executemany: no ORM object per row
            db.execute(insert(Message.__table__), rows[start : start + INSERT_BATCH])
    if broadcast.status == BroadcastStatus.SENDING:
        start_drains(runtime.redis, {recipient.channel.value for recipient in found.recipients})
    return broadcast
