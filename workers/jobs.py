"""Jobs the RQ workers run."""

import logging
from datetime import timedelta

from sqlalchemy import select, update

from bot.db import transaction
from bot.models import Feedback, utcnow
from bot.queue import enqueue_intake
from bot.runtime import get_runtime

log = logging.getLogger(__name__)

# A submission younger than this is probably still on its way through the normal path.
SWEEP_GRACE = timedelta(seconds=30)


def intake_feedback(feedback_id: int) -> bool:
    """Put a submission in the triage queue; True if this run did it, False if it was already there."""
    with transaction(get_runtime().sessions) as db:
        done = db.execute(
            update(Feedback).where(Feedback.id == feedback_id, Feedback.ready_at.is_(None)).values(ready_at=utcnow())
        )
    return done.rowcount == 1


def sweep_intake() -> int:
    """Queue the intake of every submission left behind while Redis was down."""
    runtime = get_runtime()
    with transaction(runtime.sessions) as db:
        pending = list(
            db.scalars(
                select(Feedback.id)
                .where(Feedback.ready_at.is_(None), Feedback.created_at < utcnow() - SWEEP_GRACE)
                .order_by(Feedback.created_at)
                .limit(1000)
            )
        )
    queued = enqueue_intake(runtime.redis, pending)
    if pending:
        log.info("sweep queued %s of %s waiting submissions", queued, len(pending))
    return queued
