"""Storing a message to send: a `message` row (direction `out`, status `pending`) before any job exists.

A Redis outage then delays it and never loses it; the sweep queues what was left (bot.handover).
"""

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.models import Message, utcnow
from bot.vocabulary import Channel, Direction, Lane, MessageStatus

# WhatsApp allows free text only this long after the person's last message.
WHATSAPP_WINDOW = timedelta(hours=24)


def queue_message(
    db: Session,
    contact_id: int,
    channel: Channel,
    text: str,
    lane: Lane = Lane.REPLY,
    in_reply_to_id: int | None = None,
) -> Message:
    """Store a message to send; the caller commits, then hands it to RQ (bot.handover)."""
    message = Message(
        contact_id=contact_id,
        channel=Channel(channel),
        direction=Direction.OUT,
        text=text,
        status=MessageStatus.PENDING,
        lane=Lane(lane),
        in_reply_to_id=in_reply_to_id,
    )
    db.add(message)
    db.flush()
    return message


def whatsapp_window_open(db: Session, contact_id: int) -> bool:
    last = db.scalar(
        select(Message.created_at)
        .where(
            Message.contact_id == contact_id,
            Message.channel == Channel.WHATSAPP,
            Message.direction == Direction.IN,
        )
        .order_by(Message.created_at.desc())
        .limit(1)
    )
    return last is not None and utcnow() - last < WHATSAPP_WINDOW
