"""What organizers do to a broadcast once it is planned: pause, resume, cancel; and how far it has gone.

The bulk drains (bot.outbound.bulk) send only the messages of a broadcast whose status is `sending`, so a
pause or a cancel takes effect at the next batch a drain claims (at most a fraction of a second of sends
already claimed go on). Cancelling also marks every message not yet handed to a provider `cancelled`.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from bot.cases.lifecycle import Refused
from bot.db import transaction
from bot.models import Broadcast, Message, utcnow
from bot.outbound.bulk import mark_done, start_drains
from bot.runtime import Runtime
from bot.vocabulary import N_, BroadcastStatus, MessageStatus

# How progress groups the statuses of a broadcast's messages (bot.vocabulary.MessageStatus).
COUNTED = {
    MessageStatus.PENDING: "queued",  # not yet handed to the provider
    MessageStatus.CLAIMED: "queued",
    MessageStatus.RETRY: "queued",
    MessageStatus.QUEUED: "sent",  # the provider has it
    MessageStatus.SENDING: "sent",
    MessageStatus.SENT: "sent",
    MessageStatus.DELIVERED: "delivered",
    MessageStatus.READ: "delivered",
    MessageStatus.UNDELIVERED: "failed",
    MessageStatus.FAILED: "failed",
    MessageStatus.UNKNOWN: "unknown",  # maybe sent: staff check with the provider
    MessageStatus.CANCELLED: "cancelled",
}
COUNTS = ("queued", "sent", "delivered", "failed", "unknown", "cancelled")
UNSENT = (MessageStatus.PENDING, MessageStatus.RETRY)
# From where each step may be taken.
PAUSABLE = (BroadcastStatus.SENDING, BroadcastStatus.SCHEDULED)
CANCELLABLE = (BroadcastStatus.SENDING, BroadcastStatus.SCHEDULED, BroadcastStatus.PAUSED)


@dataclass(frozen=True)
class Progress:
    """A broadcast's status and its messages counted by where they are."""

    status: str
    counts: dict[str, int]  # queued, sent, delivered, failed, unknown, cancelled
    recipients: int
    finished_at: datetime | None


def _broadcast(db: Session, broadcast_id: int) -> Broadcast:
    broadcast = db.get(Broadcast, broadcast_id, with_for_update=True)
    if broadcast is None:
        raise Refused(N_("There is no broadcast number %(id)s."), {"id": str(broadcast_id)})
    return broadcast


def _refuse(broadcast: Broadcast, step: str) -> None:
    raise Refused(
        N_("A broadcast that is “%(status)s” cannot be %(step)s."),
        {"status": BroadcastStatus(broadcast.status).label, "step": step},
        ("status", "step"),
    )


def pause(runtime: Runtime, broadcast_id: int) -> Broadcast:
    """Stop sending a broadcast for now (a scheduled one too); what is sent stays sent."""
    with transaction(runtime.database) as db:
        broadcast = _broadcast(db, broadcast_id)
        if broadcast.status not in PAUSABLE:
            _refuse(broadcast, N_("paused"))
        broadcast.status = BroadcastStatus.PAUSED
    return broadcast


def resume(runtime: Runtime, broadcast_id: int) -> Broadcast:
    """Go on sending a paused broadcast: at its time if that is still to come, else now."""
    with transaction(runtime.database) as db:
        broadcast = _broadcast(db, broadcast_id)
        if broadcast.status != BroadcastStatus.PAUSED:
            _refuse(broadcast, N_("resumed"))
        due = broadcast.send_at is None or broadcast.send_at <= utcnow()
        broadcast.status = BroadcastStatus.SENDING if due else BroadcastStatus.SCHEDULED
        channels = set(db.scalars(select(Message.channel).where(Message.broadcast_id == broadcast_id).distinct()))
    if broadcast.status == BroadcastStatus.SENDING:
        start_drains(runtime.redis, channels)
    return broadcast


def cancel(runtime: Runtime, broadcast_id: int) -> Broadcast:
    """Stop a broadcast for good: every message not yet handed to a provider is cancelled."""
    now = utcnow()
    with transaction(runtime.database) as db:
        broadcast = _broadcast(db, broadcast_id)
        if broadcast.status not in CANCELLABLE:
            _refuse(broadcast, N_("cancelled"))
        broadcast.status, broadcast.finished_at = BroadcastStatus.CANCELLED, now
        db.execute(
            update(Message)
            .where(Message.broadcast_id == broadcast_id, Message.status.in_(UNSENT))
            .values(status=MessageStatus.CANCELLED, status_at=now, error_message="the broadcast was cancelled")
            .execution_options(synchronize_session=False)
        )
    return broadcast


def progress(db: Session, broadcast_id: int) -> Progress:
    """How far a broadcast has gone: its status and its messages counted (delivery reports included)."""
    broadcast = db.get(Broadcast, broadcast_id)
    if broadcast is None:
        raise Refused(N_("There is no broadcast number %(id)s."), {"id": str(broadcast_id)})
    counts = dict.fromkeys(COUNTS, 0)
    rows = db.execute(
        select(Message.status, func.count()).where(Message.broadcast_id == broadcast_id).group_by(Message.status)
    )
    for status, count in rows:
        counts[COUNTED.get(MessageStatus(status) if MessageStatus.has(status) else None, "queued")] += count
    return Progress(broadcast.status, counts, broadcast.recipients, broadcast.finished_at)


def start_due(runtime: Runtime) -> int:
    """Start every scheduled broadcast whose time has come, and mark done those with nothing left to send."""
    now = utcnow()
    with transaction(runtime.database) as db:
        due = list(
            db.scalars(
                select(Broadcast.id).where(Broadcast.status == BroadcastStatus.SCHEDULED, Broadcast.send_at <= now)
            )
        )
        if due:
            db.execute(
                update(Broadcast)
                .where(Broadcast.id.in_(due), Broadcast.status == BroadcastStatus.SCHEDULED)
                .values(status=BroadcastStatus.SENDING)
                .execution_options(synchronize_session=False)
            )
        mark_done(db, now)
        channels = set()
        if due:
            channels = set(db.scalars(select(Message.channel).where(Message.broadcast_id.in_(due)).distinct()))
    if channels:
        start_drains(runtime.redis, channels)
    return len(due)
