"""Whole USSD sessions, replayed the way an aggregator (Africa's Talking protocol) sends them.

What a person on a basic handset goes through: first contact and a complaint in Bambara, every
screen fitting on one (paging with 98/0 when it does not), free text that keeps its `*`, the
aggregator's replays mid-session, a new session after hanging up, every service in Bambara,
STOP, and the reference confirmed by SMS when an SMS sender is configured (never for a
confidential report). A single request's checks (token, form, limits) are the table in
tests/channels/test_africastalking_ussd.py; the Aggregator is in tests/channels/ussd_aggregator.py.
"""

from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from bot.actions.sign_up import answer as signup_answer
from bot.actions.status_texts import SIGNUP_STATUS, STATUS
from bot.models import Contact, Feedback, Message, Signup, Site, utcnow
from bot.outbound.gsm7 import cost, to_gsm
from tests.channels.support import count
from tests.channels.ussd_aggregator import PHONE, SCREEN, TOKEN, Aggregator, body, lines, onboard, screen
from tests.conftest import run_worker

# Free text a person may type, with the separator the aggregator itself uses.
STARRED = "pompe * cassée * depuis lundi"


def feedbacks(runtime) -> list[Feedback]:
    with runtime.database() as db:
        return list(db.scalars(select(Feedback).order_by(Feedback.id)))


def pending_sms(runtime) -> list[Message]:
    with runtime.database() as db:
        return list(
            db.scalars(
                select(Message).where(
                    Message.direction == "out", Message.channel == "sms", Message.status.in_(("pending", "queued"))
                )
            )
        )


@pytest.fixture
def without_sms_sender(reconfigure):
    """USSD is configured, but no SMS sender is (no TWILIO_SMS_FROM); list it before `client`."""
    reconfigure(USSD_TOKEN=TOKEN, TWILIO_SMS_FROM=None, TWILIO_WHATSAPP_FROM=None, GATEWAY_URL=None)


# ---------------------------------------------------------------------------------------------
# 1. First contact and a complaint in Bambara.


def test_first_contact_then_a_whole_complaint_in_bambara(twilio, client, runtime):
    catalogues = runtime.catalogues
    welcome = runtime.conversations.flows.state("welcome", "language").prompt
    session = Aggregator(client)

    assert session.dial() == (
        f"CON {catalogues.text('fr', welcome)}\n{catalogues.text('bm', welcome)}\n1 Français\n2 Bamanankan"
    )
    assert session.press("2") == "CON " + screen(runtime, "bm", "welcome", "consent")
    assert session.press("1") == "CON " + "\n".join(
        [screen(runtime, "bm", "welcome", "accepted"), screen(runtime, "bm", "main", "menu")]
    )
    assert session.press("1") == "CON " + "\n".join(
        [screen(runtime, "bm", "complaint", "site"), "1 Niamana", "2 Sogoniko", "3 Sénou", "4 Mopti", "5 Gao"]
    )
    assert session.press("3") == "CON " + screen(runtime, "bm", "complaint", "category")
    assert session.press("2") == "CON " + screen(runtime, "bm", "complaint", "description")
    done = session.press("Ji tɛ yen")

    (feedback,) = feedbacks(runtime)
    assert done == "END " + screen(runtime, "bm", "complaint", "done", reference=feedback.reference)
    assert done == f"END Aw ni ce, aw ka gɛlɛya sɛbɛnna. Nimɔrɔ: {feedback.reference}. Ka a kibaru ɲini, aw ye 5 ci."
    assert (feedback.kind, feedback.channel, feedback.language) == ("complaint", "ussd", "bm")
    assert (feedback.category, feedback.text) == ("water_sanitation", "Ji tɛ yen")
    with runtime.database() as db:
        assert db.get(Site, feedback.site_id).slug == "senou"


# ---------------------------------------------------------------------------------------------
# 2. Every screen fits (the Aggregator checks each answer); here the long ones in French.


def test_every_french_screen_fits_even_after_a_wrong_key(twilio, client, runtime):
    session = Aggregator(client)
    session.dial()
    session.press("1")
    # A wrong key at the consent: the hint and the long consent text do not fit on one screen.
    wrong = session.press("9")
    assert wrong.startswith("CON ") and "98 Plus" in body(wrong)
    pages = [body(wrong)]
    while "98 Plus" in lines(session.answer):
        pages.append(body(session.press("98")))
    assert screen(runtime, "fr", "welcome", "consent").split("\n")[0] in "\n".join(pages)
    session.press("1")  # accepted, from whichever page
    assert "Envoyez un numéro" in session.answer

    wrong_menu = session.press("7")
    assert wrong_menu.startswith("CON Répondez avec un des numéros")
    session.presses("4", "2", "Le gardien demande de l'argent", "2", "070000099 après 18h")
    assert session.answer.startswith("END Merci de votre confiance.")
    assert all(len(body(answer)) <= SCREEN for answer in session.screens)
    assert max(len(body(answer)) for answer in session.screens) > 150  # the check met long screens


# ---------------------------------------------------------------------------------------------
# 3. Free text keeps its stars.


def test_free_text_with_stars_is_stored_whole(twilio, client, runtime):
    session = onboard(client, "1")
    session.presses("1", "1", "2")
    assert session.text.endswith("*1*1*2")
    done = session.press(STARRED)
    assert session.text.endswith("*2*" + STARRED)  # as the aggregator relays it
    (feedback,) = feedbacks(runtime)
    assert feedback.text == STARRED
    assert done.startswith("END ") and feedback.reference in done


# ---------------------------------------------------------------------------------------------
# 4. A replayed request.


def test_a_replayed_request_gets_the_same_answer_and_stores_nothing(twilio, client, runtime):
    session = onboard(client)
    category = session.presses("1", "1")
    stored = count(runtime, Message)

    assert session.replay() == category
    assert count(runtime, Message) == stored
    assert session.press("4") == "CON " + screen(runtime, "bm", "complaint", "description")  # the session goes on


def test_a_replayed_submission_records_one_complaint_and_one_sms(twilio, client, runtime):
    session = onboard(client)
    done = session.presses("1", "1", "4", "Dumuni tɛ sɔrɔ")
    stored = count(runtime, Message)

    assert session.replay() == done
    assert session.replay() == done
    (feedback,) = feedbacks(runtime)
    assert feedback.reference in done
    assert count(runtime, Message) == stored
    assert len(pending_sms(runtime)) == 1


def test_a_replayed_first_request_shows_the_language_menu_again(twilio, client, runtime):
    session = Aggregator(client)
    first = session.dial()
    assert session.replay() == first
    assert count(runtime, Message) == 2  # the dial and its answer, once
    assert session.press("1").startswith("CON baro garde vos messages")


# ---------------------------------------------------------------------------------------------
# 5. A menu longer than a screen is paged.

SITE_NAMES = [f"Site de relogement provisoire numéro {n}" for n in range(1, 13)]


@pytest.fixture
def many_sites(runtime):
    with runtime.database.begin() as db:
        for n, name in enumerate(SITE_NAMES, start=1):
            db.add(Site(slug=f"relogement-{n}", name=name, region="Bamako", position=10 + n))
    return SITE_NAMES


def test_a_long_site_menu_is_paged_and_nothing_is_cut(twilio, client, runtime, many_sites):
    session = onboard(client, "1")
    first = session.press("1")
    assert first.startswith("CON Sur quel site vivez-vous ?\n1 Niamana\n")
    assert lines(first)[-1] == "98 Plus" and "0 Retour" not in first

    second = session.press("98")
    assert second.startswith("CON ") and lines(second)[-1] == "0 Retour"
    stored = count(runtime, Message)
    assert session.replay() == second  # a replayed "98" does not turn the page twice
    assert count(runtime, Message) == stored
    assert "98 Plus" in lines(second)
    assert session.press("0") == first  # back to the first page, word for word

    pages = [first, session.press("98")]
    assert pages[1] == second
    while "98 Plus" in lines(session.answer):
        pages.append(session.press("98"))
    assert lines(pages[-1])[-1] == "0 Retour" and "98 Plus" not in lines(pages[-1])
    shown = "\n".join(body(page) for page in pages)
    for name in ("Niamana", "Sogoniko", "Sénou", "Mopti", "Gao", *many_sites):
        assert f" {name}\n" in shown + "\n", name
    numbers = [line.split(" ", 1)[0] for line in shown.split("\n") if line[:1].isdigit()]
    assert [n for n in numbers if n not in ("98", "0")] == [str(i) for i in range(1, 18)]

    # Back to page 2 and pick a site shown only there.
    while session.answer != first:
        session.press("0")
    page_two = session.press("98")
    key, name = next(
        line.split(" ", 1) for line in lines(page_two) if line[:1].isdigit() and not line.startswith(("98 ", "0 "))
    )
    assert name not in body(first)
    assert session.press(key) == "CON " + screen(runtime, "fr", "complaint", "category")
    session.presses("3", "Le centre de santé est fermé")
    (feedback,) = feedbacks(runtime)
    with runtime.database() as db:
        assert db.get(Site, feedback.site_id).name == name


# ---------------------------------------------------------------------------------------------
# 6. A new session after stopping half-way.


def test_a_new_session_after_stopping_half_way_starts_at_the_main_menu(twilio, client, runtime):
    first = onboard(client)
    assert first.presses("1", "1") == "CON " + screen(runtime, "bm", "complaint", "category")
    # The person hangs up; later they dial again: a new session id.
    again = Aggregator(client)
    assert again.dial() == "CON " + screen(runtime, "bm", "main", "menu")
    # The site is remembered too: straight to the category.
    assert again.press("1") == "CON " + screen(runtime, "bm", "complaint", "category")
    assert feedbacks(runtime) == []


def test_a_new_session_after_a_submission_starts_at_the_main_menu(twilio, client, runtime):
    onboard(client, "1").presses("2", "1", "8", "Je cherche du travail")
    again = Aggregator(client)
    assert again.dial() == "CON " + screen(runtime, "fr", "main", "menu")


# ---------------------------------------------------------------------------------------------
# 7. The reference also goes by SMS, when an SMS sender is configured.


def test_a_ussd_submission_sends_its_confirmation_by_sms(twilio, client, runtime):
    done = onboard(client).presses("1", "1", "2", "Ji tɛ yen")
    (feedback,) = feedbacks(runtime)
    assert twilio.sent == []  # queued, not sent from the webhook

    run_worker(runtime.redis)

    (sms,) = twilio.sent
    assert sms.form["To"] == PHONE and sms.form["From"] == "+22320000000"
    assert feedback.reference in sms.form["Body"]
    # The same words as the last screen, which keeps ɛ ɔ ɲ (USSD_ALPHABET=unicode); the SMS carries them in the
    # older spelling, one GSM-7 SMS rather than two UCS-2 parts (SMS_ALPHABET=auto).
    assert "ɛ" in body(done) and sms.form["Body"] == to_gsm(body(done))
    assert cost(sms.form["Body"]).parts == 1
    assert sms.form["StatusCallback"].endswith("/webhooks/twilio/status")
    with runtime.database() as db:
        message = db.scalars(select(Message).where(Message.channel == "sms")).one()
    assert (message.direction, message.status, message.provider_id) == ("out", "queued", sms.sid)


def test_without_an_sms_sender_no_sms_is_queued(without_sms_sender, client, runtime):
    assert "sms" not in runtime.senders
    done = onboard(client).presses("1", "1", "2", "Ji tɛ yen")
    (feedback,) = feedbacks(runtime)
    assert feedback.reference in done
    assert pending_sms(runtime) == []
    with runtime.database() as db:
        assert db.scalars(select(Message).where(Message.channel == "sms")).all() == []


# ---------------------------------------------------------------------------------------------
# 8. Every main-menu service, in Bambara, over USSD.


def test_a_bambara_speaker_completes_every_service_over_ussd(twilio, client, runtime):
    catalogues = runtime.catalogues

    # A complaint first, which also sets the site (Niamana).
    complaint = onboard(client).presses("1", "1", "1", "Bon tɛ")
    (complaint_feedback,) = feedbacks(runtime)
    assert complaint == "END " + screen(runtime, "bm", "complaint", "done", reference=complaint_feedback.reference)

    # 2: a need.
    need = Aggregator(client)
    need.dial()
    assert need.press("2") == "CON " + screen(runtime, "bm", "need", "category")
    assert need.press("8") == "CON " + screen(runtime, "bm", "need", "description")
    done = need.press("Baara de bɛ n mago la")
    need_feedback = feedbacks(runtime)[-1]
    assert done == "END " + screen(runtime, "bm", "need", "done", reference=need_feedback.reference)
    assert (need_feedback.kind, need_feedback.category, need_feedback.channel) == ("need", "livelihoods", "ussd")

    # 3: the assembly at Niamana.
    assembly = Aggregator(client)
    assembly.dial()
    listing = assembly.press("3")
    assert lines(listing)[0] == catalogues.fill("bm", runtime.conversations.flows.state("assembly", "pick").prompt, {})
    assert lines(listing)[1].startswith("1 Assemblée citoyenne de Niamana, ")
    assert lines(listing)[1].endswith(", 10:00, Espace communautaire de Niamana")
    confirm = assembly.press("1")
    assert confirm.startswith("CON Aw bɛ aw tɔgɔ sɛbɛn Assemblée citoyenne de Niamana la, ")
    assert lines(confirm)[-2:] == ["1 Ɔwɔ", "2 Ayi"]
    signed = assembly.press("1")
    with runtime.database() as db:
        signup = db.scalars(select(Signup)).one()
        signup_reference = signup.feedback.reference
        told = signup_answer(signup.assembly, "confirmed", signup_reference, "bm", "fr")  # title, day, place
    assert signed == "END " + screen(runtime, "bm", "assembly", "signed", signup=told)
    assert signed.startswith("END Sɛbɛnna: Assemblée citoyenne de Niamana, ")
    assert signed.endswith(f", 10:00, Espace communautaire de Niamana. Nimɔrɔ {signup_reference}. Ka bɔ: DABILA")
    assert signup.status == "confirmed"

    # 4: a confidential report, without details, no call back.
    report = Aggregator(client)
    report.dial()
    assert report.press("4") == "CON " + screen(runtime, "bm", "confidential", "what")
    assert report.press("1") == "CON " + screen(runtime, "bm", "confidential", "details")
    assert report.press("0") == "CON " + screen(runtime, "bm", "confidential", "callback")
    reported = report.press("3")
    confidential = feedbacks(runtime)[-1]
    assert reported == "END " + screen(runtime, "bm", "confidential", "done", reference=confidential.reference)
    assert (confidential.kind, confidential.confidential, confidential.callback) == ("confidential", True, "no")
    assert (confidential.category, confidential.text, confidential.channel) == ("violence", None, "ussd")

    # 5: follow-up, on their own references; never the confidential report's, which others may see on the screen.
    follow = Aggregator(client)
    follow.dial()
    listing = follow.press("5")
    prompt = catalogues.fill("bm", runtime.conversations.flows.state("followup", "reference").prompt, {})
    newest_first = [signup_reference, need_feedback.reference, complaint_feedback.reference]
    assert listing == "CON " + "\n".join([prompt, *(f"{i} {ref}" for i, ref in enumerate(newest_first, 1))])
    status = runtime.conversations.flows.state("followup", "status").prompt
    assert follow.press("3") == "END " + catalogues.fill(
        "bm", status, {"reference": complaint_feedback.reference, "status": STATUS["new"]}
    )
    assert follow.answer == f"END Nimɔrɔ {complaint_feedback.reference}: a sɔrɔla, baarakɛlaw bɛna a kalan sɔɔni."

    by_number = Aggregator(client)
    by_number.dial()
    by_number.press("5")
    assert by_number.press(signup_reference.lower()) == "END " + catalogues.fill(
        "bm", status, {"reference": signup_reference, "status": SIGNUP_STATUS["confirmed"]}
    )


# ---------------------------------------------------------------------------------------------
# 9. STOP over USSD.


def test_stop_over_ussd_ends_the_session_with_the_notice(twilio, client, runtime):
    session = onboard(client, "1")
    assert session.press("STOP") == "END Vous ne recevrez plus de messages de baro. Pour revenir, envoyez START."
    with runtime.database() as db:
        assert db.scalars(select(Contact)).one().opted_out_at is not None
    assert pending_sms(runtime) == []


def test_an_opted_out_person_who_dials_again_can_come_back(twilio, client, runtime):
    onboard(client, "1").press("STOP")
    again = Aggregator(client)
    welcome = again.dial()
    assert body(welcome).strip() != ""
    assert welcome.startswith("CON ")
    assert again.press("START").startswith("CON Bon retour")


# ---------------------------------------------------------------------------------------------
# 10. A confidential report is never confirmed by SMS.


def test_a_confidential_report_over_ussd_is_not_confirmed_by_sms(twilio, client, runtime):
    """An SMS would stay in the inbox of a phone that others may read: the screen alone shows the reference."""
    caller = Aggregator(client, "ATUid_confidential", "+22370000059")
    caller.dial()
    last = caller.presses("1", "1", "4", "1", "0", "3")
    assert last.startswith("END ")
    run_worker(runtime.redis)
    assert twilio.sent == []
    with runtime.database() as db:
        assert db.scalar(select(func.count()).select_from(Message).where(Message.status == "pending")) == 0


# ---------------------------------------------------------------------------------------------
# 11. People move: a site given 31 days ago is checked; the answer is kept.


def test_a_site_given_31_days_ago_is_checked_and_a_move_is_kept(twilio, client, runtime):
    onboard(client).presses("1", "1", "1", "Bon tɛ")  # a complaint at Niamana
    with runtime.database.begin() as db:
        db.execute(update(Contact).values(site_confirmed_at=utcnow() - timedelta(days=31)))
    session = Aggregator(client)
    session.dial()

    assert session.press("1") == "CON " + screen(runtime, "bm", "complaint", "still_there", site_name="Niamana")
    assert session.answer == "CON Aw sigilen bɛ Niamana la hali bi wa?\n1 Ɔwɔ\n2 Ayi, n bɔra yen"
    assert session.press("2") == "CON " + "\n".join(
        [screen(runtime, "bm", "complaint", "moved"), "1 Niamana", "2 Sogoniko", "3 Sénou", "4 Mopti", "5 Gao"]
    )
    assert session.press("3") == "CON " + screen(runtime, "bm", "complaint", "category")
    session.presses("2", "Ji tɛ yen")

    with runtime.database() as db:
        contact = db.scalars(select(Contact)).one()
        assert contact.site.slug == "senou" and utcnow() - contact.site_confirmed_at < timedelta(minutes=1)
        assert db.get(Site, feedbacks(runtime)[-1].site_id).slug == "senou"
