"""A bulk drain: one slice of time sending a channel's pending bulk messages, in id order, at its pace.

One RQ job sends hundreds of messages (no job, no fork per message). It claims a small batch at a time
(pending → claimed, committed before any provider call, as bot.outbound.sending does for one), paces
each send through the shared Pacer and hands it to a small thread pool, so the provider's latency never
slows the pace. After BULK_SLICE_SECONDS it stops claiming, gives up the channel's lock and queues its
continuation at the back of the bulk queue: intake and replies, which a worker takes first, go between
two slices.

What is decided at claim time, per message: a person who opted out or refused consent is `cancelled`
(a STOP in reply takes effect from the next batch, a fraction of a second away); a paused, scheduled or
cancelled broadcast's messages are not claimed at all. Outside quiet hours only (bot.outbound.quiet).
A drain whose worker dies leaves its batch claimed: the sweep marks it `unknown` after the lease, like
any send, and starts the drain again.
"""

import logging
import os
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import datetime, timedelta
from math import ceil
from queue import SimpleQueue

from sqlalchemy import bindparam, func, or_, select, update

from bot import metrics
from bot.db import transaction
from bot.models import Contact, Message, utcnow
from bot.outbound.bulk import DrainLock, channels_with_work, drain_later, mark_done, start_drains, waiting
from bot.outbound.provider import Outgoing, SendError, TransientSendError, UncertainSendError
from bot.outbound.quiet import quiet_until
from bot.outbound.status import UNSUBSCRIBED
from bot.outbound.store import WHATSAPP_WINDOW
from bot.runtime import Runtime
from bot.vocabulary import Channel, Consent, Direction, MessageStatus

log = logging.getLogger(__name__)

# A batch is this much of the channel's pace: small, so a pause, a cancel or a STOP is seen soon after.
CLAIM_AHEAD_SECONDS = 0.25
MAX_BATCH = 200
MESSAGES = Message.__table__

_pools: dict[tuple[int, str], ThreadPoolExecutor] = {}


def _pool(channel: str, threads: int) -> ThreadPoolExecutor:
    """This process's provider threads for `channel` (a forked work-horse makes its own)."""
    key = (os.getpid(), channel)
    if key not in _pools:
        _pools[key] = ThreadPoolExecutor(max_workers=threads, thread_name_prefix=f"bulk-{channel}")
    return _pools[key]


@dataclass(frozen=True)
class Claimed:
    out: Outgoing
    attempt: int


@dataclass(frozen=True)
class Outcome:
    """How one send ended, recorded if the message is still this drain's claim."""

    message_id: int
    status: MessageStatus
    error: SendError | None = None
    provider_id: str | None = None


def backoff(settings, attempt: int) -> timedelta:
    """How long a bulk message waits after its `attempt`th transient failure."""
    delays = settings.send_retry_seconds or [0]
    return timedelta(seconds=delays[min(max(attempt, 1), len(delays)) - 1])


class Drain:
    """One slice of `channel`'s drain in this process."""

    def __init__(self, runtime: Runtime, channel: str, clock: Callable[[], float] = time.monotonic):
        self.runtime, self.settings, self.channel, self.clock = runtime, runtime.settings, channel, clock
        self.rate = self.settings.per_second(channel)
        self.batch = max(1, min(MAX_BATCH, ceil(self.rate * CLAIM_AHEAD_SECONDS)))
        self.sender = runtime.senders.get(Channel(channel))
        self.in_flight: list[Future] = []
        self.finished: SimpleQueue[tuple[Outcome, datetime]] = SimpleQueue()
        self.sent = 0
        self.retry_in: float | None = None
        # The database work (claiming the next batch, recording the last) runs in this one thread, beside
        # the pacing: a slot is never missed while a batch is being claimed.
        self.database_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"drain-{channel}")

    def run(self) -> str:
        """Claim and send for one slice; `more`, `empty`, `waiting` (retries not due yet) or `quiet`.

        The next batch is claimed while this one is paced out; a batch claimed is always sent, so a slice
        ends at most one batch (CLAIM_AHEAD_SECONDS of pace) after its deadline.
        """
        if self.quiet():
            return "quiet"
        deadline = self.clock() + self.settings.bulk_slice_seconds
        upcoming: Future | None = self.database_thread.submit(self.claim)
        outcome = "more"
        while upcoming is not None:
            claimed, taken, retry_in, claimed_at = upcoming.result()
            upcoming = None
            if not taken:
                self.retry_in = retry_in
                outcome = "waiting" if retry_in is not None else "empty"
                break
            if self.quiet():
                outcome = "quiet"
            elif self.clock() < deadline:
                upcoming = self.database_thread.submit(self.claim)
            for item in claimed:
                self.submit(item, claimed_at)
            self.database_thread.submit(self.record)
        return outcome

    def quiet(self) -> bool:
        return quiet_until(self.settings.broadcast_quiet_hours, self.settings.timezone) is not None

    def claim(self) -> tuple[list[Claimed], int, float | None, datetime]:
        """Claim the next batch (outside quiet hours); its sendable messages, how many were taken (cancelled
        ones too), the seconds until the first retry is due when only retries not yet due are left, and the
        claim's time (its token)."""
        now = utcnow()
        retry_in = None
        with transaction(self.runtime.database) as db:
            ids = list(db.scalars(waiting(self.channel).limit(self.batch)))
            if len(ids) < self.batch:
                retries = db.execute(
                    waiting(self.channel, (MessageStatus.RETRY,))
                    .add_columns(Message.attempts, Message.status_at)
                    .limit(self.batch - len(ids))
                )
                for message_id, attempt, status_at in retries:
                    due = (status_at or now) + backoff(self.settings, attempt)
                    if due <= now:
                        ids.append(message_id)
                    else:
                        wait = (due - now).total_seconds()
                        retry_in = wait if retry_in is None else min(retry_in, wait)
            if not ids:
                return [], 0, retry_in, now
            db.execute(
                update(Message)
                .where(Message.id.in_(ids), Message.status.in_((MessageStatus.PENDING, MessageStatus.RETRY)))
                .values(status=MessageStatus.CLAIMED, attempts=Message.attempts + 1, status_at=now)
                .execution_options(synchronize_session=False)
            )
            rows = db.execute(
                select(
                    Message.id,
                    Message.text,
                    Message.attempts,
                    Contact.id,
                    Contact.phone_encrypted,
                    Contact.opted_out_at,
                    Contact.consent,
                )
                .join(Contact, Contact.id == Message.contact_id)
                .where(Message.id.in_(ids), Message.status == MessageStatus.CLAIMED, Message.status_at == now)
                .order_by(Message.id)
            ).all()
            gone = [row[0] for row in rows if row[5] is not None or row[4] is None or row[6] == Consent.REFUSED]
            if gone:
                db.execute(
                    update(Message)
                    .where(Message.id.in_(gone))
                    .values(status=MessageStatus.CANCELLED, error_message="the person opted out or withdrew consent")
                    .execution_options(synchronize_session=False)
                )
                metrics.count_message(Direction.OUT, self.channel, MessageStatus.CANCELLED, len(gone))
            live = [row for row in rows if row[0] not in set(gone)]
            window = self._window_open(db, [row[3] for row in live], now)
            vault = self.runtime.vault
            claimed = [
                Claimed(
                    Outgoing(
                        message_id,
                        Channel(self.channel),
                        vault.decrypt(phone),
                        text,
                        use_template=self.channel == Channel.WHATSAPP and contact_id not in window,
                    ),
                    attempt,
                )
                for message_id, text, attempt, contact_id, phone, _, _ in live
            ]
        return claimed, len(rows), retry_in, now

    def _window_open(self, db, contact_ids: list[int], now: datetime) -> set[int]:
        """The contacts who wrote on WhatsApp within 24 hours: free text; the others get the template."""
        if self.channel != Channel.WHATSAPP or not contact_ids:
            return set()
        last = db.execute(
            select(Message.contact_id, func.max(Message.created_at))
            .where(
                Message.contact_id.in_(contact_ids),
                Message.channel == Channel.WHATSAPP,
                Message.direction == Direction.IN,
            )
            .group_by(Message.contact_id)
        )
        return {contact_id for contact_id, at in last if at is not None and now - _aware(at) < WHATSAPP_WINDOW}

    def submit(self, item: Claimed, claimed_at: datetime) -> None:
        """Wait for the channel's next slot (shared with replies and every worker), then send in a thread."""
        if self.sender is None:
            error = SendError(f"no provider configured for {self.channel}", "no_provider")
            self.finished.put((Outcome(item.out.message_id, MessageStatus.FAILED, error), claimed_at))
            return
        self.runtime.pacer.wait(self.channel, self.rate)
        future = _pool(self.channel, self.settings.bulk_threads).submit(self._send, item)
        future.add_done_callback(lambda done: self.finished.put((done.result(), claimed_at)))
        self.in_flight.append(future)

    def _send(self, item: Claimed) -> Outcome:
        """One provider call, in a thread: never raises (an unexpected error may have sent it: unknown)."""
        message_id = item.out.message_id
        try:
            return Outcome(message_id, MessageStatus.QUEUED, provider_id=self.sender.send(item.out))
        except TransientSendError as error:
            failed = item.attempt >= self.settings.send_attempts
            return Outcome(message_id, MessageStatus.FAILED if failed else MessageStatus.RETRY, error)
        except UncertainSendError as error:
            return Outcome(message_id, MessageStatus.UNKNOWN, error)
        except SendError as error:  # PermanentSendError and any other refusal: never retried
            return Outcome(message_id, MessageStatus.FAILED, error)
        except Exception as error:  # a bug in a sender must not lose the claim's outcome; it may have sent
            log.exception("message %s: the provider call failed unexpectedly", message_id)
            unexpected = SendError(f"unexpected: {error.__class__.__name__}", "error")
            return Outcome(message_id, MessageStatus.UNKNOWN, unexpected)

    def record(self) -> None:
        """Record the sends that ended so far, in one transaction."""
        finished = []
        while not self.finished.empty():
            finished.append(self.finished.get())
        if finished:
            record(self.runtime, finished)
            metrics.count_sends(self.channel, (outcome.status for outcome, _ in finished))
            self.sent += len(finished)

    def finish(self) -> None:
        """Wait for every send this slice started and record them all."""
        self.database_thread.shutdown(wait=True)  # a claim in progress ends; its batch was never submitted
        wait(self.in_flight)
        self.record()


def record(runtime: Runtime, finished: list[tuple[Outcome, datetime]]) -> None:
    """Record how claimed sends ended, each only if the message is still that claim's (as sending._finish)."""
    now = utcnow()
    statement = (
        update(MESSAGES)
        .where(
            MESSAGES.c.id == bindparam("b_id"),
            # Not `in_`: an expanding list cannot be part of an executemany.
            or_(MESSAGES.c.status == MessageStatus.CLAIMED.value, MESSAGES.c.status == MessageStatus.UNKNOWN.value),
            MESSAGES.c.status_at == bindparam("b_claimed_at"),
        )
        .values(
            status=bindparam("b_status"),
            status_at=bindparam("b_now"),
            provider_id=bindparam("b_provider_id"),
            sent_at=bindparam("b_sent_at"),
            error_code=bindparam("b_error_code"),
            error_message=bindparam("b_error_message"),
        )
    )
    rows = [
        {
            "b_id": outcome.message_id,
            "b_claimed_at": claimed_at,
            "b_status": outcome.status.value,
            "b_now": now,
            "b_provider_id": outcome.provider_id,
            "b_sent_at": now if outcome.provider_id else None,
            "b_error_code": outcome.error.code if outcome.error else None,
            "b_error_message": outcome.error.reason if outcome.error else None,
        }
        for outcome, claimed_at in finished
    ]
    unsubscribed = [o.message_id for o, _ in finished if o.error is not None and o.error.code == UNSUBSCRIBED]
    with transaction(runtime.database) as db:
        db.execute(statement, rows)
        if unsubscribed:
            contacts = select(Message.contact_id).where(Message.id.in_(unsubscribed)).scalar_subquery()
            db.execute(
                update(Contact)
                .where(Contact.id.in_(contacts), Contact.opted_out_at.is_(None))
                .values(opted_out_at=now)
                .execution_options(synchronize_session=False)
            )


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo is not None else at.replace(tzinfo=utcnow().tzinfo)


def drain(runtime: Runtime, channel: str) -> str:
    """Run one slice of `channel`'s bulk drain, unless another is running; what it came to.

    The lock is given up as soon as claiming stops and the continuation is queued before waiting for the
    last provider answers, so the channel's pace barely pauses between slices.
    """
    lock = DrainLock(runtime.redis, channel)
    if not lock.acquire():
        return "busy"  # the running drain queues its own continuation
    slice_ = Drain(runtime, channel)
    outcome = "error"
    try:
        try:
            outcome = slice_.run()
        finally:
            lock.release()
            if outcome == "more":
                start_drains(runtime.redis, [channel])
            elif outcome == "waiting":
                drain_later(runtime.redis, channel, slice_.retry_in)
    finally:
        slice_.finish()  # every claimed send's outcome, even after an error in this slice
    if outcome == "empty":
        with transaction(runtime.database) as db:
            mark_done(db, utcnow())
            # Work committed while this drain was finding none, whose own drain found the lock taken.
            again = channels_with_work(db) & {channel}
        if again:
            start_drains(runtime.redis, again)
    return f"{outcome}: {slice_.sent} sent"
