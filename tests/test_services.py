"""Every main-menu service through the Twilio webhook, and what each leaves in the database."""

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from bot.models import Assembly, AssemblyInterest, Contact, Feedback, Message, Signup, Site, utcnow
from bot.outbound.gsm7 import cost
from bot.vault import Vault

ONBOARD_FR = ("Bonjour", "1", "1")
ONBOARD_BM = ("I ni ce", "2", "1")
NIAMANA = "1"  # first in the site menu


def assemblies_at(runtime, slug: str) -> list[Assembly]:
    with runtime.database() as db:
        return list(db.scalars(select(Assembly).join(Site).where(Site.slug == slug)))


def test_an_assembly_sign_up_is_stored_once_with_a_reference(phone, runtime):
    phone.converse(*ONBOARD_FR)
    (assembly,) = assemblies_at(runtime, "niamana")
    listing = phone.converse("3", NIAMANA)
    assert listing.startswith("Assemblées à venir sur votre site :")
    assert f"1 {assembly.title}, " in listing and ", 10:00, Espace communautaire de Niamana" in listing
    assert "Vous inscrire à Assemblée citoyenne de Niamana" in phone.send("1")
    confirmation = phone.send("oui")
    with runtime.database() as db:
        signup = db.scalars(select(Signup)).one()
        reference = signup.feedback.reference
    # The confirmation is what the person keeps: which assembly, when, where, the reference, how to cancel.
    assert confirmation.startswith(f"Inscrit(e) : {assembly.title}, ")
    assert "10:00" in confirmation and "Espace communautaire de Niamana" in confirmation
    assert reference in confirmation and confirmation.endswith("ANNULER.\n0 Menu")
    assert signup.status == "confirmed" and signup.assembly_id == assembly.id

    again = phone.converse("3", "1")
    # Already signed up: the reference again, and the choice to give the place up.
    assert again.startswith(f"Déjà inscrit(e) à cette assemblée. Référence : {reference}.")
    assert "1 Annuler mon inscription" in again
    with runtime.database() as db:
        assert len(db.scalars(select(Signup)).all()) == 1


def test_a_full_assembly_offers_the_waiting_list(make_phone, runtime):
    (assembly,) = assemblies_at(runtime, "niamana")
    with runtime.database.begin() as db:
        db.execute(update(Assembly).where(Assembly.id == assembly.id).values(capacity=1))
    make_phone("+22370000011").converse(*ONBOARD_FR, "3", NIAMANA, "1", "1")
    late = make_phone("+22370000012")
    late.converse(*ONBOARD_BM, "3", NIAMANA)
    assert late.send("1") == "Nin lajɛ fara. Aw bɛ aw tɔgɔ sɛbɛn makɔnɔli lisi kan wa?\n1 Ɔwɔ\n2 Ayi"
    reply = late.send("1")  # longer than one UCS-2 SMS: the older spelling (SMS_ALPHABET=auto)
    assert reply.startswith(f"{assembly.title} fara: aw tògò bè makònòli lisi kan")
    with runtime.database() as db:
        assert sorted(db.scalars(select(Signup.status))) == ["confirmed", "waiting"]


def test_no_assembly_coming_offers_to_tell_about_the_next(phone, runtime):
    phone.converse(*ONBOARD_FR)
    reply = phone.converse("3", "4")  # Mopti has none
    assert reply.startswith("Aucune assemblée n'est prévue sur votre site")
    assert "C'est noté" in phone.send("1")
    with runtime.database() as db:
        interest = db.scalars(select(AssemblyInterest)).one()
        assert db.get(Site, interest.site_id).slug == "mopti"


def test_past_assemblies_are_not_offered(phone, runtime):
    with runtime.database.begin() as db:
        db.execute(update(Assembly).values(starts_at=utcnow() - timedelta(days=1)))
    phone.converse(*ONBOARD_FR)
    assert phone.converse("3", NIAMANA).startswith("Aucune assemblée n'est prévue")


def test_a_confidential_report_is_marked_and_encrypted(phone, runtime, settings):
    phone.converse(*ONBOARD_FR)
    assert "seul le responsable de la protection le lit" in phone.send("4")
    phone.converse("2", "Le gardien demande de l'argent contre la nourriture", "2")
    done = phone.send("070000099 après 18h")
    with runtime.database() as db:
        report = db.scalars(select(Feedback)).one()
    assert done.startswith("Merci de votre confiance. Seul le responsable de la protection lira ceci")
    assert f"Référence : {report.reference}." in done
    assert (report.kind, report.confidential, report.category, report.callback) == (
        "confidential", True, "abuse_exploitation", "other"
    )
    assert report.text is None  # nothing readable at rest
    vault = Vault(settings.secret_key)
    assert vault.decrypt(report.text_encrypted) == "Le gardien demande de l'argent contre la nourriture"
    assert vault.decrypt(report.callback_details_encrypted) == "070000099 après 18h"


def test_a_confidential_report_needs_no_details(phone, runtime):
    phone.converse(*ONBOARD_BM, "4", "1", "0")
    assert "Lakanali baarakèla dòròn de bèna nin kalan" in phone.send("3")  # folded: 1 SMS, not 2
    with runtime.database() as db:
        report = db.scalars(select(Feedback)).one()
    assert (report.text, report.text_encrypted, report.callback) == (None, None, "no")


def test_follow_up_tells_the_status_in_words(phone, runtime):
    phone.converse(*ONBOARD_FR, "1", NIAMANA, "2", "Pas d'eau")
    with runtime.database.begin() as db:
        feedback = db.scalars(select(Feedback)).one()
        feedback.status = "in_progress"
        reference = feedback.reference
    listing = phone.send("5")
    assert f"1 {reference}" in listing
    assert phone.send("1") == f"Référence {reference} : l'équipe s'en occupe.\n0 Menu"
    typed = f"{reference[:3].lower()} {reference[3:].lower()}"
    assert phone.converse("5", typed) == f"Référence {reference} : l'équipe s'en occupe.\n0 Menu"


def test_follow_up_on_someone_elses_reference_reveals_nothing(make_phone, runtime):
    owner = make_phone("+22370000021")
    owner.converse(*ONBOARD_FR, "1", NIAMANA, "2", "Pas d'eau")
    with runtime.database() as db:
        reference = db.scalar(select(Feedback.reference))
    stranger = make_phone("+22370000022")
    stranger.converse(*ONBOARD_FR, "5")  # no reference of their own: asked to type one
    reply = stranger.send(reference)
    assert reply == (
        f"Référence {reference} : nous ne trouvons pas cette référence pour votre numéro."
        " Vérifiez-la et envoyez 5 pour réessayer.\n0 Menu"
    )
    assert stranger.converse("5", "ZZZZZZ").endswith(
        "nous ne trouvons pas cette référence pour votre numéro. Vérifiez-la et envoyez 5 pour réessayer.\n0 Menu"
    )


def test_a_sign_up_reference_tells_the_sign_up(phone):
    phone.converse(*ONBOARD_BM, "3", NIAMANA, "1", "1")
    reply = phone.converse("5", "1")
    assert reply.endswith(": aw tɔgɔ sɛbɛnna lajɛ in na.\n0 Segin")


def test_help_answers_and_keeps_the_question_open(phone):
    phone.converse(*ONBOARD_FR, "1")
    assert phone.send("aide").startswith("baro transmet vos messages aux équipes de votre site.")
    assert "Votre plainte concerne" in phone.send("1")


def test_a_whole_conversation_in_bambara(phone, runtime):
    """Every screen a Bambara speaker reads on the way to a recorded complaint, as the SMS carries it.

    Under the default SMS_ALPHABET=auto each SMS keeps ɛ ɔ ɲ while it fits one UCS-2 SMS (70 characters),
    and a longer one goes in the older spelling (è ò ny), which fits one GSM-7 SMS (160)."""
    welcome = phone.send("I ni ce")
    assert "Aw bisimila! Kan sugandi:" in welcome
    assert phone.send("Bamanankan").startswith("baro bè aw ka cikanw mara")
    menu = phone.send("1")
    assert menu == (
        "Aw ni ce.\nAw ka sugandili nimòrò ci:\n1 Gèlèya dò fò\n2 Mago dò fò\n3 Sigida lajè\n"
        "4 Gundo kunnafoni\n5 Nimòrò dò kibaru\n6 Kan ni sigida"
    )
    assert (cost(menu).encoding, cost(menu).parts) == ("GSM-7", 1)  # 121 characters: 2 SMS with ɛ ɔ
    assert phone.send("1").startswith("Aw sigilen bè sigida jumèn na?\n1 Niamana")
    assert phone.send("Sénou").startswith("Aw ka gèlèya ye mun ko ye?")
    question = phone.send("keneya")  # Kɛnɛya, typed without ɛ
    assert question == "Aw ye gɛlɛya ɲɛfɔ kuma dama dɔ la.\n0 Segin"  # short: the letters cost nothing more
    assert (cost(question).encoding, cost(question).parts) == ("UCS-2", 1)
    done = phone.send("Dɔgɔtɔrɔso datugulen don")
    with runtime.database() as db:
        feedback = db.scalars(select(Feedback)).one()
        stored = db.scalars(select(Message.text).where(Message.direction == "out").order_by(Message.id)).all()
    assert done == (
        f"Aw ni ce, aw ka gèlèya sèbènna. Nimòrò: {feedback.reference}. Ka a kibaru nyini, aw ye 5 ci.\n0 Segin"
    )
    assert (cost(done).encoding, cost(done).parts) == ("GSM-7", 1)
    assert stored[-1] == done and menu in stored  # the desk shows, and counts, what was sent
    assert (feedback.category, feedback.language, feedback.text) == ("health", "bm", "Dɔgɔtɔrɔso datugulen don")


@pytest.fixture
def gsm_client(settings):
    from fastapi.testclient import TestClient

    from bot.app import create_app
    from bot.config import Settings

    with TestClient(create_app(Settings(**{**settings.model_dump(), "sms_alphabet": "gsm"}))) as client:
        yield client


def test_with_the_gsm_setting_bambara_goes_out_in_the_older_spelling(gsm_client, settings):
    from tests.conftest import Phone

    phone = Phone(gsm_client, "+22370000031", settings.twilio_auth_token)
    phone.converse("I ni ce", "2")
    assert phone.send("1").startswith("Aw ni ce.\nAw ka sugandili nimòrò ci:\n1 Gèlèya dò fò")
    whatsapp = Phone(gsm_client, "whatsapp:+22370000031", settings.twilio_auth_token)
    assert "Gɛlɛya dɔ fɔ" in whatsapp.send("menu")  # WhatsApp keeps the letters as written


def test_a_confidential_reports_conversation_is_encrypted_at_rest(phone, runtime, settings):
    phone.converse(*ONBOARD_FR, "1", NIAMANA, "2", "Pas d'eau")  # an ordinary complaint first
    phone.converse("4", "1", "Il me menace avec un couteau", "3")
    vault = Vault(settings.secret_key)
    with runtime.database() as db:
        rows = db.scalars(select(Message).order_by(Message.id)).all()
    secret = [m for m in rows if m.confidential]
    assert "Il me menace avec un couteau" not in {m.text for m in rows}
    assert [vault.decrypt(m.text_encrypted) for m in secret if m.direction == "in"] == [
        "4",
        "1",
        "Il me menace avec un couteau",
        "3",
    ]
    assert all(m.text is None for m in secret)
    assert "Pas d'eau" in {m.text for m in rows if not m.confidential}  # the rest stays readable to triage


# ---------------------------------------------------------------------------------------------
# People move: a site given long ago is checked before a report, and 6 changes it at any time.

STILL_AT_NIAMANA = "Toujours à Niamana ?\n1 Oui\n2 Non, j'ai déménagé"


def site_of(runtime) -> tuple[str, timedelta]:
    """The person's site, and how long ago they chose or confirmed it."""
    with runtime.database() as db:
        contact = db.scalars(select(Contact)).one()
        return contact.site.slug, utcnow() - contact.site_confirmed_at


def days_pass(runtime, days: int) -> None:
    """The site was chosen or confirmed `days` ago."""
    with runtime.database.begin() as db:
        db.execute(update(Contact).values(site_confirmed_at=utcnow() - timedelta(days=days)))


def test_31_days_after_choosing_a_site_a_complaint_asks_whether_the_person_moved(phone, runtime):
    phone.converse(*ONBOARD_FR, "1", NIAMANA, "2", "Pas d'eau")
    days_pass(runtime, 29)
    assert phone.send("1").startswith("Votre plainte concerne")  # recent: not asked
    phone.send("menu")
    days_pass(runtime, 31)

    assert phone.send("1") == STILL_AT_NIAMANA
    assert phone.send("2").startswith("Sur quel site vivez-vous maintenant ?\n1 Niamana\n2 Sogoniko\n3 Sénou")
    assert phone.send("3").startswith("Votre plainte concerne")
    phone.converse("2", "Toujours pas d'eau")

    site, age = site_of(runtime)
    assert site == "senou" and age < timedelta(minutes=1)
    with runtime.database() as db:
        latest = db.scalars(select(Feedback).order_by(Feedback.id.desc())).first()
        assert (latest.text, db.get(Site, latest.site_id).slug) == ("Toujours pas d'eau", "senou")


def test_still_there_keeps_the_site_and_is_not_asked_again_for_a_while(phone, runtime):
    phone.converse(*ONBOARD_FR, "1", NIAMANA, "2", "Pas d'eau")
    days_pass(runtime, 31)

    assert phone.send("2") == STILL_AT_NIAMANA  # a need too
    assert phone.send("1").startswith("De quoi avez-vous besoin ?")
    site, age = site_of(runtime)
    assert site == "niamana" and age < timedelta(minutes=1)
    phone.send("menu")
    assert phone.send("1").startswith("Votre plainte concerne")


def test_the_site_is_changed_from_the_main_menu(phone, runtime):
    phone.converse(*ONBOARD_FR, "1", NIAMANA, "2", "Pas d'eau")

    assert phone.send("6") == "Changer :\n1 Langue\n2 Site"
    phone.send("2")
    changed = phone.send("3")
    assert changed.startswith("C'est noté. Votre site : Sénou.\nEnvoyez un numéro :\n1 Signaler")
    assert site_of(runtime)[0] == "senou"
    assert phone.send("1").startswith("Votre plainte concerne")


@pytest.fixture
def never_asked(reconfigure):
    reconfigure(SITE_CONFIRM_DAYS="0")


def test_with_site_confirm_days_0_the_site_is_never_asked_about_again(never_asked, phone, runtime):
    phone.converse(*ONBOARD_FR, "1", NIAMANA, "2", "Pas d'eau")
    days_pass(runtime, 400)

    assert phone.send("1").startswith("Votre plainte concerne")
