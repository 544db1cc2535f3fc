"""When and where a person was last seen (bot.conversation.conversations.seen): where at once, when once a minute."""

from datetime import timedelta

from bot.contacts import record_for
from bot.conversation.conversations import SEEN_EVERY, seen
from bot.db import write_transaction
from bot.models import utcnow
from tests.domain_support import PHONE, person


def contact_seen(runtime, channel: str, ago: timedelta, whatsapp_ago: timedelta | None = None):
    """The person as a turn reads them, last seen `ago` on `channel` (and on WhatsApp `whatsapp_ago`)."""
    now = utcnow()
    with write_transaction(runtime.database) as db:
        whatsapp_seen = None if whatsapp_ago is None else now - whatsapp_ago
        person(db, runtime.vault, channel=channel, last_seen_at=now - ago, whatsapp_seen_at=whatsapp_seen)
    with write_transaction(runtime.database) as db:
        return record_for(db.connection(), runtime.vault, PHONE, channel), now


def test_a_message_seconds_after_the_last_one_writes_nothing(runtime):
    contact, now = contact_seen(runtime, "sms", timedelta(seconds=20))
    assert seen(contact, "sms", now) == {}


def test_once_a_minute_has_passed_when_they_were_seen_is_written(runtime):
    contact, now = contact_seen(runtime, "sms", SEEN_EVERY)
    assert seen(contact, "sms", now) == {"channel": "sms", "last_seen_at": now}


def test_a_message_from_another_channel_is_where_texts_go_from_now_on(runtime):
    contact, now = contact_seen(runtime, "sms", timedelta(seconds=5))
    assert seen(contact, "whatsapp", now) == {"channel": "whatsapp", "last_seen_at": now, "whatsapp_seen_at": now}


def test_whatsapps_window_is_renewed_once_old_even_if_they_were_seen_lately(runtime):
    contact, now = contact_seen(runtime, "whatsapp", timedelta(seconds=5), whatsapp_ago=timedelta(hours=3))
    assert seen(contact, "whatsapp", now)["whatsapp_seen_at"] == now
