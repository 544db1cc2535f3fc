"""A broadcast planned, then sent by real RQ workers through the Twilio SDK to its double: once each, in their
language, never to who opted out since; held in quiet hours, paused, resumed, cancelled, scheduled."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from rq import Queue
from sqlalchemy import func, select, update

from bot.broadcasts.audience import Audience
from bot.broadcasts.control import cancel, pause, progress, resume
from bot.broadcasts.plan import MAX_CHARS, create_broadcast
from bot.cases.lifecycle import Refused
from bot.db import transaction
from bot.handover import LANE_QUEUES, AfterCommit
from bot.models import Broadcast, Contact, Message, utcnow
from bot.outbound.drain import drain
from bot.outbound.quiet import is_quiet, quiet_until
from bot.outbound.store import queue_message
from bot.vocabulary import Lane
from tests.broadcasts.conftest import crowd, received, work
from tests.conftest import run_worker

TEXTS = {"fr": "Distribution de savon demain à 9 h.", "bm": "Safinɛ tilali bɛ kɛ sini sɔgɔma."}
BULK = LANE_QUEUES[Lane.BULK]


def broadcast(runtime, texts=TEXTS, audience=Audience(), send_at=None):
    return create_broadcast(runtime, None, texts, audience, send_at)


def counts(runtime, broadcast_id):
    with runtime.database() as db:
        return progress(db, broadcast_id)


@pytest.fixture
def sms_people(twilio, quiet_never, runtime):
    return crowd(runtime, 6, spread=False) + crowd(runtime, 4, 101, language="bm", channel="whatsapp")


def test_each_person_gets_one_message_in_their_language_through_a_forking_worker_too(sms_people, twilio, runtime):
    sent = broadcast(runtime)
    assert (sent.status, sent.recipients) == ("sending", 10)
    run_worker(runtime.redis)  # the conftest's forking worker: each slice is a job
    got = received(twilio)
    assert {p.phone: got.get(p.phone) for p in sms_people} == {p.phone: [TEXTS[p.language]] for p in sms_people}
    assert twilio.sent[-1].form["To"].startswith("whatsapp:")  # WhatsApp people by WhatsApp
    done = counts(runtime, sent.id)
    assert done.status == "done" and done.counts["sent"] == 10 and done.counts["queued"] == 0


def test_a_drain_run_again_or_twice_at_once_sends_nothing_twice(sms_people, twilio, runtime):
    sent = broadcast(runtime)
    for _ in range(3):  # more drains queued than channels
        Queue(BULK, connection=runtime.redis).enqueue("workers.jobs.drain_bulk", "sms")
    work(runtime.redis)
    assert drain(runtime, "sms").startswith("empty") and drain(runtime, "whatsapp").startswith("empty")
    assert len(twilio.sent) == 10 and all(len(v) == 1 for v in received(twilio).values())
    assert counts(runtime, sent.id).counts["sent"] == 10


def test_a_second_drain_of_a_channel_leaves_it_to_the_running_one(sms_people, runtime):
    broadcast(runtime)
    runtime.redis.set("baro:drain:lock:sms", "another drain")
    assert drain(runtime, "sms") == "busy"
    with runtime.database() as db:
        assert db.scalar(select(func.count()).where(Message.status == "pending")) == 10


def test_the_same_broadcast_created_twice_is_sent_once(sms_people, twilio, runtime):
    first = broadcast(runtime)
    with pytest.raises(Refused, match="not sent twice"):
        broadcast(runtime)
    work(runtime.redis)
    assert len(twilio.sent) == 10
    with runtime.database() as db:
        assert db.scalar(select(func.count(Broadcast.id))) == 1 and first.id


def test_a_stop_between_planning_and_sending_cancels_that_persons_message(sms_people, twilio, make_phone, runtime):
    sent = broadcast(runtime)
    make_phone(sms_people[0].phone).send("STOP")
    work(runtime.redis)
    assert sms_people[0].phone not in received(twilio) and len(received(twilio)) == 9
    assert counts(runtime, sent.id).counts["cancelled"] == 1


def test_quiet_hours_hold_bulk_sends_but_never_a_reply(twilio, runtime):
    local = datetime.now(ZoneInfo(runtime.settings.timezone))
    hours = f"{local - timedelta(hours=1):%H:%M}-{local + timedelta(hours=1):%H:%M}"  # now is in the night
    runtime.settings.broadcast_quiet_hours = hours
    people = crowd(runtime, 3)
    sent = broadcast(runtime)
    with transaction(runtime.database) as db:
        reply = queue_message(db, people[0].id, "sms", "Votre cas est résolu.")
    runtime.transactions.hand_over(AfterCommit(messages=[(reply.id, "reply")]))
    work(runtime.redis)
    assert [r.form["Body"] for r in twilio.sent] == ["Votre cas est résolu."]
    assert counts(runtime, sent.id).counts["queued"] == 3
    runtime.settings.broadcast_quiet_hours = ""  # morning came: the sweep starts the drains again
    with transaction(runtime.database) as db:
        db.execute(update(Message).values(created_at=utcnow() - timedelta(minutes=5)))
    runtime.transactions.sweep()
    work(runtime.redis)
    assert len(twilio.sent) == 4 and counts(runtime, sent.id).status == "done"


def test_quiet_hours_span_midnight_in_local_time():
    hours, zone = "21:00-07:00", "Africa/Bamako"  # Bamako is on UTC all year
    assert is_quiet(hours, zone, datetime(2026, 5, 1, 23, 30, tzinfo=UTC))
    assert is_quiet(hours, zone, datetime(2026, 5, 1, 6, 59, tzinfo=UTC))
    assert not is_quiet(hours, zone, datetime(2026, 5, 1, 7, 0, tzinfo=UTC))
    assert not is_quiet(hours, zone, datetime(2026, 5, 1, 20, 59, tzinfo=UTC))
    assert quiet_until(hours, zone, datetime(2026, 5, 1, 22, 0, tzinfo=UTC)) == datetime(2026, 5, 2, 7, 0, tzinfo=UTC)
    assert not is_quiet("", zone, datetime(2026, 5, 1, 23, 0, tzinfo=UTC))
    assert is_quiet("13:00-14:00", "Europe/Paris", datetime(2026, 7, 1, 11, 30, tzinfo=UTC))  # 13:30 in Paris


@pytest.mark.parametrize("value", ["21h-7h", "25:00-07:00", "21:00", "07:00-07:00"])
def test_quiet_hours_that_cannot_be_read_stop_the_settings(reconfigure, value):
    from pydantic import ValidationError

    from bot.config import Settings

    with pytest.raises(ValidationError, match="quiet hours"):
        Settings(_env_file=None, broadcast_quiet_hours=value)


def test_a_paused_broadcast_waits_and_a_resumed_one_goes_on(sms_people, twilio, runtime):
    sent = broadcast(runtime)
    pause(runtime, sent.id)
    work(runtime.redis)
    assert twilio.sent == [] and counts(runtime, sent.id).status == "paused"
    with pytest.raises(Refused):
        pause(runtime, sent.id)
    resume(runtime, sent.id)
    work(runtime.redis)
    assert len(twilio.sent) == 10 and counts(runtime, sent.id).status == "done"
    with pytest.raises(Refused):
        resume(runtime, sent.id)  # nothing left to resume


def test_a_cancelled_broadcast_sends_nothing_more(sms_people, twilio, runtime):
    sent = broadcast(runtime)
    cancel(runtime, sent.id)
    work(runtime.redis)
    assert twilio.sent == []
    done = counts(runtime, sent.id)
    assert done.status == "cancelled" and done.counts["cancelled"] == 10
    for step in (pause, resume, cancel):
        with pytest.raises(Refused):
            step(runtime, sent.id)
    with pytest.raises(Refused):
        counts(runtime, sent.id + 1)


def test_a_scheduled_broadcast_waits_for_its_time(sms_people, twilio, runtime):
    sent = broadcast(runtime, send_at=utcnow() + timedelta(hours=2))
    assert sent.status == "scheduled"
    from workers.jobs import start_due_broadcasts, sweep_intake

    assert start_due_broadcasts() == 0
    with transaction(runtime.database) as db:  # two hours later
        db.execute(update(Message).values(created_at=utcnow() - timedelta(hours=2)))
    sweep_intake()
    work(runtime.redis)
    assert twilio.sent == []
    with transaction(runtime.database) as db:
        db.execute(update(Broadcast).values(send_at=utcnow() - timedelta(seconds=1)))
    assert start_due_broadcasts() == 1
    work(runtime.redis)
    assert len(twilio.sent) == 10 and counts(runtime, sent.id).status == "done"


def test_the_sweep_restarts_a_drain_whose_job_was_lost(sms_people, twilio, runtime):
    sent = broadcast(runtime)
    runtime.redis.flushdb()  # Redis lost the drain jobs
    with transaction(runtime.database) as db:
        db.execute(update(Message).values(created_at=utcnow() - timedelta(minutes=5)))
    from workers.jobs import sweep_intake

    assert sweep_intake() == 2  # one drain per channel, not a job per message
    work(runtime.redis)
    assert len(twilio.sent) == 10 and counts(runtime, sent.id).status == "done"


def test_assembly_notices_on_the_bulk_lane_go_through_the_drains(twilio, quiet_never, runtime):
    people = crowd(runtime, 3)
    with transaction(runtime.database) as db:
        ids = [queue_message(db, p.id, "sms", "Assemblée samedi", lane=Lane.BULK).id for p in people]
    runtime.transactions.hand_over(AfterCommit(messages=[(i, "bulk") for i in ids]))
    assert Queue(LANE_QUEUES[Lane.BULK], connection=runtime.redis).count == 2  # two drains, not three jobs
    work(runtime.redis)
    assert sorted(received(twilio)) == sorted(p.phone for p in people)


@pytest.mark.parametrize(
    "texts, send_at",
    [
        ({"bm": "I ni ce"}, None),  # no text in the default language
        ({"fr": "   "}, None),
        ({"fr": "x" * (MAX_CHARS + 1)}, None),
        ({"fr": "Bonjour", "en": "Hello"}, None),
        ({"fr": 3}, None),
        ("Bonjour", None),
        ({"fr": "Bonjour"}, datetime(2030, 1, 1, 9, 0)),  # no time zone
        ({"fr": "Bonjour"}, utcnow() - timedelta(minutes=5)),
    ],
)
def test_a_broadcast_that_cannot_be_sent_is_refused_and_nothing_is_stored(runtime, texts, send_at):
    crowd(runtime, 2)
    with pytest.raises(Refused):
        broadcast(runtime, texts=texts, send_at=send_at)
    with runtime.database() as db:
        assert db.scalar(select(func.count(Broadcast.id))) == 0 and db.scalar(select(func.count(Message.id))) == 0


def test_the_stored_broadcast_says_who_it_reaches_and_who_it_leaves_out(twilio, quiet_never, runtime):
    crowd(runtime, 3)
    crowd(runtime, 2, 11, opted_out=True)
    sent = broadcast(runtime)
    with runtime.database() as db:
        stored = db.get(Broadcast, sent.id)
        assert (stored.recipients, stored.left_out["opted_out"], stored.texts) == (3, 2, TEXTS)
        assert db.scalar(select(func.count()).where(Message.broadcast_id == sent.id, Message.lane == "bulk")) == 3
        assert db.scalar(select(func.count(Contact.id))) == 5
