"""WhatsApp voice notes and photos: a description may be spoken or shown, and staff hear and see it, safely.

Through the real webhook, the real RQ worker and the real Twilio SDK's credentials against the local Twilio
double: the file is fetched from Twilio only, kept encrypted, deleted at Twilio, and served to staff under the
same access rules and audit as the text.
"""

import os
import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select, update

from bot.accounts import issue_api_token
from bot.engine.texts import EMPTY_TEXT_HINT, MEDIA_HINT, MEDIA_REFUSED
from bot.models import Attachment, CaseEvent, Feedback, Message, StaffUser, utcnow
from bot.notices import FILE_TOO_LARGE
from tests.admin_support import log_in, make_staff
from tests.conftest import run_worker
from tests.flows.screens import ended
from tests.test_whatsapp import WhatsApp, feedbacks, onboard_in_bambara, screen
from tests.twilio_double import TwilioDouble

VOICE = b"OggS" + os.urandom(4000)  # what the person said, as WhatsApp sends it
PHOTO = b"\x89PNG\r\n\x1a\n" + os.urandom(3000)


def send_file(person: WhatsApp, url: str, content_type: str, caption: str = "") -> str:
    """A WhatsApp message with one file, as Twilio posts it."""
    kind = content_type.split("/")[0]
    fields = {**person.extra, "MessageType": kind, "NumMedia": "1", "MediaUrl0": url, "MediaContentType0": content_type}
    return person.phone.send(caption, **fields)


def attachments(runtime) -> list[Attachment]:
    with runtime.database() as db:
        return list(db.scalars(select(Attachment).order_by(Attachment.id)))


def stored_bytes(runtime) -> bytes:
    with runtime.database() as db:
        return db.scalar(select(Attachment.content_encrypted))


def hint(runtime, lang: str, text) -> str:
    return runtime.catalogues.text(lang, text)


def at_the_description(person: WhatsApp) -> None:
    """A Bambara speaker on WhatsApp, at a complaint's description (Niamana, water)."""
    onboard_in_bambara(person)
    person.converse("1", "1", "2")


@pytest.fixture
def awa(twilio, make_phone) -> WhatsApp:
    return WhatsApp(make_phone)


def test_a_voice_note_is_a_complaints_description_kept_encrypted_and_deleted_at_twilio(twilio, awa, runtime):
    at_the_description(awa)
    url = twilio.add_media(VOICE, "audio/ogg")
    done = send_file(awa, url, "audio/ogg")

    (feedback,) = feedbacks(runtime)  # created at once: the reference is given in the same answer
    assert done == ended("bm", screen(runtime, "bm", "complaint", "done", reference=feedback.reference))
    assert (feedback.kind, feedback.category, feedback.text) == ("complaint", "water_sanitation", None)
    (waiting,) = attachments(runtime)
    assert (waiting.status, waiting.kind, waiting.url) == ("pending", "audio", url)

    run_worker(runtime.redis)

    (kept,) = attachments(runtime)
    assert (kept.status, kept.kind, kept.content_type, kept.size, kept.url) == (
        "stored",
        "audio",
        "audio/ogg",
        len(VOICE),
        None,
    )
    encrypted = stored_bytes(runtime)
    assert VOICE not in encrypted and runtime.vault.decrypt_bytes(encrypted) == VOICE
    assert kept.message_id == feedback.message_id
    assert not twilio.has_media(url) and twilio.deleted == [urlsplit(url).path]
    fetched = [r for r in twilio.requests if r.method == "GET"]
    assert [(r.path, r.auth_ok, r.status) for r in fetched] == [(urlsplit(url).path, True, 200)]


def test_triage_staff_play_the_voice_note_that_others_cannot_reach_and_the_api_lists_it(twilio, awa, runtime, client):
    at_the_description(awa)
    send_file(awa, twilio.add_media(VOICE, "audio/ogg"), "audio/ogg")
    run_worker(runtime.redis)
    (feedback,) = feedbacks(runtime)

    make_staff(runtime, "triage@baro.test", "triage")
    log_in(client, "triage@baro.test")
    page = client.get(f"/admin/cases/{feedback.reference}")
    source = re.search(r'<audio controls preload="none" src="([^"]+)"', page.text).group(1)
    played = client.get(source)
    assert played.status_code == 200 and played.content == VOICE
    assert played.headers["content-type"] == "audio/ogg" and played.headers["cache-control"] == "no-store"

    make_staff(runtime, "gao@baro.test", "triage", sites=("gao",))  # a desk account for another site
    log_in(client, "gao@baro.test")
    assert client.get(source).status_code == 404
    make_staff(runtime, "organizer@baro.test", "organizer")  # no access to cases at all
    log_in(client, "organizer@baro.test")
    assert client.get(source).status_code in (403, 404)

    with runtime.database() as db:
        token = issue_api_token(db.scalar(select(StaffUser).where(StaffUser.email == "triage@baro.test")))
        db.commit()
    item = client.get(f"/api/v1/feedback/{feedback.reference}", headers={"Authorization": f"Bearer {token}"})
    assert item.json()["attachments"] == [
        {"kind": "audio", "content_type": "audio/ogg", "seconds": None, "status": "stored"}
    ]


def test_a_confidential_reports_voice_note_is_only_for_protection_and_each_listen_is_in_its_trail(
    twilio, awa, runtime, client
):
    onboard_in_bambara(awa)
    awa.converse("4", "1")  # a confidential report: violence; "say more"
    send_file(awa, twilio.add_media(VOICE, "audio/ogg"), "audio/ogg")
    awa.send("3")  # no call back
    run_worker(runtime.redis)
    (report,) = feedbacks(runtime)
    with runtime.database() as db:
        message = db.get(Message, db.scalar(select(Attachment.message_id)))
        assert report.confidential and message.confidential  # the file is sealed with its message
    (kept,) = attachments(runtime)
    source = f"/admin/cases/{report.reference}/files/{kept.id}"

    make_staff(runtime, "triage@baro.test", "triage")
    log_in(client, "triage@baro.test")
    assert client.get(source).status_code == 404  # as if no such report existed

    make_staff(runtime, "protection@baro.test", "protection")
    log_in(client, "protection@baro.test")
    assert f'src="{source}"' in client.get(f"/admin/cases/{report.reference}").text
    assert client.get(source).content == VOICE
    with runtime.database() as db:
        reads = db.scalars(select(CaseEvent.action).where(CaseEvent.feedback_id == report.id)).all()
    assert reads.count("read_page") == 2  # the page, then the recording


def test_a_photo_elsewhere_in_a_flow_gets_a_helpful_reply_and_is_kept(twilio, awa, runtime):
    onboard_in_bambara(awa)
    awa.send("1")  # a complaint: which site?
    url = twilio.add_media(PHOTO, "image/png")
    reply = send_file(awa, url, "image/png")
    assert reply.startswith(hint(runtime, "bm", MEDIA_HINT) + "\n" + screen(runtime, "bm", "complaint", "site"))
    assert feedbacks(runtime) == []

    run_worker(runtime.redis)
    (kept,) = attachments(runtime)
    assert (kept.kind, kept.status) == ("image", "stored")
    assert runtime.vault.decrypt_bytes(stored_bytes(runtime)) == PHOTO
    # The question is still open: the person goes on.
    assert awa.send("1") == screen(runtime, "bm", "complaint", "category")


def test_a_file_at_the_main_menu_gets_the_menu_with_the_hint(twilio, awa, runtime):
    onboard_in_bambara(awa)
    reply = send_file(awa, twilio.add_media(PHOTO, "image/png"), "image/png")
    assert reply == hint(runtime, "bm", MEDIA_HINT) + "\n" + screen(runtime, "bm", "main", "menu")


def test_a_caption_is_the_descriptions_text(twilio, awa, runtime):
    at_the_description(awa)
    send_file(awa, twilio.add_media(PHOTO, "image/jpeg"), "image/jpeg", caption="Ji tɛ yen")
    (feedback,) = feedbacks(runtime)
    assert feedback.text == "Ji tɛ yen"
    assert [a.kind for a in attachments(runtime)] == ["image"]


def test_a_url_on_another_host_is_never_fetched(twilio, awa, runtime, environment):
    with TwilioDouble(environment["TWILIO_ACCOUNT_SID"], environment["TWILIO_AUTH_TOKEN"]) as elsewhere:
        url = elsewhere.add_media(VOICE, "audio/ogg")  # the same path, on another host
        at_the_description(awa)
        reply = send_file(awa, url, "audio/ogg")
        run_worker(runtime.redis)
        assert elsewhere.requests == []  # not even with the account's credentials
    assert reply.startswith(hint(runtime, "bm", EMPTY_TEXT_HINT))  # no file baro can take: the question again
    (refused,) = attachments(runtime)
    assert (refused.status, refused.error, refused.url) == ("refused", "host", None)
    assert feedbacks(runtime) == []


def test_a_file_of_another_type_is_refused_with_a_clear_reply_and_deleted_at_twilio(twilio, awa, runtime):
    at_the_description(awa)
    url = twilio.add_media(b"\x00\x00\x00\x18ftypmp42", "video/mp4")
    reply = send_file(awa, url, "video/mp4")
    assert reply == hint(runtime, "bm", MEDIA_REFUSED) + "\n" + screen(runtime, "bm", "complaint", "description")
    run_worker(runtime.redis)
    (refused,) = attachments(runtime)
    assert (refused.status, refused.error, refused.url, stored_bytes(runtime)) == ("refused", "type", None, None)
    assert [r.method for r in twilio.requests if "/Media/" in r.path] == ["DELETE"]  # never downloaded
    assert feedbacks(runtime) == []


def test_a_file_too_large_is_refused_and_the_person_told_later_by_text(twilio, reconfigure, make_phone):
    reconfigure(MEDIA_MAX_BYTES="1000")
    from bot.runtime import get_runtime

    runtime = get_runtime()
    person = WhatsApp(make_phone)
    at_the_description(person)
    url = twilio.add_media(VOICE, "audio/ogg")
    send_file(person, url, "audio/ogg")
    run_worker(runtime.redis)

    (refused,) = attachments(runtime)
    assert (refused.status, refused.error, stored_bytes(runtime)) == ("refused", "too_large", None)
    assert not twilio.has_media(url)
    (feedback,) = feedbacks(runtime)  # the complaint itself stands
    told = twilio.sent[-1].form
    assert told["To"] == person.phone.number and told["Body"] == hint(runtime, "bm", FILE_TOO_LARGE)
    assert feedback.reference


def test_twilio_failing_for_a_while_delays_the_file_and_loses_nothing(twilio, awa, runtime):
    at_the_description(awa)
    url = twilio.add_media(VOICE, "audio/ogg")
    twilio.fail_next(1, 503)
    send_file(awa, url, "audio/ogg")
    run_worker(runtime.redis)  # RQ tries the job again (SEND_RETRY_SECONDS)
    (kept,) = attachments(runtime)
    assert (kept.status, kept.attempts) == ("stored", 1)
    assert runtime.vault.decrypt_bytes(stored_bytes(runtime)) == VOICE


def test_a_file_whose_job_was_lost_is_queued_again_by_the_sweep(twilio, awa, runtime):
    at_the_description(awa)
    send_file(awa, twilio.add_media(VOICE, "audio/ogg"), "audio/ogg")
    runtime.redis.flushdb()  # Redis lost the job
    with runtime.database() as db:
        db.execute(update(Attachment).values(created_at=utcnow() - timedelta(minutes=5)))
        db.execute(update(Feedback).values(created_at=utcnow() - timedelta(minutes=5)))
        db.commit()
    assert runtime.transactions.sweep() >= 1
    run_worker(runtime.redis)
    assert [a.status for a in attachments(runtime)] == ["stored"]


def test_a_file_twilio_no_longer_has_is_marked_failed_for_staff(twilio, awa, runtime):
    at_the_description(awa)
    url = twilio.add_media(VOICE, "audio/ogg")
    gone = url.replace("/Media/ME", "/Media/MEgone")
    send_file(awa, gone, "audio/ogg")
    run_worker(runtime.redis)
    (failed,) = attachments(runtime)
    assert (failed.status, failed.error, failed.url) == ("failed", "http_404", None)
    assert runtime.transactions.sweep() == 0  # not queued again and again


def test_a_file_sent_before_refusing_consent_is_erased_and_deleted_at_twilio_unread(twilio, awa, runtime):
    awa.converse("I ni ce", "2")  # Bambara, at the consent notice
    url = twilio.add_media(PHOTO, "image/png")
    send_file(awa, url, "image/png")  # kept while the person decides
    awa.send("2")  # refuses: nothing about them is kept

    run_worker(runtime.redis)

    (erased,) = attachments(runtime)
    assert (erased.status, erased.error, erased.url, erased.size) == ("refused", "erased", None, None)
    assert stored_bytes(runtime) is None
    assert not twilio.has_media(url)
    assert [r for r in twilio.requests if r.method == "GET" and urlsplit(url).path in r.path] == []  # never read
