"""Sending one stored message through its channel's provider, at most once; and the claim's lease.

A send job claims its message (pending → claimed) in its own commit before calling the provider. A
worker that dies after that leaves the message claimed; once the claim is older than
SEND_LEASE_SECONDS the sweep marks it `unknown` (`expire_leases`): the provider may have it, so it
is never sent again without a person deciding so (the staff page of sends, bot.cases.sends).
"""

import logging
from datetime import datetime, timedelta

from sqlalchemy import func, select, update

from bot import metrics
from bot.db import transaction
from bot.models import Contact, Message, utcnow
from bot.outbound.provider import Outgoing, SendError, TransientSendError, UncertainSendError
from bot.outbound.status import UNSUBSCRIBED
from bot.outbound.store import whatsapp_window_open
from bot.runtime import Runtime
from bot.vocabulary import Channel, Direction, MessageStatus

log = logging.getLogger(__name__)

# `Message.error_code` of a send whose worker died after claiming it.
LEASE_EXPIRED = "lease_expired"


def send(runtime: Runtime, message_id: int) -> MessageStatus | None:
    """Send message `message_id`; its new status, or None when there was nothing to send.

    The claim (pending → claimed) commits before the provider is called, so a second run finds
    nothing to do. A transient failure puts the message back to `retry` and raises, so RQ tries
    again after its backoff; an uncertain one (the request may have arrived) is never retried:
    it is marked `unknown` for staff to check.
    """
    out, attempt, claimed_at = _claim(runtime, message_id)
    if out is None:
        return None

    def finish(status: MessageStatus, error: SendError | None = None, provider_id: str | None = None):
        metrics.count_message(Direction.OUT, out.channel, status)
        return _finish(runtime, message_id, claimed_at, status, error, provider_id)

    sender = runtime.senders.get(out.channel)
    if sender is None:
        return finish(MessageStatus.FAILED, SendError(f"no provider configured for {out.channel}", "no_provider"))
    runtime.pacer.wait(out.channel, runtime.settings.per_second(out.channel))
    try:
        provider_id = sender.send(out)
    except TransientSendError as error:
        if attempt >= runtime.settings.send_attempts:
            return finish(MessageStatus.FAILED, error)
        finish(MessageStatus.RETRY, error)
        raise
    except UncertainSendError as error:
        return finish(MessageStatus.UNKNOWN, error)
    except SendError as error:
        return finish(MessageStatus.FAILED, error)
    return finish(MessageStatus.QUEUED, provider_id=provider_id)  # the provider has it


def _claim(runtime: Runtime, message_id: int) -> tuple[Outgoing | None, int, datetime | None]:
    """Take the message for this run, or None if another run has it or it was dealt with already.

    Also returns the attempt's number and the claim's time, which `_finish` checks is still the
    message's: the claim's token.
    """
    claimed_at = utcnow()
    with transaction(runtime.database) as db:
        claimed = db.execute(
            update(Message)
            .where(
                Message.id == message_id,
                Message.direction == Direction.OUT,
                Message.status.in_((MessageStatus.PENDING, MessageStatus.RETRY)),
            )
            .values(status=MessageStatus.CLAIMED, attempts=Message.attempts + 1, status_at=claimed_at)
        )
        if claimed.rowcount != 1:
            return None, 0, None
        message = db.get(Message, message_id)
        contact = db.get(Contact, message.contact_id)
        if contact.opted_out_at is not None or contact.phone_encrypted is None:
            message.status, message.error_message = MessageStatus.CANCELLED, "the person opted out or withdrew consent"
            metrics.count_message(Direction.OUT, message.channel, MessageStatus.CANCELLED)
            return None, message.attempts, None
        channel = Channel(message.channel)
        use_template = channel == Channel.WHATSAPP and not whatsapp_window_open(db, contact.id)
        phone = runtime.vault.decrypt(contact.phone_encrypted)
        return Outgoing(message.id, channel, phone, message.text, use_template), message.attempts, claimed_at


def _finish(
    runtime: Runtime,
    message_id: int,
    claimed_at: datetime,
    status: MessageStatus,
    error: SendError | None = None,
    provider_id: str | None = None,
) -> MessageStatus:
    """Record how the claimed send ended, if the message is still this claim's.

    A claim whose lease expired meanwhile is `unknown` with the claim's time: what the provider
    answered at last is then the truth and is recorded. A message staff have sent again since has
    a newer time and is left alone: this late answer is only logged.
    """
    now = utcnow()
    values = {"status": status, "status_at": now}
    if error is not None:
        values.update(error_code=error.code, error_message=error.reason)
    if provider_id is not None:
        values.update(provider_id=provider_id, sent_at=now, error_code=None, error_message=None)
    with transaction(runtime.database) as db:
        recorded = db.execute(
            update(Message)
            .where(
                Message.id == message_id,
                Message.status.in_((MessageStatus.CLAIMED, MessageStatus.UNKNOWN)),
                Message.status_at == claimed_at,
            )
            .values(**values)
        )
        if recorded.rowcount != 1:
            log.warning("message %s: its claim was given up before the provider answered (%s)", message_id, status)
            return status
        if error is not None and error.code == UNSUBSCRIBED:
            contact_id = db.scalar(select(Message.contact_id).where(Message.id == message_id))
            db.execute(update(Contact).where(Contact.id == contact_id).values(opted_out_at=now))
    return status


def expire_leases(runtime: Runtime, now: datetime | None = None) -> int:
    """Mark `unknown` every send claimed longer than SEND_LEASE_SECONDS ago: its worker died mid-send.

    It is never sent again from here (the person may have it already); staff decide on the sends
    page. The claim's time stays in `status_at`: when the provider may have got it, what staff look
    for in its logs. Returns how many were marked.
    """
    now = now or utcnow()
    lease = timedelta(seconds=runtime.settings.send_lease_seconds)
    with transaction(runtime.database) as db:
        expired = db.execute(
            update(Message)
            .where(
                Message.direction == Direction.OUT,
                Message.status == MessageStatus.CLAIMED,
                func.coalesce(Message.status_at, Message.created_at) < now - lease,
            )
            .values(
                status=MessageStatus.UNKNOWN,
                error_code=LEASE_EXPIRED,
                error_message="the worker sending it stopped before the provider answered: it may have been sent",
            )
            .execution_options(synchronize_session=False)
        ).rowcount
    if expired:
        log.warning("%s send(s) claimed by a worker that died are now unknown: staff decide", expired)
    return expired
