"""Whole conversations through the webhook, and what they leave in the database."""

from datetime import timedelta

from sqlalchemy import select

from bot.conversation.state import position_key
from bot.db import transaction
from bot.models import Contact, ConversationState, Feedback, Message, Site, utcnow
from bot.references import ALPHABET
from bot.vault import Vault

ONBOARD_FR = ("Bonjour", "1", "1")
ONBOARD_BM = ("I ni ce", "2", "1")


def test_a_complaint_in_french_is_stored_with_a_reference(phone, runtime):
    phone.converse(*ONBOARD_FR)
    assert "Sur quel site vivez-vous" in phone.send("1")
    assert "Votre plainte concerne" in phone.send("3")  # Sénou
    assert "Décrivez le problème" in phone.send("2")  # water and sanitation
    confirmation = phone.send("Les latrines débordent depuis lundi")
    with runtime.database() as db:
        feedback = db.scalars(select(Feedback)).one()
        site = db.get(Site, feedback.site_id)
    assert f"Référence : {feedback.reference}." in confirmation
    assert len(feedback.reference) == 6 and set(feedback.reference) <= set(ALPHABET)
    assert (feedback.kind, feedback.category, site.name) == ("complaint", "water_sanitation", "Sénou")
    assert (feedback.language, feedback.channel, feedback.status) == ("fr", "sms", "new")
    assert feedback.text == "Les latrines débordent depuis lundi"


def test_a_need_in_bambara_is_stored_in_bambara(phone, runtime):
    phone.converse(*ONBOARD_BM)
    # Screens over one UCS-2 SMS go out in the older spelling (SMS_ALPHABET=auto): one GSM-7 SMS each.
    assert "Aw sigilen bè sigida jumèn na?" in phone.send("2")
    assert "8 Baara ni sòrò" in phone.send("1")
    phone.send("8")
    confirmation = phone.send("N bɛ baara ɲini")
    with runtime.database() as db:
        feedback = db.scalars(select(Feedback)).one()
    assert f"Nimòrò: {feedback.reference}." in confirmation
    assert (feedback.kind, feedback.category, feedback.language) == ("need", "livelihoods", "bm")


def test_the_site_is_remembered_for_the_next_submission(phone):
    phone.converse(*ONBOARD_FR, "1", "1", "1", "Pas de bâche", "menu")
    assert "Votre plainte concerne" in phone.send("1")  # straight to the category


def test_after_a_confirmation_the_next_number_answers_the_main_menu(phone):
    confirmation = phone.converse(*ONBOARD_FR, "1", "1", "1", "Pas de bâche")
    assert confirmation.endswith("Pour la suivre, envoyez 5.\n0 Menu")
    assert phone.send("5").startswith("Envoyez votre référence")  # as the confirmation said


def test_a_thank_you_after_a_confirmation_gets_the_menu_without_a_hint(phone):
    phone.converse(*ONBOARD_FR, "1", "1", "1", "Pas de bâche")
    assert phone.send("Merci beaucoup").startswith("Envoyez un numéro")


def test_menu_returns_to_the_main_menu_from_anywhere(phone):
    phone.converse(*ONBOARD_BM, "1")
    assert "Aw ka sugandili nimòrò ci" in phone.send("segin")  # by SMS, folded to one GSM-7 SMS
    phone.send("1")
    assert "Aw ka sugandili nimòrò ci" in phone.send(" Menu ")


def test_an_answer_not_understood_repeats_the_question_with_a_hint(phone):
    phone.converse(*ONBOARD_FR, "1", "1")
    reply = phone.send("je ne sais pas")
    assert reply.startswith("Répondez avec un des numéros")
    assert "Votre plainte concerne" in reply


def test_the_phone_number_is_encrypted_and_found_by_keyed_hash(phone, runtime, settings):
    phone.converse(*ONBOARD_FR)
    with runtime.database() as db:
        contact = db.scalars(select(Contact)).one()
    assert phone.number not in contact.phone_encrypted and "70000001" not in contact.phone_hash
    vault = Vault(settings.secret_key)
    assert vault.decrypt(contact.phone_encrypted) == "+22370000001"
    assert contact.phone_hash == vault.lookup_hash("+22370000001")
    assert (contact.language, contact.consent) == ("fr", "accepted") and contact.consent_at is not None


def test_refusing_consent_keeps_only_the_refusal(phone, runtime):
    phone.send("Je veux parler de mon voisin Moussa")
    phone.send("1")
    reply = phone.send("2")
    assert "rien sur vous n'est gardé" in reply
    with runtime.database() as db:
        contact = db.scalars(select(Contact)).one()
        texts = db.scalars(select(Message.text).where(Message.direction == "in")).all()
    assert contact.consent == "refused" and contact.consent_at is not None
    assert contact.phone_encrypted is None and contact.language is None
    assert texts == [None, None, None]


def test_someone_who_refused_is_asked_again_when_they_come_back(phone):
    phone.converse("Bonjour", "1", "2")
    assert "Bamanankan" in phone.send("Bonjour")


def test_the_conversation_expires_after_inactivity(phone, runtime, settings):
    phone.converse(*ONBOARD_FR, "1")
    with runtime.database() as db:
        contact_id = db.scalar(select(Contact.id))
    key = position_key("sms", contact_id)
    with transaction(runtime.database) as db:
        state = db.get(ConversationState, key)
        left = state.expires_at - utcnow()
        assert timedelta(seconds=settings.session_ttl_seconds - 60) < left <= timedelta(seconds=1800)
        state.expires_at = utcnow() - timedelta(seconds=1)  # 30 minutes later
    reply = phone.send("bonjour")
    assert "Envoyez un numéro" in reply and "Bienvenue" not in reply


def test_stop_silences_the_number_until_start(phone):
    phone.converse(*ONBOARD_FR)
    assert "ne recevrez plus" in phone.send("ARRET")
    assert phone.send("1") == ""
    reply = phone.send("start")
    assert "Bon retour" in reply and "Envoyez un numéro" in reply


def test_whatsapp_and_sms_are_the_same_person(make_phone, runtime):
    make_phone("+22370000002").converse(*ONBOARD_BM)
    reply = make_phone("whatsapp:+22370000002").send("bonjour")
    assert "Aw ka sugandili nimɔrɔ ci" in reply
    with runtime.database() as db:
        assert len(db.scalars(select(Contact)).all()) == 1
        assert set(db.scalars(select(Message.channel))) == {"sms", "whatsapp"}
