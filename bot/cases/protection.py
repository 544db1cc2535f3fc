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
"""

import logging
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.contacts import contact_for
from bot.db import transaction
from bot.handover import AfterCommit
from bot.models import Feedback, ProtectionAlert, utcnow
from bot.notices import PROTECTION_ALERT
from bot.outbound.gsm7 import prepare
from bot.outbound.store import queue_message
from bot.phones import normalize
from bot.runtime import Runtime
from bot.vocabulary import Channel, Consent, Lane

log = logging.getLogger(__name__)


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
    again safely, by the intake, the sweep or by hand. A focal point's contact is created with consent
    accepted (the organisation configured the number); an existing one keeps its consent and opt-out,
    so a focal point who sent STOP gets nothing (the send job cancels it).
    """
    settings = runtime.settings
    channel = Channel(settings.protection_alert_channel)
    numbers = list(dict.fromkeys(normalize(n, settings.default_region) for n in settings.protection_alert_numbers))
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
        catalogues = runtime.catalogues
        values = {"reference": feedback.reference, "hours": settings.protection_deadline_hours}
        text = catalogues.fill(catalogues.default, PROTECTION_ALERT, values)
        text = prepare(text, settings.alphabet(channel))
        for number in numbers:
            contact = contact_for(db, runtime.vault, number, consent=Consent.ACCEPTED, consent_at=now)
            if contact.opted_out_at is not None:
                log.warning("confidential report %s: a focal point's number opted out of messages", feedback.reference)
            after.messages.append((queue_message(db, contact.id, channel, text).id, Lane.REPLY))
        db.execute(
            update(ProtectionAlert)
            .where(ProtectionAlert.feedback_id == feedback_id)
            .values(message_ids=[message_id for message_id, _ in after.messages])
            .execution_options(synchronize_session=False)
        )
    runtime.transactions.hand_over(after)
    log.info("confidential report %s: %s focal point(s) alerted", feedback.reference, len(after.messages))
    return len(after.messages)
