"""The phone alert to the protection focal points when a confidential report arrives.

The alert says that a report is waiting and its reference, never what it is about: the phone
of a focal point may be seen by others. It goes to every number in PROTECTION_ALERT_NUMBERS on
PROTECTION_ALERT_CHANNEL, through the outbound pipeline (stored first, then sent by a job).

The alert is a `ProtectionAlert` row of its own, written at the latest by the intake, in the same
commit that puts the report in the triage queue (`pending_alert`). Its job (`alert_protection`)
marks it done in the same commit that stores its messages, so a crash anywhere in between leaves
it pending, and the sweep (bot.handover) queues the job again until it is done.

Without PROTECTION_ALERT_NUMBERS the row stays pending and nothing is sent: the report is on the
protection desk's screen with its deadline (bot.cases.deadlines) whatever happens to its alert, and
once numbers are set the sweep alerts the reports still open.

A report still not acknowledged once its `due_at` has passed (PROTECTION_DEADLINE_HOURS after it
arrived) alerts the same numbers again, once: `remind_overdue`, a periodic job. Its durable record
is a CaseEvent `overdue_alerted` in the report's trail (detail sealed like every other), stored in
the commit that stores its messages. There is no table to put a unique constraint on, so the
guard is a lock: each reminder first writes the report's own row (a no-op update that also checks,
under that lock, that it is still overdue and unacknowledged), which makes a second run at the same
time wait for the first's commit (PostgreSQL's row lock, SQLite's write lock) and then find its
event. Staff acknowledging the report at that moment take the same row: one of the two goes first.
"""

import logging
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.cases.sealed import seal
from bot.config import Settings
from bot.contacts import contact_for
from bot.db import transaction
from bot.handover import AfterCommit
from bot.models import CaseEvent, Feedback, ProtectionAlert, utcnow
from bot.notices import PROTECTION_ALERT, PROTECTION_OVERDUE
from bot.outbound.gsm7 import prepare
from bot.outbound.store import queue_message
from bot.phones import normalize
from bot.runtime import Runtime
from bot.vocabulary import DONE, Channel, Consent, Lane

log = logging.getLogger(__name__)

# The trail's action that records a report's overdue reminder, and so that it went (once).
OVERDUE_ALERTED = "overdue_alerted"


def pending_alert(db: Session, feedback_id: int) -> bool:
    """Make sure the report has its alert row; True while that alert is still to be done.

    The caller commits. Of two transactions creating it at once, the second finds the first's row.
    """
    alert = db.scalar(select(ProtectionAlert).where(ProtectionAlert.feedback_id == feedback_id))
    if alert is None:
        try:
            with db.begin_nested():
                alert = ProtectionAlert(feedback_id=feedback_id)
                db.add(alert)
        except IntegrityError:  # created meanwhile by a parallel run
            alert = db.scalar(select(ProtectionAlert).where(ProtectionAlert.feedback_id == feedback_id))
    return alert.done_at is None


def alerted_at(db: Session, feedback_id: int) -> datetime | None:
    """When the report's alert was done (its messages stored), or None."""
    return db.scalar(select(ProtectionAlert.done_at).where(ProtectionAlert.feedback_id == feedback_id))


def alert_protection(runtime: Runtime, feedback_id: int) -> int:
    """Alert the focal points of a confidential report, once; returns how many messages were stored.

    Does nothing for a submission that is not confidential, or whose alert is done, so it can be run
    again safely, by the intake, the sweep or by hand.
    """
    settings = runtime.settings
    numbers = focal_points(settings)
    after = AfterCommit()
    with transaction(runtime.database) as db:
        feedback = db.get(Feedback, feedback_id)
        if feedback is None or not feedback.confidential or not pending_alert(db, feedback_id):
            return 0
        if not numbers:
            log.warning("confidential report %s: no PROTECTION_ALERT_NUMBERS, alert pending", feedback.reference)
            return 0  # the row is kept, pending
        now = utcnow()
        # The claim: of two runs at once, only the one that marks it done goes on; the other waits for
        # its row lock (or SQLite's write lock), then finds it done and stores nothing.
        claimed = db.execute(
            update(ProtectionAlert)
            .where(ProtectionAlert.feedback_id == feedback_id, ProtectionAlert.done_at.is_(None))
            .values(done_at=now)
            .execution_options(synchronize_session=False)
        )
        if claimed.rowcount != 1:
            return 0
        values = {"reference": feedback.reference, "hours": settings.protection_deadline_hours}
        after.messages.extend(_tell_focal_points(db, runtime, feedback, numbers, PROTECTION_ALERT, values, now))
        db.execute(
            update(ProtectionAlert)
            .where(ProtectionAlert.feedback_id == feedback_id)
            .values(message_ids=[message_id for message_id, _ in after.messages])
            .execution_options(synchronize_session=False)
        )
    runtime.transactions.hand_over(after)
    log.info("confidential report %s: %s focal point(s) alerted", feedback.reference, len(after.messages))
    return len(after.messages)


def focal_points(settings: Settings) -> list[str]:
    """PROTECTION_ALERT_NUMBERS in E.164, each once."""
    return list(dict.fromkeys(normalize(n, settings.default_region) for n in settings.protection_alert_numbers))


def _tell_focal_points(
    db: Session, runtime: Runtime, feedback: Feedback, numbers: list[str], text, values: dict, now: datetime
) -> list[tuple[int, str]]:
    """Store one message per focal point, in the default language (theirs), on PROTECTION_ALERT_CHANNEL.

    A focal point's contact is created with consent accepted (the organisation configured the number);
    an existing one keeps its consent and opt-out, so a focal point who sent STOP gets nothing (the
    send job cancels it).
    """
    channel = Channel(runtime.settings.protection_alert_channel)
    catalogues = runtime.catalogues
    written = prepare(catalogues.fill(catalogues.default, text, values), runtime.settings.alphabet(channel))
    sends = []
    for number in numbers:
        contact = contact_for(db, runtime.vault, number, consent=Consent.ACCEPTED, consent_at=now)
        if contact.opted_out_at is not None:
            log.warning("confidential report %s: a focal point's number opted out of messages", feedback.reference)
        sends.append((queue_message(db, contact.id, channel, written).id, Lane.REPLY))
    return sends


def _overdue_unacknowledged(now: datetime) -> tuple:
    """A confidential report past its due date and still not acknowledged (so `due_at` is its `acknowledge_by`)."""
    return (
        Feedback.confidential.is_(True),
        Feedback.first_response_at.is_(None),
        Feedback.status.not_in(DONE),
        Feedback.due_at <= now,
    )


def _reminded(feedback_id) -> object:
    return select(CaseEvent.id).where(CaseEvent.feedback_id == feedback_id, CaseEvent.action == OVERDUE_ALERTED)


def overdue_reports(db: Session, now: datetime) -> list[int]:
    """Reports to remind the focal points of: overdue, unacknowledged, first alert done, not reminded yet."""
    return list(
        db.scalars(
            select(Feedback.id)
            .join(ProtectionAlert, ProtectionAlert.feedback_id == Feedback.id)
            .where(*_overdue_unacknowledged(now), ProtectionAlert.done_at.is_not(None))
            .where(~_reminded(Feedback.id).exists())
            .order_by(Feedback.due_at, Feedback.id)
        )
    )


def remind_overdue(runtime: Runtime, now: datetime | None = None) -> int:
    """Alert the focal points again of each overdue report, once per report; returns how many messages were stored.

    A report is reminded only after its first alert went (the reminder says "again"); one whose first
    alert waits is reminded once that alert is done. Safe to run twice, or in two processes at once.
    """
    numbers = focal_points(runtime.settings)
    if not numbers:
        return 0  # the reports stay on the protection desk's screen, overdue
    now = now or utcnow()
    with runtime.database() as db:
        due = overdue_reports(db, now)
    return sum(_remind(runtime, feedback_id, numbers, now) for feedback_id in due)


def _remind(runtime: Runtime, feedback_id: int, numbers: list[str], now: datetime) -> int:
    after = AfterCommit()
    with transaction(runtime.database) as db:
        # The guard, and the transaction's first statement (so that SQLite's snapshot is taken once the
        # lock is held): write the report's row, if it is still overdue and unacknowledged. A parallel
        # run waits here until this one commits, then finds the event below and stores nothing.
        claimed = db.execute(
            update(Feedback)
            .where(Feedback.id == feedback_id, *_overdue_unacknowledged(now))
            .values(updated_at=Feedback.updated_at)
            .execution_options(synchronize_session=False)
        )
        if claimed.rowcount != 1 or db.scalar(_reminded(feedback_id).limit(1)) is not None:
            return 0
        feedback = db.get(Feedback, feedback_id)
        values = {"reference": feedback.reference}
        sends = _tell_focal_points(db, runtime, feedback, numbers, PROTECTION_OVERDUE, values, now)
        after.messages.extend(sends)
        detail = {"message_ids": [message_id for message_id, _ in sends], "due_at": feedback.due_at.isoformat()}
        event = CaseEvent(feedback_id=feedback_id, actor_id=None, action=OVERDUE_ALERTED, created_at=now)
        event.detail, event.detail_encrypted = seal(runtime.vault, feedback, detail)
        db.add(event)
    runtime.transactions.hand_over(after)
    log.info("confidential report %s: overdue, %s focal point(s) alerted again", feedback.reference, len(sends))
    return len(sends)
