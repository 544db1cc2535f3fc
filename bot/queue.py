"""Handing work to RQ after the database has it: a Redis outage delays work, never loses it."""

import logging

from redis import Redis
from redis.exceptions import RedisError
from rq import Queue

log = logging.getLogger(__name__)

INTAKE_QUEUE = "intake"


def intake_job_id(feedback_id: int) -> str:
    return f"intake-{feedback_id}"


def enqueue_each(redis: Redis, jobs: list[tuple[str, str, int, str]], **options) -> int:
    """Queue (queue name, job function, row id, job id) jobs; returns how many were queued.

    A job Redis refuses is only logged: its row is in the database, and the sweep queues it later.
    """
    queued = 0
    for queue_name, function, row_id, job_id in jobs:
        try:
            Queue(queue_name, connection=redis).enqueue(function, row_id, job_id=job_id, **options)
        except RedisError as error:
            log.warning("could not queue %s, the sweep will: %s", job_id, error)
            continue
        queued += 1
    return queued


def enqueue_intake(redis: Redis, feedback_ids: list[int]) -> int:
    """Queue the intake job of each submission; returns how many were queued."""
    jobs = [(INTAKE_QUEUE, "workers.jobs.intake_feedback", i, intake_job_id(i)) for i in feedback_ids]
    return enqueue_each(redis, jobs)
