"""Sending one stored message through its channel's provider, at most once."""

from sqlalchemy import select, update

from bot.db import transaction
from bot.models import Contact, Message, utcnow
from bot.outbound.provider import Outgoing, SendError, TransientSendError, UncertainSendError
from bot.outbound.status import UNSUBSCRIBED
from bot.outbound.store import whatsapp_window_open
from bot.runtime import Runtime
from bot.vocabulary import Channel, Direction, MessageStatus


def send(runtime: Runtime, message_id: int) -> MessageStatus | None:
    """Send message `message_id`; its new status, or None when there was nothing to send.

    The claim (pending → claimed) commits before the provider is called, so a second run finds
    nothing to do. A transient failure puts the message back to `retry` and raises, so RQ tries
    again after its backoff; an uncertain one (the request may have arrived) is never retried:
    it is marked `unknown` for staff to check.
    """
    out, attempt = _claim(runtime, message_id)
    if out is None:
        return None
    sender = runtime.senders.get(out.channel)
    if sender is None:
        error = SendError(f"no provider configured for {out.channel}", "no_provider")
        return _finish(runtime, message_id, MessageStatus.FAILED, error)
    runtime.pacer.wait(out.channel, runtime.settings.per_second(out.channel))
    try:
        provider_id = sender.send(out)
    except TransientSendError as error:
        if attempt >= runtime.settings.send_attempts:
            return _finish(runtime, message_id, MessageStatus.FAILED, error)
        _finish(runtime, message_id, MessageStatus.RETRY, error)
        raise
    except UncertainSendError as error:
        return _finish(runtime, message_id, MessageStatus.UNKNOWN, error)
    except SendError as error:
        return _finish(runtime, message_id, MessageStatus.FAILED, error)
    return _finish(runtime, message_id, MessageStatus.QUEUED, provider_id=provider_id)  # the provider has it


def _claim(runtime: Runtime, message_id: int) -> tuple[Outgoing | None, int]:
    """Take the message for this run, or None if another run has it or it was dealt with already."""
    with transaction(runtime.database) as db:
        claimed = db.execute(
            update(Message)
            .where(
                Message.id == message_id,
                Message.direction == Direction.OUT,
                Message.status.in_((MessageStatus.PENDING, MessageStatus.RETRY)),
            )
            .values(status=MessageStatus.CLAIMED, attempts=Message.attempts + 1, status_at=utcnow())
        )
        if claimed.rowcount != 1:
            return None, 0
        message = db.get(Message, message_id)
        contact = db.get(Contact, message.contact_id)
        if contact.opted_out_at is not None or contact.phone_encrypted is None:
            message.status, message.error_message = MessageStatus.CANCELLED, "the person opted out or withdrew consent"
            return None, message.attempts
        channel = Channel(message.channel)
        use_template = channel == Channel.WHATSAPP and not whatsapp_window_open(db, contact.id)
        phone = runtime.vault.decrypt(contact.phone_encrypted)
        return Outgoing(message.id, channel, phone, message.text, use_template), message.attempts


def _finish(
    runtime: Runtime,
    message_id: int,
    status: MessageStatus,
    error: SendError | None = None,
    provider_id: str | None = None,
) -> MessageStatus:
    now = utcnow()
    values = {"status": status, "status_at": now}
    if error is not None:
        values.update(error_code=error.code, error_message=error.reason)
    if provider_id is not None:
        values.update(provider_id=provider_id, sent_at=now, error_code=None, error_message=None)
    with transaction(runtime.database) as db:
        db.execute(update(Message).where(Message.id == message_id).values(**values))
        if error is not None and error.code == UNSUBSCRIBED:
            contact_id = db.scalar(select(Message.contact_id).where(Message.id == message_id))
            db.execute(update(Contact).where(Contact.id == contact_id).values(opted_out_at=now))
    return status
