"""The phone alert to the protection focal points when a confidential report arrives.

The alert says that a report is waiting and its reference, never what it is about: the phone
of a focal point may be seen by others. It goes to every number in PROTECTION_ALERT_NUMBERS on
PROTECTION_ALERT_CHANNEL, through the outbound pipeline (stored first, then sent by a job), so a
Redis outage delays it and the sweep still sends it.
"""

import logging

from sqlalchemy import update

from bot.contacts import contact_for
from bot.db import transaction
from bot.handover import AfterCommit
from bot.models import Feedback, utcnow
from bot.notices import PROTECTION_ALERT
from bot.outbound.gsm7 import prepare
from bot.outbound.store import queue_message
from bot.phones import normalize
from bot.runtime import Runtime
from bot.vocabulary import Channel, Consent, Lane

log = logging.getLogger(__name__)


def alert_protection(runtime: Runtime, feedback_id: int) -> int:
    """Alert the focal points of a new confidential report, once; returns how many messages were queued.

    Does nothing for a submission that is not confidential, or whose alert went already
    (`Feedback.alerted_at`), so it can be run again safely, by the intake job or by hand.
    A focal point's contact is created with consent accepted (the organisation configured the
    number); an existing one keeps its consent and opt-out, so a focal point who sent STOP gets nothing.
    """
    settings = runtime.settings
    channel = Channel(settings.protection_alert_channel)
    after = AfterCommit()
    with transaction(runtime.database) as db:
        feedback = db.get(Feedback, feedback_id)
        if feedback is None or not feedback.confidential or feedback.alerted_at is not None:
            return 0
        numbers = list(dict.fromkeys(normalize(n, settings.default_region) for n in settings.protection_alert_numbers))
        if not numbers:
            log.warning("confidential report %s: no PROTECTION_ALERT_NUMBERS to alert", feedback.reference)
            return 0
        # The claim: of two runs at once, only the one that sets alerted_at goes on.
        claimed = db.execute(
            update(Feedback)
            .where(Feedback.id == feedback_id, Feedback.alerted_at.is_(None))
            .values(alerted_at=utcnow())
        )
        if claimed.rowcount != 1:
            return 0
        catalogues = runtime.catalogues
        values = {"reference": feedback.reference, "hours": settings.protection_deadline_hours}
        text = catalogues.fill(catalogues.default, PROTECTION_ALERT, values)
        text = prepare(text, settings.alphabet(channel))
        for number in numbers:
            contact = contact_for(db, runtime.vault, number, consent=Consent.ACCEPTED, consent_at=utcnow())
            if contact.opted_out_at is not None:
                log.warning("confidential report %s: a focal point's number opted out of messages", feedback.reference)
            after.messages.append((queue_message(db, contact.id, channel, text).id, Lane.REPLY))
    runtime.transactions.hand_over(after)
    log.info("confidential report %s: %s focal point(s) alerted", feedback.reference, len(after.messages))
    return len(after.messages)
