"""A problem written at the main menu, end to end on each channel: filed as written, and sealed until classified.

The flows' specification is tests/flows/test_typed_problem.py; here the same forgiving answer goes through
the real webhooks (Twilio SMS, Twilio WhatsApp, the USSD aggregator) into the real database.
"""

from sqlalchemy import select

from bot.models import Feedback, Message
from tests.channels.ussd_aggregator import onboard

PROBLEM = "Le forage est en panne depuis lundi"


def the_feedback(runtime) -> Feedback:
    with runtime.database() as db:
        return db.scalars(select(Feedback)).one()


def the_message_saying(runtime, text: str) -> Message:
    """The inbound message that held `text`, decrypted if it was sealed."""
    with runtime.database() as db:
        for message in db.scalars(select(Message).where(Message.direction == "in")):
            written = runtime.vault.decrypt(message.text_encrypted) if message.text_encrypted else message.text
            if written == text:
                return message
    raise AssertionError(f"no inbound message holds {text!r}")


def test_over_sms_the_problem_is_filed_as_written_and_its_message_was_sealed(phone, runtime):
    phone.converse("Bonjour", "1", "1")  # French, consent: the main menu

    assert phone.send(PROBLEM).startswith("Merci. C'est :\n1 Un problème\n2 Un besoin")
    phone.send("1")  # a problem
    phone.send("1")  # Niamana
    done = phone.send("2")  # water and sanitation: no "describe it" after

    feedback = the_feedback(runtime)
    assert (feedback.kind, feedback.category, feedback.text) == ("complaint", "water_sanitation", PROBLEM)
    assert feedback.reference in done
    # Until the person said what it was, it could have been a confidential report: stored as one would be.
    held = the_message_saying(runtime, PROBLEM)
    assert held.confidential and held.text is None


def test_over_whatsapp_the_problem_becomes_a_need_asking_only_the_site_and_category(make_phone, runtime):
    awa = make_phone("whatsapp:+22370000077")
    awa.converse("I ni ce", "2", "1")  # Bambara, consent: the main menu

    assert awa.send("Baara tɛ n fɛ, n denw bɛ kɔngɔ la").startswith("Aw ni ce. O ye:")
    awa.send("2")  # a need
    awa.send("1")  # Niamana
    awa.send("8")  # work and income

    feedback = the_feedback(runtime)
    said = "Baara tɛ n fɛ, n denw bɛ kɔngɔ la"
    assert (feedback.kind, feedback.category, feedback.text) == ("need", "livelihoods", said)
    assert (feedback.channel, feedback.language) == ("whatsapp", "bm")


def test_over_ussd_the_problem_typed_at_the_menu_is_not_asked_for_again(twilio, client, runtime):
    session = onboard(client)  # Bambara, at the main menu

    assert session.press("Ji tɛ yen kabini tile saba").startswith("CON Aw ni ce. O ye:")
    session.press("1")  # a problem
    session.press("3")  # the site
    done = session.press("2")  # water and sanitation

    feedback = the_feedback(runtime)
    assert done.startswith("END ") and feedback.reference in done
    assert (feedback.channel, feedback.text) == ("ussd", "Ji tɛ yen kabini tile saba")

