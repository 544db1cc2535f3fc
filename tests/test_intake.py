"""Submissions reach the triage queue through a real RQ worker, even across a Redis outage."""

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from rq import Queue, SimpleWorker
from sqlalchemy import select, update

from bot.app import create_app
from bot.config import Settings
from bot.handover import INTAKE_QUEUE
from bot.models import ConversationFallback, Feedback, utcnow
from tests.conftest import Phone, run_worker
from workers.jobs import intake_feedback, sweep_intake

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


def test_a_conversation_survives_redis_going_down_and_coming_back(phone, redis_down_client, settings, runtime):
    phone.converse("Bonjour", "1", "1", "1")  # at the site question, state in Redis
    during = Phone(redis_down_client, phone.number, settings.twilio_auth_token)
    # Its state is out of reach: the person is told the main menu rather than have "2" guessed at.
    assert during.send("2").startswith("Envoyez le numéro de votre choix")
    assert "Sur quel site" in during.send("1")
    with runtime.database() as db:
        assert db.scalars(select(ConversationFallback)).one()
    # Redis is back, still holding the state from before the outage; the newer one in the database wins.
    assert "Votre plainte concerne" in phone.send("4")
    with runtime.database() as db:
        assert db.scalars(select(ConversationFallback)).all() == []


def test_the_worker_job_runs_in_a_simple_worker_too(phone, runtime):
    phone.converse(*COMPLAINT)
    SimpleWorker([Queue(INTAKE_QUEUE, connection=runtime.redis)], connection=runtime.redis).work(burst=True)
    assert feedbacks(runtime)[0].ready_at is not None
