"""Messages that are not a webhook's own answer: stored first, then sent by an RQ job.

Every such message is a `message` row (direction `out`, status `pending`) before any job
exists, so a Redis outage delays it and never loses it; the sweep queues what was left.
"""

from datetime import timedelta

from redis import Redis
from rq import Retry
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.models import Contact, Message, utcnow
from bot.queue import enqueue_each

# Two lanes: a worker drains the reply queue before the bulk one (see `baro worker`).
LANES = {"reply": "outbound-replies", "bulk": "outbound-bulk"}
# WhatsApp allows free text only this long after the person's last message.
WHATSAPP_WINDOW = timedelta(hours=24)


def queue_message(
    db: Session, contact_id: int, channel: str, text: str, lane: str = "reply", in_reply_to_id: int | None = None
) -> Message:
    """Store a message to send; the caller commits, then calls `enqueue_sends`."""
    if lane not in LANES:
        raise ValueError(f"unknown lane {lane}")
    message = Message(
        contact_id=contact_id,
        channel=channel,
        direction="out",
        text=text,
        status="pending",
        lane=lane,
        in_reply_to_id=in_reply_to_id,
    )
    db.add(message)
    db.flush()
    return message


def enqueue_sends(redis: Redis, messages: list[tuple[int, str]], attempts: int, retry_seconds: list[int]) -> int:
    """Queue a send job per (message id, lane); returns how many were queued."""
    jobs = [
        (LANES[lane], "workers.jobs.send_message", message_id, f"send-{message_id}") for message_id, lane in messages
    ]
    return enqueue_each(redis, jobs, retry=Retry(max=attempts, interval=retry_seconds) if attempts > 1 else None)


def whatsapp_window_open(db: Session, contact_id: int) -> bool:
    last = db.scalar(
        select(Message.created_at)
        .where(Message.contact_id == contact_id, Message.channel == "whatsapp", Message.direction == "in")
        .order_by(Message.created_at.desc())
        .limit(1)
    )
    return last is not None and utcnow() - last < WHATSAPP_WINDOW


# Callbacks may arrive out of order; a status never moves back down this ladder.
_RANK = {"claimed": 0, "queued": 1, "sending": 2, "sent": 3, "delivered": 4, "undelivered": 4, "failed": 4, "read": 5}
# Twilio: the number replied STOP to the carrier; nothing more may be sent to it.
UNSUBSCRIBED = "21610"


def record_status(
    db: Session, provider_id: str, status: str, error_code: str | None, error_message: str | None
) -> bool:
    """Apply a provider's delivery report; False if no message of ours has that id."""
    message = db.scalar(select(Message).where(Message.provider_id == provider_id, Message.direction == "out"))
    if message is None:
        return False
    if _RANK.get(status, -1) >= _RANK.get(message.status or "", 0):
        message.status, message.status_at = status, utcnow()
        if error_code:
            message.error_code, message.error_message = error_code, error_message
    if error_code == UNSUBSCRIBED:
        contact = db.get(Contact, message.contact_id)
        contact.opted_out_at = contact.opted_out_at or utcnow()
    return True
