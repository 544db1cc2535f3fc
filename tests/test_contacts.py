"""A contact as a conversation turn reads it (bot.contacts.record_for) and writes what the turn changed."""

import pytest
from sqlalchemy import func, select

from bot.contacts import record_for
from bot.conversation.state import position_key
from bot.db import write_transaction
from bot.models import Contact
from tests.domain_support import PHONE, person


def test_a_new_number_is_one_contact_whose_number_is_kept_only_encrypted(runtime):
    with write_transaction(runtime.database) as db:
        first = record_for(db.connection(), runtime.vault, PHONE, "sms")
        again = record_for(db.connection(), runtime.vault, PHONE, "sms")
    assert first.id == again.id
    with runtime.database() as db:
        (contact,) = db.scalars(select(Contact))
        assert contact.phone_hash != PHONE and PHONE not in (contact.phone_encrypted or "")
        assert runtime.vault.decrypt(contact.phone_encrypted) == PHONE


def test_the_contact_comes_with_its_site_slug_and_name(runtime):
    with write_transaction(runtime.database) as db:
        person(db, runtime.vault, site_slug="niamana")
    with write_transaction(runtime.database) as db:
        contact = record_for(db.connection(), runtime.vault, PHONE, "sms")
    assert (contact.site_slug, contact.site_name, contact.language) == ("niamana", "Niamana", "fr")


def test_the_contact_comes_with_where_its_conversation_on_the_channel_waits(runtime):
    store = runtime.conversations.store
    with write_transaction(runtime.database) as db:
        contact_id = person(db, runtime.vault).id
        store.save(db, position_key("sms", contact_id), {"flow": "complaint", "state": "describe"})
    with write_transaction(runtime.database) as db:
        by_sms = record_for(db.connection(), runtime.vault, PHONE, "sms")
        by_whatsapp = record_for(db.connection(), runtime.vault, PHONE, "whatsapp")
    assert store.opened(by_sms.position) == {"flow": "complaint", "state": "describe"}
    assert by_whatsapp.position is None  # a conversation on another channel is another conversation


def test_what_a_turn_sets_is_written_once_it_saves_and_nothing_before(runtime):
    with write_transaction(runtime.database) as db:
        person(db, runtime.vault, language="fr")
    with write_transaction(runtime.database) as db:
        contact = record_for(db.connection(), runtime.vault, PHONE, "sms")
        contact.language = "bm"
        assert db.connection().scalar(select(Contact.language)) == "fr"
        contact.save(db.connection(), channel="whatsapp")
        assert contact.changes == {}
    with runtime.database() as db:
        assert db.execute(select(Contact.language, Contact.channel)).one() == ("bm", "whatsapp")


def test_a_number_erased_by_a_refusal_is_kept_again_when_they_write(runtime):
    with write_transaction(runtime.database) as db:
        person(db, runtime.vault, phone_encrypted=None)
    with write_transaction(runtime.database) as db:
        record_for(db.connection(), runtime.vault, PHONE, "sms").save(db.connection())
    with runtime.database() as db:
        assert runtime.vault.decrypt(db.scalar(select(Contact.phone_encrypted))) == PHONE
        assert db.scalar(select(func.count()).select_from(Contact)) == 1


@pytest.mark.parametrize("field", ["id", "site_slug", "no_such_column"])
def test_a_turn_cannot_set_what_is_not_the_persons_to_change(runtime, field):
    with write_transaction(runtime.database) as db:
        contact = record_for(db.connection(), runtime.vault, PHONE, "sms")
        with pytest.raises(AttributeError):
            setattr(contact, field, 1)
