"""The outbound pipeline: stored first, sent by a real RQ worker through the real Twilio SDK, at most once.

Twilio's delivery reports, and sending through the HTTP gateway or to the console's outbox, are
specified with their channel adapters in tests/channels/.
"""

import json
from datetime import timedelta

import pytest
from redis import Redis
from sqlalchemy import select, update

from bot.db import transaction
from bot.handover import enqueue_sends
from bot.models import Contact, Message, utcnow
from bot.outbound.provider import TransientSendError
from bot.outbound.store import queue_message
from tests.conftest import TEST_URL, run_worker
from workers.jobs import send_message

NUMBER = "+22370000061"
STATUS_PATH = "/webhooks/twilio/status"


@pytest.fixture
def person(twilio, make_phone, runtime):
    """A consented French speaker who has written from SMS; returns their contact id."""
    make_phone(NUMBER).converse("Bonjour", "1", "1")
    with runtime.database() as db:
        return db.scalar(select(Contact.id))


def queue(runtime, contact_id: int, text: str, channel: str = "sms", lane: str = "reply") -> int:
    with transaction(runtime.database) as db:
        message_id = queue_message(db, contact_id, channel, text, lane).id
    settings = runtime.settings
    enqueue_sends(runtime.redis, [(message_id, lane)], settings.send_attempts, settings.send_retry_seconds)
    return message_id


def stored(runtime, message_id: int) -> Message:
    with runtime.database() as db:
        return db.get(Message, message_id)


def test_a_queued_message_is_sent_once_with_a_status_callback(twilio, person, runtime):
    message_id = queue(runtime, person, "Votre cas est résolu.")
    run_worker(runtime.redis)
    (sent,) = twilio.sent
    assert sent.form["To"] == NUMBER and sent.form["From"] == "+22320000000"
    assert sent.form["Body"] == "Votre cas est résolu."
    assert sent.form["StatusCallback"] == f"{TEST_URL}{STATUS_PATH}"
    message = stored(runtime, message_id)
    assert (message.status, message.provider_id, message.attempts) == ("queued", sent.sid, 1)


def test_a_job_that_runs_twice_sends_once(twilio, person, runtime):
    message_id = queue(runtime, person, "Une fois")
    assert send_message(message_id) == "queued"
    assert send_message(message_id) == "nothing to send"
    enqueue_sends(runtime.redis, [(message_id, "reply")], 5, [0])  # and again through RQ
    run_worker(runtime.redis)
    assert len(twilio.sent) == 1


@pytest.mark.parametrize("status", [500, 503, 429])
def test_a_transient_failure_is_retried_until_it_goes_through(twilio, person, runtime, status):
    twilio.fail_next(2, status=status)
    message_id = queue(runtime, person, "Réessayez")
    run_worker(runtime.redis)
    assert [r.status for r in twilio.requests] == [status, status, 201]
    message = stored(runtime, message_id)
    assert (message.status, message.attempts, len(twilio.sent)) == ("queued", 3, 1)


def test_retries_stop_after_the_configured_attempts(twilio, person, runtime):
    twilio.fail_next(10, status=500)
    message_id = queue(runtime, person, "Jamais")
    run_worker(runtime.redis)
    message = stored(runtime, message_id)
    assert (message.status, message.attempts) == ("failed", runtime.settings.send_attempts)
    assert len(twilio.requests) == runtime.settings.send_attempts and twilio.sent == []


def test_a_refused_connection_is_retried(twilio, person, runtime, monkeypatch):
    monkeypatch.setattr(runtime.settings, "twilio_api_url", "http://127.0.0.1:1")
    message_id = queue(runtime, person, "Personne au bout")
    with pytest.raises(TransientSendError):
        send_message(message_id)  # raised so that RQ schedules the retry
    message = stored(runtime, message_id)
    assert (message.status, message.error_code) == ("retry", "network")


def test_a_permanent_refusal_is_recorded_with_its_reason_and_not_retried(twilio, person, runtime):
    twilio.fail_next(1, status=400, code=21211, message="The 'To' number is not a valid phone number.")
    message_id = queue(runtime, person, "Mauvais numéro")
    run_worker(runtime.redis)
    message = stored(runtime, message_id)
    assert (message.status, message.error_code, len(twilio.requests)) == ("failed", "21211", 1)
    assert "not a valid phone number" in message.error_message


def test_an_unsubscribed_number_is_marked_opted_out(twilio, person, runtime):
    twilio.opted_out.add(NUMBER)
    message_id = queue(runtime, person, "Bonjour")
    run_worker(runtime.redis)
    assert stored(runtime, message_id).error_code == "21610"
    with runtime.database() as db:
        assert db.get(Contact, person).opted_out_at is not None
    later = queue(runtime, person, "Encore")
    run_worker(runtime.redis)
    assert stored(runtime, later).status == "cancelled" and len(twilio.requests) == 1


def test_an_answer_lost_on_the_way_back_is_never_sent_again(twilio, person, runtime):
    twilio.drop_next(1)
    message_id = queue(runtime, person, "Peut-être parti")
    run_worker(runtime.redis)
    message = stored(runtime, message_id)
    assert message.status == "unknown" and len(twilio.requests) == 1


def test_nothing_is_sent_to_someone_who_opted_out(twilio, make_phone, person, runtime):
    make_phone(NUMBER).send("STOP")
    message_id = queue(runtime, person, "Rappel")
    run_worker(runtime.redis)
    assert stored(runtime, message_id).status == "cancelled" and twilio.requests == []


def test_whatsapp_inside_the_window_is_free_text(twilio, make_phone, runtime):
    make_phone("whatsapp:+22370000062").converse("I ni ce", "2", "1")
    with runtime.database() as db:
        contact_id = db.scalar(select(Contact.id))
    queue(runtime, contact_id, "I ka ko ɲɛnabɔra.", channel="whatsapp")
    run_worker(runtime.redis)
    (sent,) = twilio.sent
    assert (sent.form["To"], sent.form["Body"]) == ("whatsapp:+22370000062", "I ka ko ɲɛnabɔra.")
    assert sent.form["From"] == "whatsapp:+22320000001" and "ContentSid" not in sent.form


def test_whatsapp_outside_the_window_uses_the_approved_template(twilio, make_phone, runtime, monkeypatch):
    monkeypatch.setattr(runtime.settings, "broadcast_quiet_hours", "")  # a bulk send, at any hour the suite runs
    make_phone("whatsapp:+22370000063").converse("I ni ce", "2", "1")
    with transaction(runtime.database) as db:
        db.execute(update(Message).values(created_at=utcnow() - timedelta(hours=25)))
        contact_id = db.scalar(select(Contact.id))
    queue(runtime, contact_id, "Lajɛ bɛ kɛ sini.", channel="whatsapp", lane="bulk")
    run_worker(runtime.redis)
    (sent,) = twilio.sent
    assert sent.form["ContentSid"] == runtime.settings.whatsapp_template_sid
    assert json.loads(sent.form["ContentVariables"]) == {"1": "Lajɛ bɛ kɛ sini."}
    assert "Body" not in sent.form


def test_without_a_template_outside_the_window_the_reason_is_recorded(twilio, make_phone, runtime, monkeypatch):
    monkeypatch.setattr(runtime.settings, "whatsapp_template_sid", "")
    make_phone("whatsapp:+22370000064").converse("I ni ce", "2", "1")
    with transaction(runtime.database) as db:
        db.execute(update(Message).values(created_at=utcnow() - timedelta(hours=25)))
        contact_id = db.scalar(select(Contact.id))
    message_id = queue(runtime, contact_id, "Lajɛ", channel="whatsapp")
    run_worker(runtime.redis)
    message = stored(runtime, message_id)
    assert (message.status, message.error_code) == ("failed", "no_template") and twilio.requests == []


def test_messages_queued_while_redis_was_down_are_swept_and_sent(twilio, person, runtime):
    with transaction(runtime.database) as db:
        message_id = queue_message(db, person, "sms", "Après la panne").id
    enqueue_sends(Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2), [(message_id, "reply")], 5, [0])
    with transaction(runtime.database) as db:
        db.execute(update(Message).where(Message.id == message_id).values(created_at=utcnow() - timedelta(minutes=5)))
    from workers.jobs import sweep_intake

    assert sweep_intake() == 1
    run_worker(runtime.redis)
    assert stored(runtime, message_id).status == "queued" and len(twilio.sent) == 1
