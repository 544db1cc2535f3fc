"""A submission enters the triage queue; a confidential report also alerts the protection focal points."""

from sqlalchemy import update

from bot.cases.protection import alert_protection
from bot.db import transaction
from bot.models import Feedback, utcnow
from bot.runtime import Runtime


def take_in(runtime: Runtime, feedback_id: int) -> bool:
    """Put a submission in the triage queue; True if this run did it, False if it was already there.

    The alert is idempotent on its own, so a retried intake still alerts if the first run died before it.
    """
    with transaction(runtime.database) as db:
        done = db.execute(
            update(Feedback).where(Feedback.id == feedback_id, Feedback.ready_at.is_(None)).values(ready_at=utcnow())
        )
    alert_protection(runtime, feedback_id)
    return done.rowcount == 1
