"""Submissions reach the triage queue through a real RQ worker, even across a Redis outage."""

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from rq import Queue, SimpleWorker
from sqlalchemy import select, update

from bot.app import create_app
from bot.config import Settings
from bot.handover import INTAKE_QUEUE
from bot.models import ConversationState, Feedback, utcnow
from tests.conftest import Phone, run_worker
from workers.jobs import intake_feedback, purge_expired_state, sweep_intake

COMPLAINT = ("Bonjour", "1", "1", "1", "2", "3", "Le centre de santé est fermé")


def feedbacks(runtime) -> list[Feedback]:
    with runtime.database() as db:
        return list(db.scalars(select(Feedback)))


def test_a_submission_is_queued_and_the_worker_makes_it_ready_for_triage(phone, runtime):
    phone.converse(*COMPLAINT)
    (feedback,) = feedbacks(runtime)
    assert feedback.ready_at is None
    assert Queue(INTAKE_QUEUE, connection=runtime.redis).count == 1
    run_worker(runtime.redis)
    (feedback,) = feedbacks(runtime)
    assert feedback.ready_at is not None
    assert Queue(INTAKE_QUEUE, connection=runtime.redis).count == 0


def test_intake_is_idempotent(phone, runtime):
    phone.converse(*COMPLAINT)
    (feedback,) = feedbacks(runtime)
    assert intake_feedback(feedback.id) is True
    first = feedbacks(runtime)[0].ready_at
    assert intake_feedback(feedback.id) is False
    assert feedbacks(runtime)[0].ready_at == first


@pytest.fixture
def redis_down_client(settings):
    """The same service, but its Redis is unreachable."""
    broken = Settings(**{**settings.model_dump(), "redis_url": "redis://127.0.0.1:1/0"})
    with TestClient(create_app(broken)) as client:
        yield client


def test_with_redis_down_the_person_is_answered_and_nothing_is_lost(redis_down_client, settings, runtime):
    person = Phone(redis_down_client, "+22370000003", settings.twilio_auth_token)
    assert redis_down_client.get("/healthz").json() == {"database": "up", "redis": "down"}
    replies = [person.send(body) for body in COMPLAINT]
    assert "Référence" in replies[-1]  # the whole conversation went on, its state kept in the database
    (feedback,) = feedbacks(runtime)
    assert feedback.text == COMPLAINT[-1] and feedback.ready_at is None
    assert Queue(INTAKE_QUEUE, connection=runtime.redis).count == 0

    # Redis is back: the periodic sweep queues what was left behind, the worker takes it.
    with runtime.database.begin() as db:
        db.execute(update(Feedback).values(created_at=utcnow() - timedelta(minutes=5)))
    assert sweep_intake() == 1
    run_worker(runtime.redis)
    assert feedbacks(runtime)[0].ready_at is not None
    assert sweep_intake() == 0


def test_a_description_sent_while_redis_is_down_continues_the_conversation_and_is_submitted(
    phone, redis_down_client, settings, runtime
):
    phone.converse("Bonjour", "1", "1", "1", "1", "2")  # at the description, with Redis up
    during = Phone(redis_down_client, phone.number, settings.twilio_auth_token)

    assert "Référence" in during.send("Le forage est en panne depuis trois jours")

    (feedback,) = feedbacks(runtime)
    assert (feedback.kind, feedback.category) == ("complaint", "water_sanitation")
    assert feedback.text == "Le forage est en panne depuis trois jours"
    assert feedback.ready_at is None and Queue(INTAKE_QUEUE, connection=runtime.redis).count == 0
    # Redis is back: the sweep queues it, the worker makes it ready for triage.
    with runtime.database.begin() as db:
        db.execute(update(Feedback).values(created_at=utcnow() - timedelta(minutes=5)))
    assert sweep_intake() == 1
    run_worker(runtime.redis)
    assert feedbacks(runtime)[0].ready_at is not None


@pytest.mark.parametrize("messages_before", [3, 4, 5, 6])
def test_every_answer_given_while_redis_is_down_is_read_where_the_conversation_was(
    phone, redis_down_client, settings, runtime, messages_before
):
    phone.converse(*COMPLAINT[:messages_before])
    during = Phone(redis_down_client, phone.number, settings.twilio_auth_token)

    for message in COMPLAINT[messages_before:]:
        during.send(message)

    assert [f.text for f in feedbacks(runtime)] == [COMPLAINT[-1]]


def test_a_conversation_goes_on_when_redis_comes_back_with_an_older_state(phone, redis_down_client, settings, runtime):
    phone.converse("Bonjour", "1", "1", "1")  # at the site question
    during = Phone(redis_down_client, phone.number, settings.twilio_auth_token)
    assert "Votre plainte concerne" in during.send("2")  # the site, read as the site
    # Redis is back: what it may still hold is not where the conversation is.
    assert "Décrivez le problème" in phone.send("4")
    assert "Référence" in phone.send("Pas de nourriture depuis lundi")
    assert [(f.category, f.text) for f in feedbacks(runtime)] == [("food", "Pas de nourriture depuis lundi")]


def test_a_conversation_is_kept_in_the_database_encrypted_and_nothing_of_it_in_redis(phone, runtime):
    phone.converse("Bonjour", "1", "1", "4", "1", "Il me menace")  # a confidential report, its details given
    with runtime.database() as db:
        states = db.scalars(select(ConversationState)).all()
    assert states and all("menace" not in state.state and "confidential" not in state.state for state in states)
    assert not [key for key in runtime.redis.scan_iter() if b"session" in key or b"position" in key]


def test_expired_conversation_states_are_purged(phone, runtime):
    phone.converse("Bonjour", "1", "1", "1")
    with runtime.database.begin() as db:
        db.execute(update(ConversationState).values(expires_at=utcnow() - timedelta(seconds=1)))
    assert purge_expired_state() == 1
    with runtime.database() as db:
        assert db.scalars(select(ConversationState)).all() == []


def test_the_worker_job_runs_in_a_simple_worker_too(phone, runtime):
    phone.converse(*COMPLAINT)
    SimpleWorker([Queue(INTAKE_QUEUE, connection=runtime.redis)], connection=runtime.redis).work(burst=True)
    assert feedbacks(runtime)[0].ready_at is not None
