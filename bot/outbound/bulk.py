"""Starting the bulk lane's drains: one RQ job per channel, never one per message.

Bulk messages (broadcasts, assembly notices and reminders) are rows, pending, on the bulk lane. A drain
job (bot.outbound.drain) sends a channel's pending bulk messages in id order for a short slice of time,
then queues its own continuation at the back of the bulk queue, so intake and replies (queues a worker
takes first) always pass before the next slice.

Two keys per channel keep it to one drain at a time, so two workers are never both waiting on one
channel's pace while the other channel waits (no head-of-line blocking between channels):

- `wanted`: a drain job is queued and has not started. Starting drains is then a no-op, so a thousand
  assembly notices committed one by one queue one job, not a thousand. It expires, so a job Redis lost
  never blocks the lane for long; the sweep starts drains again anyway.
- `lock`: a drain is running. A second one exits at once; the running one queues its continuation.
"""

import logging
import uuid
from collections.abc import Iterable
from datetime import timedelta

from redis import Redis
from redis.exceptions import RedisError
from rq import Queue
from sqlalchemy import Select, select, update
from sqlalchemy.orm import Session

from bot.models import Broadcast, Message
from bot.vocabulary import BroadcastStatus, Direction, Lane, MessageStatus

log = logging.getLogger(__name__)

BULK_QUEUE = "outbound-bulk"
DRAIN_JOB = "workers.jobs.drain_bulk"
WANTED = "baro:drain:wanted:{}"
LOCK = "baro:drain:lock:{}"
# Longer than a drain keeps claiming (its slice, plus one batch's pace); it is released sooner, as soon as
# the drain stops claiming. A drain whose worker died holds it this long at most.
LOCK_SECONDS = 30
WANTED_SECONDS = 120
# The channels bulk messages go out on (a USSD person is texted by SMS).
BULK_CHANNELS = ("sms", "whatsapp")
# Deletes the lock only if it is still this drain's (a drain that outlived its lock must not free another's).
RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


def waiting(channel: str, statuses=(MessageStatus.PENDING,)) -> Select:
    """The ids of `channel`'s bulk messages in `statuses` that may go now, in order: not those of a broadcast
    that is paused, scheduled or cancelled (ix_message_bulk: lane, channel, status, id)."""
    return (
        select(Message.id)
        .outerjoin(Broadcast, Broadcast.id == Message.broadcast_id)
        .where(
            Message.lane == Lane.BULK,
            Message.channel == channel,
            Message.status.in_(statuses),
            Message.direction == Direction.OUT,
            Message.broadcast_id.is_(None) | (Broadcast.status == BroadcastStatus.SENDING),
        )
        .order_by(Message.id)
    )


def channels_with_work(db: Session, statuses=(MessageStatus.PENDING,), *conditions) -> set[str]:
    """The channels with bulk messages in `statuses` that may go now (and meet `conditions`, if any)."""
    found = set()
    for channel in BULK_CHANNELS:
        if db.scalar(waiting(channel, statuses).where(*conditions).limit(1)) is not None:
            found.add(channel)
    return found


def mark_done(db: Session, now) -> int:
    """Mark `done` every sending broadcast with no message left to hand to a provider; how many."""
    unsent = (MessageStatus.PENDING, MessageStatus.CLAIMED, MessageStatus.RETRY)
    left = select(Message.id).where(Message.broadcast_id == Broadcast.id, Message.status.in_(unsent)).exists()
    return db.execute(
        update(Broadcast)
        .where(Broadcast.status == BroadcastStatus.SENDING, ~left)
        .values(status=BroadcastStatus.DONE, finished_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount


def start_drains(redis: Redis, channels: Iterable[str] = BULK_CHANNELS) -> int:
    """Queue a drain for each channel that has none queued; how many were queued. A Redis error is
    logged, not raised: the work is in the database and the sweep starts drains again."""
    queued = 0
    for channel in sorted(set(channels)):
        try:
            if not redis.set(WANTED.format(channel), "1", nx=True, ex=WANTED_SECONDS):
                continue  # one is queued already and will find this work too
            Queue(BULK_QUEUE, connection=redis).enqueue(
                DRAIN_JOB, channel, job_id=f"drain-{channel}-{uuid.uuid4().hex[:12]}", result_ttl=60, failure_ttl=3600
            )
        except RedisError as error:
            log.warning("could not start the %s bulk drain, the sweep will: %s", channel, error)
            continue
        queued += 1
    return queued


def drain_later(redis: Redis, channel: str, seconds: float) -> None:
    """Queue a drain in `seconds` (RQ's scheduler): retries waiting for their backoff, nothing else to send."""
    try:
        Queue(BULK_QUEUE, connection=redis).enqueue_in(
            timedelta(seconds=max(1.0, seconds)),
            DRAIN_JOB,
            channel,
            job_id=f"drain-{channel}-{uuid.uuid4().hex[:12]}",
            result_ttl=60,
        )
    except RedisError as error:
        log.warning("could not schedule the %s bulk drain, the sweep will: %s", channel, error)


class DrainLock:
    """The one running drain of a channel: taken with `acquire`, given up with `release`."""

    def __init__(self, redis: Redis, channel: str):
        self.redis, self.key, self.token = redis, LOCK.format(channel), uuid.uuid4().hex
        self.wanted = WANTED.format(channel)
        self._release = redis.register_script(RELEASE)
        self.held = False

    def acquire(self) -> bool:
        """Take the channel's drain; False if another drain has it. Clears `wanted`: this job has started."""
        self.redis.delete(self.wanted)
        self.held = bool(self.redis.set(self.key, self.token, nx=True, ex=LOCK_SECONDS))
        return self.held

    def release(self) -> None:
        if self.held:
            self.held = False
            try:
                self._release(keys=[self.key], args=[self.token])
            except RedisError as error:  # it expires on its own
                log.warning("could not release %s: %s", self.key, error)
