"""Replaying the spool once the database answers again: in order, one process of the host at a time.

Each kept request goes through its adapter's route as a live one does: the same form, the same
conversation, one transaction, its jobs queued once it has committed (a submission reaches intake).
The provider id it kept makes a second replay, or the provider's own retry, a retry: stored once.

What the replay adds to a live turn:
- the inbound message, and a submission it made, are dated when the person sent them, not when the
  database came back: a protection deadline counts from the report;
- the answer the person could not get then (the next question, a reference) goes out by the outbound
  pipeline on the channel they wrote on: they were told "we will answer soon". Never for a
  confidential report (a text arriving later may be read by someone else: the rule of every text
  baro sends on its own), and not for USSD, whose adapter already confirms a submission by SMS.

The web process replays (bot/app.py starts a `Flusher` in its lifespan): the spool is on its host's
disk, and RQ workers or `baro cron` may run elsewhere. Anything else on the host may call `replay`.
"""

import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, text
from sqlalchemy.exc import InterfaceError, OperationalError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session

from bot.channels import ADAPTERS
from bot.channels.base import ChannelAdapter, Route
from bot.conversation.conversations import Handled, Writer
from bot.conversation.inbound import InboundMessage
from bot.handover import AfterCommit
from bot.models import Feedback, Message, utcnow
from bot.runtime import Runtime
from bot.spool.languages import Listening
from bot.vocabulary import Channel, Direction, Lane, MessageStatus

log = logging.getLogger(__name__)

# What a database that cannot be reached raises: a refused or lost connection, a pool that cannot
# give one. Any other error is a bug, and is not hidden behind the spool.
DATABASE_DOWN = (OperationalError, InterfaceError, PoolTimeout)


def kept_request(adapter: ChannelAdapter, route: Route, form: Mapping[str, str]) -> dict:
    """What the spool keeps of a verified request: enough to run its route again."""
    return {"adapter": adapter.name, "path": route.path, "form": dict(form), "received_at": utcnow().isoformat()}


def database_answers(runtime: Runtime) -> bool:
    try:
        with runtime.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError:
        return False
    return True


@dataclass
class Replaying(Listening):
    """The exchange of a replayed request: dates what it stores from the request, and sends the answer later."""

    received_at: datetime | None = None

    def converse(self, inbound: InboundMessage, fresh: bool = False, write: Writer | None = None) -> Handled:
        handled = super().converse(inbound, fresh, write)
        if handled.contact_id is None:  # stored before: a provider's retry came first, or a second replay
            return handled
        message = self.db.scalar(
            select(Message).where(
                Message.channel == inbound.channel,
                Message.provider_id == inbound.provider_id,
                Message.direction == Direction.IN,
            )
        )
        message.created_at = self.received_at
        for feedback_id in handled.feedback_ids:
            self.db.get(Feedback, feedback_id).created_at = self.received_at
        channel = inbound.channel
        if handled.reply and not handled.confidential and channel != Channel.USSD and self.can_send(channel):
            self._send_later(message)
        return handled

    def _send_later(self, message: Message) -> None:
        """The stored answer becomes what the outbound pipeline sends, rather than a second copy of it."""
        reply = self.db.scalar(
            select(Message).where(Message.in_reply_to_id == message.id, Message.direction == Direction.OUT)
        )
        reply.status, reply.lane, reply.status_at = MessageStatus.PENDING, Lane.REPLY, utcnow()
        self.after.messages.append((reply.id, Lane.REPLY))


@dataclass
class Replayed:
    replayed: int = 0
    failed: int = 0


def _route(adapters: tuple[ChannelAdapter, ...], kept: dict) -> Route:
    for adapter in adapters:
        if adapter.name == kept["adapter"]:
            for route in adapter.routes():
                if route.path == kept["path"]:
                    return route
    raise LookupError(f"no route {kept['path']} of adapter {kept['adapter']}")


def _replay_one(runtime: Runtime, route: Route, kept: dict) -> None:
    parsed = route.form.model_validate(kept["form"], context={"max_text_chars": runtime.settings.max_text_chars})
    received_at = datetime.fromisoformat(kept["received_at"])
    heard: list[tuple[str, str | None]] = []

    def work(db: Session, after: AfterCommit) -> None:
        exchange = Replaying.of(runtime.exchange(db, after), received_at=received_at)
        route.handle(parsed, exchange)
        heard[:] = exchange.heard  # a second run (a parallel commit of the same id) replaces the first's

    runtime.transactions.run(work)
    runtime.languages.remember(heard)


def replay(
    runtime: Runtime, adapters: tuple[ChannelAdapter, ...] = ADAPTERS, stop: threading.Event | None = None
) -> Replayed:
    """Replay what waits in the spool, oldest first, until it is empty, the database fails again, or `stop`.

    Does nothing while another process of this host replays (it empties the spool itself).
    """
    spool, outcome = runtime.spool, Replayed()
    if not spool.waiting():
        return outcome
    with spool.turn() as ours:
        if not ours:
            return outcome
        spool.recover()
        while not (stop and stop.is_set()) and (claimed := spool.claim()) is not None:
            try:
                kept = spool.read(claimed)
                route = _route(adapters, kept)
                _replay_one(runtime, route, kept)
            except DATABASE_DOWN as error:
                if not database_answers(runtime):
                    spool.release(claimed)  # back at its place: the next turn starts with it
                    log.warning("database unavailable again (%s): the replay waits", type(error).__name__)
                    break
                log.exception("spool file %s fails although the database answers: moved to failed/", claimed.name)
                spool.fail(claimed)
                outcome.failed += 1
            except Exception:  # undecryptable (InvalidToken), an unknown route, a form no longer valid, a bug
                log.exception("spool file %s cannot be replayed: moved to failed/", claimed.name)
                spool.fail(claimed)
                outcome.failed += 1
            else:
                spool.done(claimed)
                outcome.replayed += 1
    if outcome.replayed or outcome.failed:
        log.info("spool replayed %s request(s), %s failed", outcome.replayed, outcome.failed)
    return outcome


class Flusher:
    """Replays the spool every SPOOL_FLUSH_SECONDS in a thread of the web process, while there is something."""

    def __init__(self, runtime: Runtime, adapters: tuple[ChannelAdapter, ...] = ADAPTERS):
        self.runtime = runtime
        self.adapters = adapters
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="baro-spool-flusher", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Stops between two requests: one being replayed is finished, the rest waits for the next start."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stop.wait(self.runtime.settings.spool_flush_seconds):
            try:
                if self.runtime.spool.waiting() and database_answers(self.runtime):
                    replay(self.runtime, self.adapters, self._stop)
            except Exception:  # the thread must outlive one bad turn: the spool is still there next time
                log.exception("spool replay failed; trying again in %s s", self.runtime.settings.spool_flush_seconds)
