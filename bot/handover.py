"""Handing work to RQ once the database has it: a Redis outage or a dead worker delays work, never loses it.

Everything slow (intake, alerts, sends) is a row first, committed, and only then a job. A job Redis
refuses, or a worker that dies mid-job, is only a delay: `sweep` finds the row still waiting later
and queues it again. Every job is idempotent, so a job queued twice does its work once.
"""

import logging
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TypeVar

from redis import Redis
from redis.exceptions import RedisError
from rq import Queue, Retry
from sqlalchemy import Connection, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from bot.config import Settings
from bot.db import RETRY, savepoint, transaction, write_transaction
from bot.media.files import waiting_at_provider
from bot.models import Feedback, Message, ProtectionAlert, utcnow
from bot.outbound.bulk import BULK_QUEUE, channels_with_work, start_drains
from bot.vocabulary import DONE, Direction, Lane, MessageStatus

log = logging.getLogger(__name__)
T = TypeVar("T")

INTAKE_QUEUE = "intake"
LANE_QUEUES = {Lane.REPLY: "outbound-replies", Lane.BULK: BULK_QUEUE}
# A worker drains them in this order: intake, then replies to people, then bulk sends.
QUEUES = (INTAKE_QUEUE, *LANE_QUEUES.values())

# A retry older than this lost its scheduled job (Redis was flushed or down).
RETRY_GRACE = timedelta(minutes=30)
SWEEP_BATCH = 1000


def enqueue_each(redis: Redis, jobs: list[tuple[str, str, int | str, str]], **options) -> int:
    """Queue (queue name, job function, row id, job id) jobs in one round trip; how many Redis took (all or none)."""
    if not jobs:
        return 0
    try:
        # One pipeline for all: RQ alone makes two round trips per job, and a submission's turn queues one.
        with redis.pipeline() as pipe:
            for queue_name, function, row_id, job_id in jobs:
                Queue(queue_name, connection=redis).enqueue(function, row_id, job_id=job_id, pipeline=pipe, **options)
            pipe.execute()
    except RedisError as error:
        named = jobs[0][3] + (f" and {len(jobs) - 1} more" if len(jobs) > 1 else "")
        log.warning("could not queue %s, the sweep will: %s", named, error)
        return 0
    return len(jobs)


def enqueue_intake(redis: Redis, feedback_ids: list[int]) -> int:
    """Queue the intake job of each submission."""
    jobs = [(INTAKE_QUEUE, "workers.jobs.intake_feedback", i, f"intake-{i}") for i in feedback_ids]
    return enqueue_each(redis, jobs)


def enqueue_alerts(redis: Redis, feedback_ids: list[int]) -> int:
    """Queue the protection alert job of each confidential report, on the intake queue: it is urgent."""
    jobs = [(INTAKE_QUEUE, "workers.jobs.alert_protection", i, f"alert-{i}") for i in feedback_ids]
    return enqueue_each(redis, jobs)


def enqueue_attachments(redis: Redis, message_ids: list[int], attempts: int, retry_seconds: list[int]) -> int:
    """Queue the job that fetches each message's files from the provider, on the intake queue: staff wait for them."""
    jobs = [(INTAKE_QUEUE, "workers.jobs.fetch_attachments", i, f"media-{i}") for i in message_ids]
    return enqueue_each(redis, jobs, retry=Retry(max=attempts, interval=retry_seconds) if attempts > 1 else None)


def enqueue_sends(redis: Redis, messages: list[tuple[int, str]], attempts: int, retry_seconds: list[int]) -> int:
    """Hand (message id, lane) sends to RQ; how many jobs Redis took.

    A reply is one send job, tried `attempts` times with backoff after a transient failure. Bulk messages
    get no job of their own: the bulk drains of each channel send them (bot.outbound.bulk), started here.
    """
    jobs = [
        (LANE_QUEUES[Lane.REPLY], "workers.jobs.send_message", message_id, f"send-{message_id}")
        for message_id, lane in messages
        if Lane(lane) == Lane.REPLY
    ]
    retry = Retry(max=attempts, interval=retry_seconds) if attempts > 1 else None
    queued = enqueue_each(redis, jobs, retry=retry)
    if any(Lane(lane) == Lane.BULK for _, lane in messages):
        queued += start_drains(redis)
    return queued


@dataclass
class AfterCommit:
    """Work to hand to RQ once the transaction that stored it has committed."""

    feedback_ids: list[int] = field(default_factory=list)
    messages: list[tuple[int, str]] = field(default_factory=list)  # (message id, lane)
    alerts: list[int] = field(default_factory=list)  # confidential reports whose alert is pending
    attachments: list[int] = field(default_factory=list)  # messages whose files are to fetch (bot.media)
    # Other jobs, as enqueue_each takes them: (queue name, job function, argument, job id).
    jobs: list[tuple[str, str, int | str, str]] = field(default_factory=list)

    def hand_over(self, redis: Redis, settings: Settings) -> None:
        if self.jobs:
            enqueue_each(redis, self.jobs)
        if self.feedback_ids:
            enqueue_intake(redis, self.feedback_ids)
        if self.alerts:
            enqueue_alerts(redis, self.alerts)
        if self.attachments:
            enqueue_attachments(redis, self.attachments, settings.send_attempts, settings.send_retry_seconds)
        if self.messages:
            enqueue_sends(redis, self.messages, settings.send_attempts, settings.send_retry_seconds)


@dataclass(frozen=True)
class Transactions:
    """One database transaction per piece of work, and its jobs queued once it has committed."""

    database: sessionmaker[Session]
    redis: Redis
    settings: Settings

    def run(self, work: Callable[[Session, AfterCommit], T]) -> T:
        """Run `work` in one transaction, run again once if the same provider id was committed (`RETRY`)."""
        result, after = self._retried(lambda: write_transaction(self.database), work)
        self.hand_over(after)
        return result

    def run_in(self, connection: Connection, work: Callable[[Session, AfterCommit], T]) -> tuple[T, AfterCommit]:
        """Run `work` in a savepoint of `connection`'s open transaction, as `run` does; its jobs, for the owner of
        the transaction to hand over once it has committed."""
        return self._retried(lambda: savepoint(self.database, connection), work)

    @staticmethod
    def _retried(
        session: Callable[[], AbstractContextManager[Session]], work: Callable[[Session, AfterCommit], T]
    ) -> tuple[T, AfterCommit]:
        after = AfterCommit()
        try:
            with session() as db:
                return work(db, after), after
        except IntegrityError:
            # The same message committed by a parallel or an earlier request: the second run answers as a retry.
            after = AfterCommit()
            with session() as db:
                db.info[RETRY] = True
                return work(db, after), after

    def hand_over(self, after: AfterCommit) -> None:
        after.hand_over(self.redis, self.settings)

    def sweep(self) -> int:
        """Queue what a Redis outage or a dead worker left behind: submissions, alerts, messages, files still waiting.

        Submissions not yet in triage, protection alerts not yet done, messages not yet sent. A pending
        alert is queued only while PROTECTION_ALERT_NUMBERS is set (without numbers its job could only
        find none again, every minute) and while its report is open (an alert about a report already
        dealt with would only confuse); its report is on the protection desk's screen meanwhile.
        """
        now = utcnow()
        young = now - timedelta(seconds=self.settings.sweep_grace_seconds)
        with transaction(self.database) as db:
            pending = list(
                db.scalars(
                    select(Feedback.id)
                    .where(Feedback.ready_at.is_(None), Feedback.created_at < young)
                    .order_by(Feedback.created_at)
                    .limit(SWEEP_BATCH)
                )
            )
            unsent = db.execute(
                select(Message.id, Message.lane)
                .where(
                    Message.direction == Direction.OUT,
                    Message.lane.is_distinct_from(Lane.BULK),
                    ((Message.status == MessageStatus.PENDING) & (Message.created_at < young))
                    | ((Message.status == MessageStatus.RETRY) & (Message.status_at < now - RETRY_GRACE)),
                )
                .order_by(Message.created_at)
                .limit(SWEEP_BATCH)
            ).all()
            # Bulk messages are sent by their channel's drain, never a job each: start the drain of every
            # channel with bulk work that may go now (a paused or scheduled broadcast's messages wait).
            bulk_channels = channels_with_work(db, (MessageStatus.PENDING,), Message.created_at < young)
            bulk_channels |= channels_with_work(db, (MessageStatus.RETRY,), Message.status_at < now - RETRY_GRACE)
            attachments = waiting_at_provider(db, young, SWEEP_BATCH)
            alerts = []
            if self.settings.protection_alert_numbers:
                alerts = list(
                    db.scalars(
                        select(ProtectionAlert.feedback_id)
                        .join(Feedback, Feedback.id == ProtectionAlert.feedback_id)
                        .where(
                            ProtectionAlert.done_at.is_(None),
                            ProtectionAlert.created_at < young,
                            Feedback.status.not_in(DONE),
                        )
                        .order_by(ProtectionAlert.created_at)
                        .limit(SWEEP_BATCH)
                    )
                )
        queued = enqueue_intake(self.redis, pending)
        queued += enqueue_alerts(self.redis, alerts)
        queued += enqueue_attachments(
            self.redis, attachments, self.settings.send_attempts, self.settings.send_retry_seconds
        )
        queued += enqueue_sends(
            self.redis, [tuple(row) for row in unsent], self.settings.send_attempts, self.settings.send_retry_seconds
        )
        if bulk_channels:
            queued += start_drains(self.redis, bulk_channels)
        if pending or alerts or unsent or attachments:
            waiting = len(pending) + len(alerts) + len(unsent) + len(attachments)
            log.info("sweep queued %s of %s waiting items", queued, waiting)
        return queued
