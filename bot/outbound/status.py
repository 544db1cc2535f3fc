"""Delivery reports from the providers, applied to the message they are about."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import metrics
from bot.models import Contact, Message, utcnow
from bot.vocabulary import Direction, MessageStatus

# Twilio: the number replied STOP to the carrier; nothing more may be sent to it.
UNSUBSCRIBED = "21610"
ERROR_CODE_CHARS = Message.error_code.type.length


def _rank(status: str | None) -> int | None:
    return MessageStatus(status).rank if MessageStatus.has(status) else None


def record_status(
    db: Session, provider_id: str, status: str, error_code: str | None, error_message: str | None
) -> bool:
    """Apply a provider's delivery report; False if no message of ours has that id.

    Reports may arrive out of order: a status only ever moves up the delivery ladder
    (MessageStatus.rank), and one that is not on it (e.g. Twilio's `accepted`) changes nothing.
    """
    message = db.scalar(select(Message).where(Message.provider_id == provider_id, Message.direction == Direction.OUT))
    if message is None:
        return False
    new = _rank(status)
    if new is not None and new >= (_rank(message.status) or 0):
        if status != message.status:  # a report repeated is not counted again
            metrics.count_message(Direction.OUT, message.channel, status)
        message.status, message.status_at = status, utcnow()
        if error_code:
            # A provider's codes are short (Twilio's are five digits); a longer one is kept whole in the message.
            if len(error_code) > ERROR_CODE_CHARS:
                error_code, error_message = error_code[:ERROR_CODE_CHARS], f"{error_code}: {error_message or ''}"
            message.error_code, message.error_message = error_code, error_message
    if error_code == UNSUBSCRIBED:
        contact = db.get(Contact, message.contact_id)
        contact.opted_out_at = contact.opted_out_at or utcnow()
    return True
