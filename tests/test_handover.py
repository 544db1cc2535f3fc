"""Handing work to RQ once the database has it (bot.handover): a Redis outage delays work, never loses it.

`Transactions.run` commits the work's rows and only then queues their jobs; it runs the work once more
when a parallel request committed the same provider message, and hands over nothing of work that
failed. A job Redis refuses is only logged, and the sweep later queues every row still waiting,
leaving alone what is probably still on its normal way. Bulk messages get no job each: their channel's
drain sends them (bot.outbound.bulk), started once however many are handed over.
"""

import logging
import socket
from datetime import timedelta

import pytest
from rq import Queue
from rq.job import Job
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from bot.config import Settings
from bot.db import transaction
from bot.handover import (
    INTAKE_QUEUE,
    LANE_QUEUES,
    QUEUES,
    RETRY_GRACE,
    Transactions,
    enqueue_each,
    enqueue_sends,
)
from bot.models import Feedback, Message, utcnow
from bot.runtime import make_redis
from bot.vocabulary import Direction, Lane, MessageStatus
from tests import domain_support as rows

REPLIES, BULK = LANE_QUEUES[Lane.REPLY], LANE_QUEUES[Lane.BULK]
# What the sweep leaves alone by default: younger work is probably still on its way.
SWEEP_GRACE = timedelta(seconds=Settings.model_fields["sweep_grace_seconds"].default)


def queued(redis) -> dict[str, list[str]]:
    """The job ids waiting in each of baro's queues."""
    return {name: Queue(name, connection=redis).job_ids for name in QUEUES}


def drains(redis) -> list[tuple[str, tuple]]:
    """The bulk drain jobs waiting, as (function, arguments), in order."""
    return [(job.func_name, job.args) for job in Queue(BULK, connection=redis).jobs]


def nothing_queued(redis) -> bool:
    return not any(queued(redis).values())


@pytest.fixture
def person_id(runtime) -> int:
    with transaction(runtime.database) as db:
        return rows.person(db, runtime.vault).id


@pytest.fixture
def dead_redis():
    """A Redis URL to a port nothing listens on: every command fails at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    redis = make_redis(f"redis://127.0.0.1:{port}/0")
    yield redis
    redis.close()


def store_work(person_id: int, age: timedelta = timedelta(0)):
    """Work that stores a submission, a reply and a bulk message, and says what to queue once committed."""

    def work(db, after):
        contact = db.get(rows.Contact, person_id)
        created = utcnow() - age
        feedback = rows.case(db, contact, created_at=created)
        reply = rows.message(db, contact, "Réponse", direction=Direction.OUT, status=MessageStatus.PENDING,
                             lane=Lane.REPLY, created_at=created)
        bulk = rows.message(db, contact, "Annonce", direction=Direction.OUT, status=MessageStatus.PENDING,
                            lane=Lane.BULK, created_at=created)
        after.feedback_ids.append(feedback.id)
        after.messages += [(reply.id, Lane.REPLY), (bulk.id, Lane.BULK)]
        return feedback.id, reply.id, bulk.id

    return work


def test_run_commits_the_work_and_then_queues_its_jobs(runtime, person_id):
    store = store_work(person_id)
    during: list[bool] = []

    def work(db, after):
        made = store(db, after)
        during.append(nothing_queued(runtime.redis))
        return made

    feedback_id, reply_id, bulk_id = runtime.transactions.run(work)

    assert during == [True]  # nothing was queued before the commit
    jobs = queued(runtime.redis)
    assert (jobs[INTAKE_QUEUE], jobs[REPLIES]) == ([f"intake-{feedback_id}"], [f"send-{reply_id}"])
    # The bulk message has no job of its own: each channel's drain is started, once.
    assert drains(runtime.redis) == [("workers.jobs.drain_bulk", ("sms",)), ("workers.jobs.drain_bulk", ("whatsapp",))]
    runtime.transactions.run(store_work(person_id))
    assert len(drains(runtime.redis)) == 2  # already started: not again
    with runtime.database() as db:
        assert db.get(Feedback, feedback_id) is not None
        assert {reply_id, bulk_id} <= {m.id for m in db.scalars(select(Message))}
    intake = Job.fetch(f"intake-{feedback_id}", connection=runtime.redis)
    assert (intake.func_name, intake.args) == ("workers.jobs.intake_feedback", (feedback_id,))
    send = Job.fetch(f"send-{reply_id}", connection=runtime.redis)
    assert (send.func_name, send.args) == ("workers.jobs.send_message", (reply_id,))
    assert send.retries_left == runtime.settings.send_attempts == 5
    assert send.retry_intervals == runtime.settings.send_retry_seconds


def test_a_send_tried_once_is_not_retried(runtime):
    assert enqueue_sends(runtime.redis, [(12, "reply")], attempts=1, retry_seconds=[10]) == 1
    assert Job.fetch("send-12", connection=runtime.redis).retries_left is None


def test_work_that_fails_stores_nothing_and_queues_nothing(runtime, person_id):
    store = store_work(person_id)

    def work(db, after):
        store(db, after)
        raise RuntimeError("the provider's answer could not be written")

    with pytest.raises(RuntimeError):
        runtime.transactions.run(work)

    with runtime.database() as db:
        assert db.scalars(select(Feedback)).all() == [] and db.scalars(select(Message)).all() == []
    assert nothing_queued(runtime.redis)


def test_a_message_committed_meanwhile_by_a_parallel_request_is_answered_as_a_retry(runtime, person_id):
    if runtime.engine.dialect.name == "sqlite":
        pytest.skip("SQLite: a request's transaction holds the write lock from its start (bot.db.write_transaction)")
    runs: list[str] = []

    def handle(db, after):
        """Store Twilio's message SM1 and a submission from it, unless SM1 is already stored."""
        if db.scalar(select(Message.id).where(Message.channel == "sms", Message.provider_id == "SM1")):
            runs.append("answered as a retry")
            return "the earlier answer"
        if not runs:  # the provider's retry, handled in parallel, commits SM1 now
            with transaction(runtime.database) as parallel:
                rows.message(parallel, parallel.get(rows.Contact, person_id), "Bonjour", provider_id="SM1")
        runs.append("stored")
        feedback = rows.case(db, db.get(rows.Contact, person_id))
        after.feedback_ids.append(feedback.id)
        rows.message(db, db.get(rows.Contact, person_id), "Bonjour", provider_id="SM1")
        return "a new answer"

    assert runtime.transactions.run(handle) == "the earlier answer"

    assert runs == ["stored", "answered as a retry"]
    with runtime.database() as db:
        assert db.scalars(select(Feedback)).all() == []  # the first run's submission was rolled back
        assert len(db.scalars(select(Message)).all()) == 1
    assert nothing_queued(runtime.redis)  # and its intake job never queued


def test_a_second_integrity_error_is_not_retried_again(runtime):
    runs = []

    def clash(db, after):
        runs.append(1)
        after.feedback_ids.append(len(runs))
        raise IntegrityError("INSERT INTO message", {}, Exception("UNIQUE constraint failed"))

    with pytest.raises(IntegrityError):
        runtime.transactions.run(clash)
    assert len(runs) == 2
    assert nothing_queued(runtime.redis)


def test_when_redis_is_down_the_work_is_kept_and_the_sweep_queues_it_later(
    runtime, person_id, dead_redis, caplog
):
    outage = Transactions(runtime.database, dead_redis, runtime.settings)
    caplog.set_level(logging.WARNING, logger="bot.handover")

    feedback_id, reply_id, _ = outage.run(store_work(person_id, age=SWEEP_GRACE + timedelta(seconds=5)))

    assert [record.getMessage().split(",")[0] for record in caplog.records] == [
        f"could not queue intake-{feedback_id}",
        f"could not queue send-{reply_id}",
        "could not start the sms bulk drain",
        "could not start the whatsapp bulk drain",
    ]
    with runtime.database() as db:
        assert db.get(Feedback, feedback_id).ready_at is None
        assert {m.status for m in db.scalars(select(Message))} == {"pending"}
    assert nothing_queued(runtime.redis)

    assert runtime.transactions.sweep() == 3
    jobs = queued(runtime.redis)
    assert (jobs[INTAKE_QUEUE], jobs[REPLIES]) == ([f"intake-{feedback_id}"], [f"send-{reply_id}"])
    assert drains(runtime.redis) == [("workers.jobs.drain_bulk", ("sms",))]  # the channel with bulk work


def test_enqueue_each_counts_what_redis_took(runtime, dead_redis):
    jobs = [(INTAKE_QUEUE, "workers.jobs.intake_feedback", 7, "intake-7")]
    assert enqueue_each(dead_redis, jobs) == 0
    assert enqueue_each(runtime.redis, jobs) == 1
    assert queued(runtime.redis)[INTAKE_QUEUE] == ["intake-7"]


def test_the_sweep_leaves_what_is_probably_still_on_its_way_and_what_is_done(runtime, person_id):
    now = utcnow()
    late, recent = now - SWEEP_GRACE - timedelta(seconds=5), now - SWEEP_GRACE + timedelta(seconds=10)
    with transaction(runtime.database) as db:
        contact = db.get(rows.Contact, person_id)

        def out(name, status, created_at=late, lane=Lane.REPLY, status_at=None, direction=Direction.OUT):
            return rows.message(db, contact, name, direction=direction, status=status, lane=lane,
                                created_at=created_at, status_at=status_at).id

        waiting = {
            "a submission not yet in triage": f"intake-{rows.case(db, contact, created_at=late).id}",
            "a pending reply": f"send-{out('reply', MessageStatus.PENDING)}",
            "a pending bulk message": out("bulk", MessageStatus.PENDING, lane=Lane.BULK),
            "a retry whose job was lost": f"send-{out('retry', MessageStatus.RETRY, status_at=now - RETRY_GRACE - timedelta(minutes=1))}",  # noqa: E501
        }
        rows.case(db, contact, created_at=recent)  # its intake job is probably on its way
        rows.case(db, contact, created_at=late - timedelta(hours=1), ready_at=late)  # already in triage
        out("just stored", MessageStatus.PENDING, created_at=recent)
        out("retry scheduled", MessageStatus.RETRY, status_at=now - RETRY_GRACE + timedelta(minutes=1))
        for status in (MessageStatus.CLAIMED, MessageStatus.QUEUED, MessageStatus.DELIVERED, MessageStatus.CANCELLED,
                       MessageStatus.REPLIED, MessageStatus.UNKNOWN):
            out(status, status)
        out("an inbound message", None, direction=Direction.IN, lane=None)

    assert runtime.transactions.sweep() == len(waiting)

    jobs = queued(runtime.redis)
    assert jobs[INTAKE_QUEUE] == [waiting["a submission not yet in triage"]]
    assert sorted(jobs[REPLIES]) == sorted([waiting["a pending reply"], waiting["a retry whose job was lost"]])
    assert drains(runtime.redis) == [("workers.jobs.drain_bulk", ("sms",))]  # its channel's drain


def test_a_sweep_with_nothing_waiting_queues_nothing(runtime):
    assert runtime.transactions.sweep() == 0
    assert nothing_queued(runtime.redis)
