"""The Twilio messaging webhook: signatures, retries, TwiML and hostile input."""

from sqlalchemy import func, select

from bot.models import Contact, Feedback, Message
from tests.conftest import TEST_URL, WEBHOOK, replies, sign, twilio_form


def count(runtime, model) -> int:
    with runtime.database() as db:
        return db.scalar(select(func.count()).select_from(model))


def test_first_message_gets_the_language_menu_in_twiml(phone):
    response = phone.post(twilio_form(phone.number, "Bonjour"))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/xml")
    (reply,) = replies(response.text)
    assert "1 Français" in reply and "2 Bamanankan" in reply


def test_missing_signature_is_refused_and_nothing_is_stored(client, runtime):
    response = client.post(WEBHOOK, data=twilio_form("+22370000001", "Bonjour"))
    assert response.status_code == 403
    assert count(runtime, Message) == 0 and count(runtime, Contact) == 0


def test_wrong_signature_is_refused_and_nothing_is_stored(phone, runtime):
    form = twilio_form(phone.number, "Bonjour")
    forged = sign("not-the-token", TEST_URL + WEBHOOK, form)
    assert phone.post(form, signature=forged).status_code == 403
    assert count(runtime, Message) == 0


def test_signature_over_another_url_is_refused(phone, runtime):
    form = twilio_form(phone.number, "Bonjour")
    assert phone.post(form, signature=sign(phone.auth_token, "http://elsewhere" + WEBHOOK, form)).status_code == 403


def test_a_retry_gets_the_same_answer_and_is_stored_once(phone, runtime):
    form = twilio_form(phone.number, "Bonjour", sid="SM" + "a" * 32)
    first, retry = phone.post(form), phone.post(form)
    assert first.status_code == retry.status_code == 200
    assert replies(first.text) == replies(retry.text)
    with runtime.database() as db:
        assert db.scalar(select(func.count()).where(Message.provider_id == form["MessageSid"])) == 1
        assert db.scalar(select(func.count()).where(Message.direction == "out")) == 1


def test_a_retry_of_a_submission_creates_one_feedback(phone, runtime):
    phone.converse("Bonjour", "1", "1", "1", "1", "2")
    form = twilio_form(phone.number, "La pompe est cassée", sid="SM" + "b" * 32)
    first, retry = phone.post(form), phone.post(form)
    assert replies(first.text) == replies(retry.text)
    assert "Référence" in replies(first.text)[0]
    assert count(runtime, Feedback) == 1


def test_no_reply_is_an_empty_response(phone):
    phone.converse("Bonjour", "1", "1")
    phone.send("STOP")
    response = phone.post(twilio_form(phone.number, "encore"))
    assert response.status_code == 200
    assert replies(response.text) == []
    assert response.text.replace(" ", "").endswith("<Response/>")


def test_oversized_body_is_refused_with_413(phone):
    form = twilio_form(phone.number, "x" * 70_000)
    assert phone.post(form).status_code == 413


def test_missing_fields_are_a_400(phone):
    for missing in ("MessageSid", "From"):
        form = twilio_form(phone.number, "Bonjour")
        del form[missing]
        assert phone.post(form).status_code == 400, missing


def test_invalid_utf8_is_a_400(client, settings):
    body = b"MessageSid=SM1&From=%2B22370000001&Body=%FF%FE"
    response = client.post(WEBHOOK, content=body, headers={"content-type": "application/x-www-form-urlencoded"})
    assert response.status_code == 400


def test_odd_number_formats_are_one_person(make_phone, runtime):
    make_phone("+22370000009").converse("Bonjour", "2")
    reply = make_phone("0022370000009").send("1")  # same number, international prefix instead of +
    assert "N sɔnna" not in reply and "Gɛlɛya dɔ fɔ" in reply  # consent accepted, menu in Bambara
    assert count(runtime, Contact) == 1


def test_a_sender_that_is_not_a_number_still_gets_an_answer(make_phone):
    assert "Bamanankan" in make_phone("ORANGE-INFO").send("Bonjour")


def test_emoji_and_bambara_letters_are_stored_as_sent(phone, runtime):
    phone.converse("Bonjour", "2", "1", "1", "1", "2")
    text = "Ji tɛ yen, ɲɔgɔn ka dɔgɔ 😢 ŋ"
    assert "Nimɔrɔ" in phone.send(text)
    with runtime.database() as db:
        assert db.scalar(select(Feedback.text)) == text
        assert text in db.scalars(select(Message.text).where(Message.direction == "in")).all()


def test_an_empty_body_repeats_the_question_with_a_hint(phone):
    phone.converse("Bonjour", "1")
    reply = phone.send("")
    assert "Répondez avec un des numéros" in reply and "J'accepte" in reply


def test_a_missing_body_is_treated_as_empty(phone):
    response = phone.post(twilio_form(phone.number, None))
    assert response.status_code == 200 and "Bamanankan" in replies(response.text)[0]


def test_media_only_message_is_kept_and_asks_for_words(phone, runtime):
    phone.converse("Bonjour", "1", "1", "1", "1", "2")
    media = {"NumMedia": "1", "MediaUrl0": "https://api.twilio.com/media/ME1", "MediaContentType0": "image/jpeg"}
    reply = phone.send("", **media)
    assert "Écrivez votre message en mots" in reply
    with runtime.database() as db:
        assert db.scalar(select(Message.media).where(Message.media.is_not(None))) == [media["MediaUrl0"]]
        assert count(runtime, Feedback) == 0


def test_unknown_fields_are_ignored(phone):
    assert "Bamanankan" in phone.send("Bonjour", ProfileName="Awa", NewFieldTwilioAddedToday="x")


def test_health_reports_database_and_redis(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"database": "up", "redis": "up"}
