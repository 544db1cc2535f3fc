"""Many people at once, as the bot would have stored them, and the workers that send to them.

`crowd` inserts contacts in batches (numbers hashed and encrypted with the real vault) without walking
each through the conversation: a broadcast's specifications need thousands, the conversation is
specified elsewhere.
"""

import json
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
from rq import Queue, SimpleWorker
from sqlalchemy import insert, select

from bot.db import transaction
from bot.handover import QUEUES
from bot.models import Contact, Message, Site, utcnow
from bot.vocabulary import Consent


@dataclass(frozen=True)
class Person:
    id: int
    phone: str
    language: str | None
    channel: str
    site: str | None


def number(index: int) -> str:
    return f"+2236{index:07d}"


def crowd(
    runtime,
    count: int,
    start: int = 1,
    *,
    language: str | None = "fr",
    channel: str = "sms",
    site: str | None = None,
    consent: str | None = Consent.ACCEPTED,
    opted_out: bool = False,
    whatsapp_seen: datetime | None = None,
    spread: bool = False,
) -> list[Person]:
    """`count` contacts numbered from `start`; with `spread`, languages, channels and sites alternate."""
    vault, now = runtime.vault, utcnow()
    languages, channels = ("fr", "bm"), ("sms", "whatsapp", "ussd")
    with transaction(runtime.database) as db:
        sites = dict(db.execute(select(Site.slug, Site.id)).all())
        slugs = sorted(sites)
        rows, people = [], []
        for index in range(start, start + count):
            phone = number(index)
            person_language = languages[index % 2] if spread else language
            person_channel = channels[index % 3] if spread else channel
            person_site = slugs[index % len(slugs)] if spread else site
            seen = whatsapp_seen if whatsapp_seen is not None else now
            rows.append(
                {
                    "phone_hash": vault.lookup_hash(phone),
                    "phone_encrypted": vault.encrypt(phone),
                    "language": person_language,
                    "site_id": sites[person_site] if person_site else None,
                    "consent": consent,
                    "consent_at": now if consent else None,
                    "opted_out_at": now if opted_out else None,
                    "created_at": now,
                    "last_seen_at": now,
                    "channel": person_channel,
                    "whatsapp_seen_at": seen if person_channel == "whatsapp" else None,
                }
            )
            people.append((phone, person_language, person_channel, person_site))
        for begin in range(0, len(rows), 5000):
            db.execute(insert(Contact.__table__), rows[begin : begin + 5000])
        ids = dict(
            db.execute(
                select(Contact.phone_hash, Contact.id).where(
                    Contact.phone_hash.in_([row["phone_hash"] for row in rows])
                )
            ).all()
            if count <= 5000
            else db.execute(select(Contact.phone_hash, Contact.id)).all()
        )
        # WhatsApp people wrote within the day (unless told otherwise): their 24-hour window is open.
        inbound = [
            {
                "contact_id": ids[row["phone_hash"]],
                "channel": "whatsapp",
                "direction": "in",
                "text": "I ni ce",
                "created_at": row["whatsapp_seen_at"],
                "confidential": False,
                "redacted": False,
                "attempts": 0,
            }
            for row in rows
            if row["channel"] == "whatsapp"
        ]
        for begin in range(0, len(inbound), 5000):
            db.execute(insert(Message.__table__), inbound[begin : begin + 5000])
    return [
        Person(ids[row["phone_hash"]], phone, lang, chan, slug)
        for row, (phone, lang, chan, slug) in zip(rows, people, strict=True)
    ]


def received(twilio) -> dict[str, list[str]]:
    """What each number got from the Twilio double: the body, or a template's variable."""
    got: dict[str, list[str]] = {}
    for request in twilio.sent:
        to = request.form["To"].removeprefix("whatsapp:")
        body = request.form.get("Body")
        if body is None:
            body = json.loads(request.form["ContentVariables"])["1"]
        got.setdefault(to, []).append(body)
    return got


def work(redis, rounds: int = 1) -> None:
    """Real RQ workers that do not fork, in burst mode, as `baro worker` runs them (workers.pool)."""
    queues = [Queue(name, connection=redis) for name in QUEUES]
    for _ in range(rounds):
        SimpleWorker(queues, connection=redis).work(burst=True, with_scheduler=False)


@pytest.fixture
def quiet_never(reconfigure):
    """Bulk sends at any hour the suite runs (quiet hours are specified on their own)."""
    reconfigure(BROADCAST_QUIET_HOURS="")


def an_hour_ago() -> datetime:
    return utcnow() - timedelta(hours=1)
