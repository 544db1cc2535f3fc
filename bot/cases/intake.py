"""A submission enters the triage queue; a confidential report also gets its alert to the protection focal points."""

from sqlalchemy import update

from bot.cases.protection import pending_alert
from bot.cases.targets import set_targets
from bot.db import transaction
from bot.handover import AfterCommit
from bot.models import Feedback, utcnow
from bot.runtime import Runtime


def take_in(runtime: Runtime, feedback_id: int) -> bool:
    """Put a submission in the triage queue with its response-time targets; True if this run did it.

    A confidential report's alert row is written in the same commit (bot.cases.protection), and its
    own job queued once that has committed: a crash after the commit leaves the alert pending, and
    the sweep queues it again. A retried intake queues the alert again only while it is not done.
    """
    after = AfterCommit()
    with transaction(runtime.database) as db:
        done = db.execute(
            update(Feedback).where(Feedback.id == feedback_id, Feedback.ready_at.is_(None)).values(ready_at=utcnow())
        )
        feedback = db.get(Feedback, feedback_id)
        if feedback is not None and done.rowcount == 1:
            set_targets(feedback, runtime.settings)
        if feedback is not None and feedback.confidential and pending_alert(db, feedback_id):
            after.alerts.append(feedback_id)
    runtime.transactions.hand_over(after)
    return done.rowcount == 1
