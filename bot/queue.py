"""Handing work to RQ after the database has it: a Redis outage delays work, never loses it."""

import logging

from redis import Redis
from redis.exceptions import RedisError
from rq import Queue

log = logging.getLogger(__name__)

INTAKE_QUEUE = "intake"


def intake_job_id(feedback_id: int) -> str:
    return f"intake-{feedback_id}"


def enqueue_intake(redis: Redis, feedback_ids: list[int]) -> int:
    """Queue the intake job of each submission; returns how many were queued. The sweep catches the rest."""
    queued = 0
    for feedback_id in feedback_ids:
        try:
            Queue(INTAKE_QUEUE, connection=redis).enqueue(
                "workers.jobs.intake_feedback", feedback_id, job_id=intake_job_id(feedback_id)
            )
        except RedisError as error:
            log.warning("could not queue feedback %s, the sweep will: %s", feedback_id, error)
            continue
        queued += 1
    return queued
