"""The phone alert to the protection focal points when a confidential report arrives.

The alert says that a report is waiting and its reference, never what it is about: the phone
of a focal point may be seen by others. It goes to every number in PROTECTION_ALERT_NUMBERS on
PROTECTION_ALERT_CHANNEL, through the outbound pipeline (stored first, then sent by a job), so a
Redis outage delays it and the sweep still sends it.
"""

import logging

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.db import transaction
from bot.engine.texts import N_
from bot.models import Contact, Feedback, utcnow
from bot.outbound import enqueue_sends, queue_message
from bot.phones import normalize
from bot.runtime import get_runtime
from bot.sms import prepare
from bot.vault import Vault

log = logging.getLogger(__name__)

# Translators: sent by SMS or WhatsApp to the protection focal points. Say nothing of the
# report itself; {reference} is its reference, {hours} the deadline to act, in hours.
ALERT = N_("alert", "baro: new confidential report {reference}. Open baro within {hours} h.")


def focal_point(db: Session, vault: Vault, number: str, region: str) -> Contact:
    """The contact for a focal point's number, found by the same keyed hash as a person's.

    Created with consent accepted (the organisation configured the number); an existing
    contact keeps its consent and opt-out, so a focal point who sent STOP gets nothing.
    """
    phone = normalize(number, region)
    digest = vault.lookup_hash(phone)
    contact = db.scalar(select(Contact).where(Contact.phone_hash == digest))
    if contact is None:
        try:
            with db.begin_nested():
                contact = Contact(phone_hash=digest, consent="accepted", consent_at=utcnow())
                db.add(contact)
        except IntegrityError:  # the same number, created by a conversation at this moment
            contact = db.scalar(select(Contact).where(Contact.phone_hash == digest))
    if contact.phone_encrypted is None:
        contact.phone_encrypted = vault.encrypt(phone)
    return contact


def alert_protection(feedback_id: int) -> int:
    """Alert the focal points of a new confidential report, once; returns how many messages were queued.

    Does nothing for a submission that is not confidential, or whose alert went already
    (`Feedback.alerted_at`), so it can be run again safely, by the intake job or by hand.
    """
    runtime = get_runtime()
    settings = runtime.settings
    channel = settings.protection_alert_channel
    queued: list[tuple[int, str]] = []
    with transaction(runtime.sessions) as db:
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
        text = catalogues.fill(
            catalogues.default, ALERT, {"reference": feedback.reference, "hours": settings.protection_deadline_hours}
        )
        alphabet = settings.whatsapp_alphabet if channel == "whatsapp" else settings.sms_alphabet
        text = prepare(text, alphabet)
        for number in numbers:
            contact = focal_point(db, runtime.vault, number, settings.default_region)
            if contact.opted_out_at is not None:
                log.warning("confidential report %s: a focal point's number opted out of messages", feedback.reference)
            queued.append((queue_message(db, contact.id, channel, text, lane="reply").id, "reply"))
    enqueue_sends(runtime.redis, queued, settings.send_attempts, settings.send_retry_seconds)
    log.info("confidential report %s: %s focal point(s) alerted", feedback.reference, len(queued))
    return len(queued)
