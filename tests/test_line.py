"""What the line says about itself (bot/line.py), as a deployment configures it, through the real Twilio webhook:
who runs it and what a message costs in the notice, a safety line at the end of a confidential report, and a word
that may mean stop (FIN) answered with how to stop rather than stopping everything."""

import pytest
from sqlalchemy import select

from bot.models import Contact, Message
from bot.vault import Vault
from bot.vocabulary import Direction, MessageStatus

HOTLINE = "80 00 11 15"


@pytest.fixture
def configured(reconfigure):
    """A deployment that names its organisation, makes messages free and has a hotline."""
    reconfigure(ORG_NAME="Entraide Sahel", MESSAGES_FREE="true", SAFETY_LINE=HOTLINE)


def opted_out(runtime) -> bool:
    with runtime.database() as db:
        return db.scalars(select(Contact)).one().opted_out_at is not None


def test_the_notice_names_the_organisation_and_fin_does_not_stop_the_messages(configured, phone, runtime):
    notice = phone.converse("Bonjour", "1")
    assert notice == (
        "Entraide Sahel garde vos messages pour vous répondre ; seules les équipes de votre site les lisent."
        " Messages gratuits. Pour stopper : STOP.\n1 J'accepte\n2 Je refuse"
    )
    phone.send("1")

    assert phone.send("FIN") == "Pour ne plus recevoir de messages de baro, envoyez STOP."
    assert not opted_out(runtime)
    assert phone.send("1").startswith("Sur quel site vivez-vous ?")  # still answered, from where it was

    assert phone.send("STOP").startswith("Vous ne recevrez plus de messages de baro.")
    assert opted_out(runtime)


def test_the_safety_line_comes_once_with_the_reference_and_nothing_is_sent_later(configured, phone, runtime, settings):
    phone.converse("Bonjour", "1", "1")
    reply = phone.converse("4", "1", "0", "3")
    assert reply.endswith(f"\nEn danger ? Appelez le {HOTLINE}.\n0 Menu")
    phone.send("Bonjour")

    vault = Vault(settings.secret_key)
    with runtime.database() as db:
        sent = db.scalars(select(Message).where(Message.direction == Direction.OUT).order_by(Message.id)).all()
        texts = [vault.decrypt(m.text_encrypted) if m.text_encrypted else m.text for m in sent]
    assert [text for text in texts if HOTLINE in text] == [reply]
    assert {m.status for m in sent} == {MessageStatus.REPLIED}  # only the webhook's own answers: no text later
