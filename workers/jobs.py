"""Jobs the RQ workers run."""

import logging
from datetime import timedelta

from sqlalchemy import select, update

from bot.channels.base import Outgoing, SendError, TransientSendError, UncertainSendError
from bot.db import transaction
from bot.models import Contact, Feedback, Message, utcnow
from bot.outbound import UNSUBSCRIBED, enqueue_sends, whatsapp_window_open
from bot.queue import enqueue_intake
from bot.runtime import get_runtime
from workers.alerts import alert_protection

log = logging.getLogger(__name__)

# A submission younger than this is probably still on its way through the normal path.
SWEEP_GRACE = timedelta(seconds=30)
# A retry older than this lost its scheduled job (Redis was flushed or down).
RETRY_GRACE = timedelta(minutes=30)



def intake_feedback(feedback_id: int) -> bool:
    """Put a submission in the triage queue; True if this run did it, False if it was already there.

    A confidential report also alerts the protection focal points (once: the alert is idempotent,
    so a retried intake still alerts if the first run died before it).
    """
    with transaction(get_runtime().sessions) as db:
        done = db.execute(
            update(Feedback).where(Feedback.id == feedback_id, Feedback.ready_at.is_(None)).values(ready_at=utcnow())
        )
    alert_protection(feedback_id)
    return done.rowcount == 1


def sweep_intake() -> int:
    """Queue what a Redis outage left behind: submissions not yet in triage, messages not yet sent."""
    runtime = get_runtime()
    now = utcnow()
    with transaction(runtime.sessions) as db:
        pending = list(
            db.scalars(
                select(Feedback.id)
                .where(Feedback.ready_at.is_(None), Feedback.created_at < now - SWEEP_GRACE)
                .order_by(Feedback.created_at)
                .limit(1000)
            )
        )
        unsent = db.execute(
            select(Message.id, Message.lane)
            .where(
                Message.direction == "out",
                ((Message.status == "pending") & (Message.created_at < now - SWEEP_GRACE))
                | ((Message.status == "retry") & (Message.status_at < now - RETRY_GRACE)),
            )
            .order_by(Message.created_at)
            .limit(1000)
        ).all()
    settings = runtime.settings
    queued = enqueue_intake(runtime.redis, pending)
    queued += enqueue_sends(
        runtime.redis, [tuple(row) for row in unsent], settings.send_attempts, settings.send_retry_seconds
    )
    if pending or unsent:
        log.info("sweep queued %s of %s waiting items", queued, len(pending) + len(unsent))
    return queued


def _finish(runtime, message_id: int, status: str, error: SendError | None = None, provider_id: str | None = None):
    now = utcnow()
    values = {"status": status, "status_at": now}
    if error is not None:
        values.update(error_code=error.code, error_message=error.reason)
    if provider_id is not None:
        values.update(provider_id=provider_id, sent_at=now, error_code=None, error_message=None)
    with transaction(runtime.sessions) as db:
        db.execute(update(Message).where(Message.id == message_id).values(**values))
        if error is not None and error.code == UNSUBSCRIBED:
            contact_id = db.scalar(select(Message.contact_id).where(Message.id == message_id))
            db.execute(update(Contact).where(Contact.id == contact_id).values(opted_out_at=now))


def _claim(runtime, message_id: int) -> tuple[Outgoing | None, int]:
    """Take the message for this run, or None if another run has it or it was dealt with already."""
    with transaction(runtime.sessions) as db:
        claimed = db.execute(
            update(Message)
            .where(Message.id == message_id, Message.direction == "out", Message.status.in_(("pending", "retry")))
            .values(status="claimed", attempts=Message.attempts + 1, status_at=utcnow())
        )
        if claimed.rowcount != 1:
            return None, 0
        message = db.get(Message, message_id)
        contact = db.get(Contact, message.contact_id)
        if contact.opted_out_at is not None or contact.phone_encrypted is None:
            message.status, message.error_message = "cancelled", "the person opted out or withdrew consent"
            return None, message.attempts
        use_template = message.channel == "whatsapp" and not whatsapp_window_open(db, contact.id)
        phone = runtime.vault.decrypt(contact.phone_encrypted)
        return Outgoing(message.id, message.channel, phone, message.text, use_template), message.attempts


def send_message(message_id: int) -> str:
    """Send one stored message through its channel's provider, at most once.

    The claim (pending -> claimed) commits before the provider is called, so a second run of
    this job finds nothing to do. A transient failure puts the message back to `retry` and
    raises, so RQ tries again after its backoff; an uncertain one (the request may have
    arrived) is never retried: it is marked `unknown` for staff to check.
    """
    runtime = get_runtime()
    settings = runtime.settings
    out, attempt = _claim(runtime, message_id)
    if out is None:
        return "nothing to send"
    sender = runtime.senders.get(out.channel)
    if sender is None:
        _finish(runtime, message_id, "failed", SendError(f"no provider configured for {out.channel}", "no_provider"))
        return "failed"
    runtime.pacer.wait(out.channel, runtime.rates[out.channel])
    try:
        provider_id = sender.send(out)
    except TransientSendError as error:
        if attempt >= settings.send_attempts:
            _finish(runtime, message_id, "failed", error)
            return "failed"
        _finish(runtime, message_id, "retry", error)
        raise
    except UncertainSendError as error:
        _finish(runtime, message_id, "unknown", error)
        return "unknown"
    except SendError as error:
        _finish(runtime, message_id, "failed", error)
        return "failed"
    _finish(runtime, message_id, "queued", provider_id=provider_id)  # the provider has it
    return "queued"
