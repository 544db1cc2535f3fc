"""The voice line (Twilio Voice): the same flows by telephone, for people who cannot read.

A call is answered in TwiML: menus are key presses (the numbers of SMS), a description is spoken after a beep,
the reference is said and, except for a confidential report, also sent by SMS. A missed call is rejected
(free for the caller) and called back. A language is offered only once its prompts are all recorded. The
Caller is in tests/channels/voice_caller.py.
"""

import xml.etree.ElementTree as ET

import pytest
from sqlalchemy import select

from bot.models import Attachment, Feedback, Message, Site
from bot.voice_prompts import Recordings
from tests.channels.support import rows
from tests.channels.voice_caller import LINE, PHONE, VOICE, Caller, first_words, record_every_prompt, said, verbs
from tests.conftest import TEST_URL, run_worker, sign

RECORDING = "/2010-04-01/Accounts/{account}/Recordings/RE0123456789abcdef0123456789abcdef"


def caller(client, settings, **options) -> Caller:
    return Caller(client, settings.twilio_auth_token, **options)


def feedbacks(runtime) -> list[Feedback]:
    with runtime.database() as db:
        return list(db.scalars(select(Feedback).order_by(Feedback.id)))


def sms_to_send(runtime) -> list[str]:
    with runtime.database() as db:
        return list(db.scalars(select(Message.text).where(Message.direction == "out", Message.channel == "sms")))


def at_main_menu(call: Caller) -> None:
    call.dial()
    call.press("1")  # Français
    call.press("1")  # I accept


# ---------------------------------------------------------------------------------------------
# 1. Only Twilio's signed requests.


@pytest.mark.parametrize("path", [VOICE, f"{VOICE}/gather?step=1", f"{VOICE}/record?step=1"])
def test_an_unsigned_or_forged_request_is_refused(twilio, client, settings, runtime, path):
    call = caller(client, settings)
    form = {"CallSid": call.call_sid, "From": PHONE, "To": LINE, "Digits": "1"}
    assert client.post(TEST_URL + path, data=form).status_code == 403
    assert call.post(TEST_URL + path, form, signature="forged").status_code == 403
    # Twilio signs the URL with its step: a signature over another step is none for this one.
    another_step = sign(settings.twilio_auth_token, f"{TEST_URL}{VOICE}/gather?step=9", form)
    assert call.post(TEST_URL + path, form, signature=another_step).status_code == 403
    assert rows(runtime).inbound == 0


# ---------------------------------------------------------------------------------------------
# 2. A whole complaint by voice, in French.


def test_a_whole_complaint_by_voice_in_french(twilio, client, settings, runtime):
    call = caller(client, settings)
    menu = call.dial()
    assert verbs(menu) == ["Gather", "Gather", "Say", "Hangup"]  # asked, asked once more, goodbye
    gather = menu.find("Gather")
    assert (gather.get("input"), gather.get("numDigits")) == ("dtmf", "1")
    assert gather.get("action") == f"{TEST_URL}{VOICE}/gather?step=1"
    # Bambara is not recorded: only French is offered, by Twilio's French voice.
    assert first_words(menu) == "Bienvenue sur baro. Votre langue : Appuyez sur 1 pour Français"
    assert all(say.get("language") == "fr-FR" for say in menu.iter("Say"))

    assert "J'accepte" in first_words(call.press("1"))
    main = first_words(call.press("1"))
    assert "Appuyez sur 1 pour Signaler un problème" in main and "Appuyez sur 5 pour" in main
    sites = first_words(call.press("1"))
    assert "Appuyez sur 3 pour Sénou" in sites  # a site's name, said in French
    call.press("3")
    description = call.press("2")  # water and sanitation
    assert verbs(description)[-3:] == ["Record", "Say", "Hangup"]  # asked twice, then goodbye
    assert verbs(description).count("Record") == 2
    record = description.find("Record")
    assert record.attrib == {
        "action": f"{TEST_URL}{VOICE}/record?step=6",
        "method": "POST",
        "maxLength": "120",
        "playBeep": "true",
        "finishOnKey": "#0",
        "timeout": "10",
    }
    assert "Parlez après le bip, puis appuyez sur #." in first_words(description)

    end = call.speak(twilio.url + RECORDING.format(account=settings.twilio_account_sid), seconds=12)

    (feedback,) = feedbacks(runtime)
    assert (feedback.kind, feedback.channel, feedback.category) == ("complaint", "voice", "water_sanitation")
    assert verbs(end)[-1] == "Hangup"
    # Said in the last words, then once more letter by letter.
    assert first_words(end).endswith("Votre référence est " + " ".join(feedback.reference))
    # The words are gone when the call ends: the reference stays with the person by SMS.
    (sms,) = sms_to_send(runtime)
    assert feedback.reference in sms and "0 Menu" not in sms


# ---------------------------------------------------------------------------------------------
# 3. A confidential report by voice: never any SMS.


def test_a_confidential_report_by_voice_is_never_followed_by_an_sms(twilio, client, settings, runtime):
    call = caller(client, settings)
    at_main_menu(call)
    call.press("4")
    details = call.press("1")  # violence
    assert details.find("Record") is not None
    assert "Appuyez sur 0 pour" in first_words(details)  # a way out: no words
    call.speak(twilio.url + RECORDING.format(account=settings.twilio_account_sid), key="0")  # says no more
    end = call.press("3")  # do not call me back

    (feedback,) = feedbacks(runtime)
    assert (feedback.kind, feedback.channel) == ("confidential", "voice")
    assert verbs(end)[-1] == "Hangup"
    assert all(character in said(end) for character in feedback.reference)  # said to the caller, once
    run_worker(runtime.redis)
    assert sms_to_send(runtime) == []
    assert twilio.sent == []


# ---------------------------------------------------------------------------------------------
# 4. A missed call is called back.


def test_a_missed_call_is_rejected_and_called_back(callback, client, settings, runtime):
    missed = caller(client, settings)
    answer = missed.dial()
    assert [(element.tag, element.attrib) for element in answer] == [("Reject", {"reason": "busy"})]
    assert missed.replay().text == missed.post(*missed.last).text  # Twilio's retries: still one call back

    run_worker(runtime.redis)
    (created,) = callback.calls
    assert (created.form["To"], created.form["From"]) == (PHONE, LINE)
    assert created.form["Url"] == f"{TEST_URL}{VOICE}"
    run_worker(runtime.redis)
    assert len(callback.calls) == 1

    # Baro's call: Twilio requests the Url, and the person hears the flow.
    called = caller(client, settings, called_back=True)
    assert "Votre langue" in first_words(called.dial())
    called.press("1")
    with runtime.database() as db:
        contact_ids = set(db.scalars(select(Message.contact_id)))
    assert len(contact_ids) == 1 and rows(runtime).contacts == 1


# ---------------------------------------------------------------------------------------------
# 5. Bambara is offered once its prompts are all recorded.


def test_bambara_is_offered_only_once_all_its_prompts_are_recorded(twilio, prompts_dir, client, settings, runtime):
    assert "Bamanankan" not in first_words(caller(client, settings).dial())

    recordings = Recordings.configured(runtime.settings, runtime.catalogues, runtime.flows)
    (prompts_dir / "bm").mkdir(parents=True)
    for prompt in recordings.missing("bm"):
        (prompts_dir / "bm" / f"{prompt.key}.wav").write_bytes(b"RIFF\x24\x00\x00\x00WAVEfmt ")

    call = caller(client, settings)
    menu = call.dial()
    offered = said(menu)
    assert "Appuyez sur 1 pour Français" in " ".join(offered)
    assert any(sound.startswith("bm/language-name-") for sound in offered)  # "Bamanankan", recorded
    consent = said(call.press("2"))
    # Every text of ours is a recording; only data is said by the French voice: the line's name, the keys.
    assert {sound for sound in consent if not sound.startswith("bm/")} == {"baro", "1", "2"}
    played = next(play.text for play in call.twiml.iter("Play"))
    response = client.get(played)
    assert response.status_code == 200 and response.headers["content-type"] == "audio/wav"


# ---------------------------------------------------------------------------------------------
# 6. Twilio's retries.


def test_a_retried_request_gets_the_same_answer_and_is_stored_once(twilio, client, settings, runtime):
    call = caller(client, settings)
    first = call.dial()
    again = call.replay()
    assert again.status_code == 200 and said(ET.fromstring(again.text)) == said(first)
    call.press("1")
    before = rows(runtime)
    assert call.replay().status_code == 200
    assert rows(runtime) == before


def test_follow_up_by_voice_without_a_reference_goes_back_to_the_menu(twilio, client, settings, runtime):
    call = caller(client, settings)
    at_main_menu(call)
    answer = first_words(call.press("5"))
    assert answer.startswith("Vous n'avez pas encore de référence.")
    assert "Appuyez sur 1 pour Signaler un problème" in answer


# ---------------------------------------------------------------------------------------------
# 7. The whole of it in Bambara, with test recordings.


def only_recordings(twiml: ET.Element, data: tuple[str, ...] = (), lang: str = "bm") -> bool:
    """Every text of ours played from `lang`'s recordings; Twilio's French voice says only `data` (a name)."""
    return {say.text.strip() for say in twiml.iter("Say") if say.text and say.text.strip()} <= set(data) and all(
        f"/voice/prompts/{lang}/" in play.text for play in twiml.iter("Play")
    )


def spelt(reference: str, lang: str = "bm") -> str:
    """A reference said letter by letter, each a recording of its own."""
    return " ".join(f"{lang}/char-{character.lower()}.wav" for character in reference)


def test_a_whole_complaint_by_voice_in_bambara(callback, prompts_dir, client, settings, runtime):
    record_every_prompt(runtime, prompts_dir)
    assert caller(client, settings).dial().find("Reject") is not None  # the person "flashes" the line
    run_worker(runtime.redis)
    (created,) = callback.calls
    assert created.form["To"] == PHONE

    call = caller(client, settings, called_back=True)
    languages = call.dial()
    assert any(sound.startswith("bm/language-name-") for sound in said(languages))
    consent = call.press("2")  # Bamanankan
    main = call.press("1")  # I accept
    sites = call.press("1")  # report a problem
    categories = call.press("3")  # Sénou
    description = call.press("2")  # water and sanitation
    assert description.find("Record") is not None
    # Data, not texts of ours, is said by Twilio's French voice: the line's name, the sites' names.
    assert only_recordings(consent, data=("baro",))
    with runtime.database() as db:
        site_names = tuple(db.scalars(select(Site.name)))
    assert "Sénou" in site_names and only_recordings(sites, data=site_names)
    for twiml in (main, categories, description):
        assert only_recordings(twiml), ET.tostring(twiml)
    played = client.get(next(description.iter("Play")).text)
    assert played.status_code == 200 and played.content.startswith(b"RIFF")

    spoken_words = b"RIFF-a-spoken-description"
    end = call.speak(callback.add_recording(spoken_words), seconds=9)

    (feedback,) = feedbacks(runtime)
    assert (feedback.kind, feedback.channel, feedback.category) == ("complaint", "voice", "water_sanitation")
    assert verbs(end)[-1] == "Hangup" and only_recordings(end)
    assert spelt(feedback.reference) in " ".join(said(end))

    run_worker(runtime.redis)
    with runtime.database() as db:
        (attachment,) = db.scalars(select(Attachment))
        assert (attachment.kind, attachment.status, attachment.seconds) == ("audio", "stored", 9)
        assert attachment.feedback_id == feedback.id
        assert attachment.content_encrypted and spoken_words not in attachment.content_encrypted
        assert runtime.vault.decrypt_bytes(attachment.content_encrypted) == spoken_words
    assert callback.deleted  # only the encrypted copy remains
    # The words are gone when the call ends: the reference stays with the person by SMS, in Bambara.
    (sms,) = callback.sent
    assert sms.form["To"] == PHONE
    # (Its Bambara letters written as GSM-7 ones, so that it costs one SMS part.)
    thanks = "Aw ni ce, aw ka gèlèya sèbènna."
    assert sms.form["Body"] == f"{thanks} Nimòrò: {feedback.reference}. Ka a kibaru nyini, aw ye 5 ci."


def test_a_follow_up_by_voice_in_bambara_chooses_among_the_persons_references(
    twilio, prompts_dir, client, settings, runtime
):
    record_every_prompt(runtime, prompts_dir)
    recording = twilio.url + RECORDING.format(account=settings.twilio_account_sid)
    # Two complaints by voice: the first call chooses Bambara and accepts, the next ones are at the menu at once.
    for keys in (("2", "1", "1", "3", "2"), ("1", "3")):  # the site is known the second time
        call = caller(client, settings)
        call.dial()
        for key in keys:
            call.press(key)
        call.speak(recording)
    first, second = feedbacks(runtime)

    call = caller(client, settings)
    assert only_recordings(call.dial())
    mine = call.press("5")
    # Each reference offered with the key to press for it, newest first; as a menu's label it is data, said
    # by Twilio's French voice (not yet spelt with the Bambara letter recordings, as the reference is at the end).
    assert mine.find("Gather") is not None and only_recordings(mine, data=(first.reference, second.reference))
    assert [say.text for say in mine.find("Gather").iter("Say")] == [second.reference, first.reference]
    status = call.press("1")  # the newest
    assert verbs(status)[-1] == "Hangup" and only_recordings(status)
    assert spelt(second.reference) in " ".join(said(status))
