"""A confidential report not acknowledged in time alerts the focal points again, once (bot.cases.protection).

The periodic job `remind_overdue_reports` finds the reports whose `due_at` has passed while nobody
acknowledged them, and texts the focal points the reference and that it is overdue, nothing of the
report, in their language (the default one). Its record is an `overdue_alerted` event in the report's
trail, sealed like every other, stored with the messages: the job run again, or twice at once in two
workers, reminds no one twice.
"""

import json
from collections import Counter
from datetime import timedelta

import pytest
from rq import Queue
from rq.registry import FailedJobRegistry
from sqlalchemy import select

from bot.cases import targets
from bot.cases.protection import OVERDUE_ALERTED
from bot.db import transaction
from bot.handover import INTAKE_QUEUE
from bot.models import CaseEvent, Feedback, ProtectionAlert, utcnow
from bot.notices import PROTECTION_OVERDUE
from bot.vocabulary import CaseStatus, Kind
from tests import domain_support as rows
from tests.conftest import run_worker
from tests.worker_faults import start_worker
from workers.jobs import remind_overdue_reports

FOCAL_POINTS = ("+22376000021", "+22376000022")
SAID = "Mon voisin me frappe la nuit"


@pytest.fixture
def focal_points(twilio, reconfigure):
    reconfigure(PROTECTION_ALERT_NUMBERS=",".join(FOCAL_POINTS))
    return FOCAL_POINTS


def report(runtime, hours_ago: float = 25, *, alerted: bool = True, kind=Kind.CONFIDENTIAL, **fields) -> Feedback:
    """A report taken in `hours_ago` (its targets set as the intake sets them), its first alert done or pending."""
    arrived = utcnow() - timedelta(hours=hours_ago)
    with transaction(runtime.database) as db:
        feedback = rows.case(
            db,
            rows.person(db, runtime.vault),
            SAID,
            kind=kind,
            vault=runtime.vault,
            created_at=arrived,
            ready_at=arrived,
            **fields,
        )
        targets.set_targets(feedback, runtime.settings)
        if kind == Kind.CONFIDENTIAL:
            db.add(ProtectionAlert(feedback_id=feedback.id, created_at=arrived, done_at=arrived if alerted else None))
        return feedback


def reminder(runtime, feedback: Feedback) -> str:
    return runtime.catalogues.fill(runtime.catalogues.default, PROTECTION_OVERDUE, {"reference": feedback.reference})


def reminders_stored(runtime) -> list[CaseEvent]:
    with runtime.database() as db:
        return list(db.scalars(select(CaseEvent).where(CaseEvent.action == OVERDUE_ALERTED)))


def test_an_overdue_report_alerts_the_focal_points_again_once(focal_points, runtime, twilio):
    late = report(runtime)

    assert remind_overdue_reports() == 2
    assert remind_overdue_reports() == 0  # run again: reminded already
    Queue(INTAKE_QUEUE, connection=runtime.redis).enqueue("workers.jobs.remind_overdue_reports")  # as cron does
    run_worker(runtime.redis)

    assert sorted(sent.form["To"] for sent in twilio.sent) == sorted(FOCAL_POINTS)
    text = reminder(runtime, late)
    assert text == f"baro : le signalement confidentiel {late.reference} est en retard. Ouvrez baro maintenant."
    assert {sent.form["Body"] for sent in twilio.sent} == {text}  # the reference; nothing of the report
    (event,) = reminders_stored(runtime)
    assert (event.feedback_id, event.actor_id, event.detail) == (late.id, None, None)  # the detail is sealed
    sealed = json.loads(runtime.vault.decrypt(event.detail_encrypted))
    assert len(sealed["message_ids"]) == 2 and SAID not in event.detail_encrypted


def test_only_unacknowledged_reports_past_their_deadline_after_their_first_alert_are_reminded(focal_points, runtime):
    for status in (CaseStatus.ACKNOWLEDGED, CaseStatus.IN_PROGRESS):
        # Acknowledged in time; even once resolving it is overdue, that is the desk's list, not a phone alert.
        report(runtime, 24 * 20, status=status, first_response_at=utcnow() - timedelta(days=19))
    report(runtime, status=CaseStatus.RESOLVED, first_response_at=utcnow(), resolved_at=utcnow())
    report(runtime, status=CaseStatus.CLOSED, first_response_at=utcnow(), resolved_at=utcnow())
    report(runtime, 23)  # an hour left
    report(runtime, 25, kind=Kind.COMPLAINT)  # overdue, but not a confidential report
    waiting = report(runtime, 25, alerted=False)  # its first alert has not gone yet

    assert remind_overdue_reports() == 0 and reminders_stored(runtime) == []

    with transaction(runtime.database) as db:
        db.get(
            ProtectionAlert, db.scalar(select(ProtectionAlert.id).filter_by(feedback_id=waiting.id))
        ).done_at = utcnow()
    assert remind_overdue_reports() == 2  # once its first alert went
    assert [event.feedback_id for event in reminders_stored(runtime)] == [waiting.id]


def test_acknowledging_the_report_in_time_stops_the_reminder(focal_points, runtime):
    late = report(runtime)
    with transaction(runtime.database) as db:
        feedback = db.get(Feedback, late.id)
        feedback.status, feedback.first_response_at = CaseStatus.ACKNOWLEDGED, utcnow()
        targets.refresh(feedback)
    assert remind_overdue_reports() == 0


def test_without_focal_point_numbers_nothing_is_stored(twilio, runtime):
    report(runtime)
    assert remind_overdue_reports() == 0 and reminders_stored(runtime) == []


def test_two_workers_at_once_remind_each_report_once(focal_points, runtime, redis_url, twilio):
    late = [report(runtime, 25 + index) for index in range(3)]
    queue = Queue(INTAKE_QUEUE, connection=runtime.redis)
    for copy in ("a", "b"):
        queue.enqueue("workers.jobs.remind_overdue_reports", job_id=f"remind-{copy}")
    workers = [start_worker(redis_url), start_worker(redis_url)]
    for worker in workers:
        worker.join(timeout=120)
    run_worker(runtime.redis)  # the sends they handed over

    assert [worker.exitcode for worker in workers] == [0, 0]
    assert FailedJobRegistry(INTAKE_QUEUE, connection=runtime.redis).count == 0  # the second waited, then found it
    assert Counter(sent.form["Body"] for sent in twilio.sent) == {reminder(runtime, r): 2 for r in late}
    assert Counter(event.feedback_id for event in reminders_stored(runtime)) == {r.id: 1 for r in late}
