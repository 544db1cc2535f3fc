"""Prepared statements (bot.prepared): what they write and read is what SQLAlchemy would have, on each database."""

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import bindparam, insert, literal, select, update
from sqlalchemy.exc import IntegrityError

from bot.models import Contact, Message, utcnow
from bot.prepared import Prepared

MESSAGES, CONTACTS = Message.__table__, Contact.__table__
STORE = Prepared(insert(MESSAGES).returning(MESSAGES.c.id))
WORDS = "Le forage est en panne, ɲɛ ka dɔgɔ"


@pytest.fixture
def connection(runtime):
    with runtime.database.begin() as db:
        contact = Contact(phone_hash="h" * 64, site_confirmed_at=datetime(2026, 11, 30, 8, tzinfo=UTC))
        db.add(contact)
        db.flush()
        yield db.connection(), contact.id


def stored(connection, message_id: int) -> Mapping[str, Any]:
    return connection.execute(select(Message).where(Message.id == message_id)).one()._mapping


def test_a_row_is_written_as_sqlalchemy_writes_it_its_defaults_filled_in(connection):
    connection, contact_id = connection
    values = {"contact_id": contact_id, "channel": "sms", "direction": "in", "text": WORDS, "media": ["https://m/1"]}
    before = utcnow()
    prepared = STORE.first(connection, {**values, "provider_id": "SM1", "confidential": True})["id"]
    written = connection.execute(insert(MESSAGES), {**values, "provider_id": "SM2", "confidential": True})
    ours, theirs = stored(connection, prepared), stored(connection, written.inserted_primary_key[0])
    assert ours["text"] == WORDS and ours["media"] == ["https://m/1"] and ours["confidential"] is True
    assert ours["redacted"] is False and ours["attempts"] == 0  # the models' defaults
    assert before <= ours["created_at"] <= utcnow() and ours["created_at"].tzinfo is not None
    same = ("contact_id", "channel", "direction", "text", "media", "confidential", "redacted", "attempts", "status")
    assert {key: ours[key] for key in same} == {key: theirs[key] for key in same}


def test_a_row_read_comes_with_its_types(connection):
    connection, contact_id = connection
    found = Prepared(
        select(
            CONTACTS.c.id, CONTACTS.c.site_confirmed_at, (literal("position:") + CONTACTS.c.phone_hash).label("key")
        ).where(CONTACTS.c.id == bindparam("contact"))
    )
    row = found.first(connection, {"contact": contact_id})
    assert row == {
        "id": contact_id,
        "site_confirmed_at": datetime(2026, 11, 30, 8, tzinfo=UTC),
        "key": "position:" + "h" * 64,
    }
    assert found.first(connection, {"contact": contact_id + 1}) is None


def test_only_the_columns_given_are_changed(connection):
    connection, contact_id = connection
    save = Prepared(update(CONTACTS).where(CONTACTS.c.id == bindparam("contact")))
    seen = utcnow() + timedelta(hours=1)
    assert save.run(connection, {"contact": contact_id, "last_seen_at": seen, "channel": "whatsapp"}) == []
    row = connection.execute(select(Contact).where(Contact.id == contact_id)).one()._mapping
    assert (row["last_seen_at"], row["channel"], row["phone_hash"]) == (seen, "whatsapp", "h" * 64)
    assert row["site_confirmed_at"] == datetime(2026, 11, 30, 8, tzinfo=UTC)


def test_a_value_already_taken_is_sqlalchemys_integrity_error_its_parameters_hidden(connection):
    """What a provider's retry of a stored message raises: answered as a retry (bot.handover.Transactions)."""
    connection, contact_id = connection
    values = {"contact_id": contact_id, "channel": "sms", "direction": "in", "provider_id": "SM-taken", "text": WORDS}
    STORE.run(connection, values)
    with pytest.raises(IntegrityError) as raised, connection.begin_nested():
        STORE.run(connection, values)
    assert "forage" not in str(raised.value)  # its parameters hidden, as the engines hide them (bot.db)


def test_outside_a_transaction_nothing_is_run(runtime):
    with runtime.database() as db, db.get_bind().connect() as connection:
        with pytest.raises(RuntimeError):
            STORE.run(connection, {"channel": "sms", "direction": "in"})
        assert connection.execute(select(Message.id)).first() is None
