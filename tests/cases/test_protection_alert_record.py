"""A protection alert is a record of its own that the sweep retries until it is done: no crash loses it.

Confidential reports come in through the real SMS webhook; real RQ workers run the intake and the
alert, in processes of their own that are SIGKILLed (or whose job raises) right after the report
was put in the triage queue and before the alert's messages were stored. The sweep then runs as
`baro cron` runs it: a job on the intake queue, in a worker.
"""

import signal
from collections import Counter
from datetime import timedelta

import pytest
from rq import Queue
from sqlalchemy import select

from bot.cases.deadlines import protection_alerts
from bot.db import transaction
from bot.handover import INTAKE_QUEUE
from bot.models import Base, Feedback, ProtectionAlert, utcnow
from bot.vocabulary import CaseStatus
from tests import domain_support as rows
from tests.conftest import run_worker
from tests.worker_faults import dies_at, start_worker

FOCAL_POINTS = ("+22376000011", "+22376000012")
REPORT = ("Bonjour", "1", "1", "4", "1", "Mon voisin me frappe la nuit", "3")  # violence, no call back


@pytest.fixture
def focal_points(twilio, reconfigure):
    reconfigure(PROTECTION_ALERT_NUMBERS=",".join(FOCAL_POINTS))
    return FOCAL_POINTS


def reports(runtime) -> list[Feedback]:
    with runtime.database() as db:
        return list(db.scalars(select(Feedback).order_by(Feedback.id)))


def time_passes(runtime, minutes: int = 5) -> None:
    """Everything stored was stored `minutes` ago: whatever is still waiting is past the sweep's grace."""
    past = utcnow() - timedelta(minutes=minutes)
    with transaction(runtime.database) as db:
        for table in Base.metadata.sorted_tables:
            if "created_at" in table.c:
                db.execute(table.update().values(created_at=past))


def sweep_as_cron_does(runtime) -> None:
    """The periodic sweep, queued on the intake queue like `baro cron` does, run by a real worker."""
    Queue(INTAKE_QUEUE, connection=runtime.redis).enqueue("workers.jobs.sweep_intake")
    run_worker(runtime.redis)


def alerted_numbers(twilio) -> list[str]:
    return sorted(sent.form["To"] for sent in twilio.sent)


@pytest.mark.parametrize("fault", ["killed", "raises"])
def test_an_alert_cut_off_after_the_report_is_ready_goes_out_after_the_sweep(
    twilio, focal_points, phone, runtime, redis_url, tmp_path, fault
):
    phone.converse(*REPORT)

    # The worker takes the report in, then dies (or its job fails) as the alert's messages are stored.
    with dies_at("INSERT INTO message", tmp_path / "struck", raises=fault == "raises"):
        worker = start_worker(redis_url)
        worker.join(timeout=60)
    assert worker.exitcode == (-signal.SIGKILL if fault == "killed" else 0)
    (report,) = reports(runtime)
    assert report.ready_at is not None  # the report is in the triage queue
    assert twilio.sent == []  # and no focal point knows of it

    time_passes(runtime)
    sweep_as_cron_does(runtime)

    assert alerted_numbers(twilio) == sorted(FOCAL_POINTS)
    assert all(report.reference in sent.form["Body"] for sent in twilio.sent)
    # Done: later sweeps send nothing more.
    time_passes(runtime)
    sweep_as_cron_does(runtime)
    assert len(twilio.sent) == len(FOCAL_POINTS)


def test_an_alert_job_redis_refused_is_queued_by_the_sweep(twilio, focal_points, phone, runtime, monkeypatch):
    phone.converse(*REPORT)
    with monkeypatch.context() as patch:
        # Redis refuses the alert's job when the intake hands it over: an outage at that moment.
        patch.setattr("bot.handover.enqueue_alerts", lambda redis, feedback_ids: 0)
        run_worker(runtime.redis)
    assert reports(runtime)[0].ready_at is not None and twilio.sent == []

    time_passes(runtime)
    sweep_as_cron_does(runtime)
    assert alerted_numbers(twilio) == sorted(FOCAL_POINTS)


def test_two_runs_of_the_alert_at_once_alert_once(twilio, focal_points, make_phone, runtime, redis_url, reconfigure):
    # Five reports taken in while no numbers are set: their alerts wait.
    reconfigure(PROTECTION_ALERT_NUMBERS=None)
    for n in range(5):
        make_phone(f"+2237000010{n}").converse(*REPORT)
    run_worker(runtime.redis)
    assert twilio.sent == []
    reconfigure(PROTECTION_ALERT_NUMBERS=",".join(FOCAL_POINTS))

    # Each alert's job queued twice in a row, for two real workers that take them at the same time.
    queue = Queue(INTAKE_QUEUE, connection=runtime.redis)
    for report in reports(runtime):
        for copy in ("a", "b"):
            queue.enqueue("workers.jobs.alert_protection", report.id, job_id=f"alert-{report.id}-{copy}")
    workers = [start_worker(redis_url), start_worker(redis_url)]
    for worker in workers:
        worker.join(timeout=120)
    run_worker(runtime.redis)

    assert [worker.exitcode for worker in workers] == [0, 0]
    bodies = Counter(sent.form["Body"] for sent in twilio.sent)
    assert len(bodies) == 5 and set(bodies.values()) == {len(FOCAL_POINTS)}  # each report: one per focal point


def test_without_numbers_the_alert_waits_and_the_protection_desk_shows_the_report(
    twilio, phone, runtime, reconfigure, caplog
):
    from workers.jobs import alert_protection

    phone.converse(*REPORT)
    run_worker(runtime.redis)
    (report,) = reports(runtime)
    assert report.ready_at is not None and twilio.sent == []
    assert alert_protection(report.id) == 0
    assert "no PROTECTION_ALERT_NUMBERS" in caplog.text
    with transaction(runtime.database) as db:
        (alert,) = db.scalars(select(ProtectionAlert)).all()
        assert (alert.feedback_id, alert.done_at) == (report.id, None)  # pending
        desk = protection_alerts(db, rows.staff(db, "focal@ong.ml", "protection"), runtime.settings)
        assert [item.reference for item in desk.items] == [report.reference]

    # While no numbers are set the sweep leaves it (its job could only find none again)...
    time_passes(runtime)
    assert runtime.transactions.sweep() == 0
    # ...and once they are, it goes out.
    reconfigure(PROTECTION_ALERT_NUMBERS=",".join(FOCAL_POINTS))
    sweep_as_cron_does(runtime)
    assert alerted_numbers(twilio) == sorted(FOCAL_POINTS)


def test_the_sweep_queues_the_alerts_still_pending_of_open_reports_only(focal_points, runtime):
    now = utcnow()
    late, recent = now - timedelta(minutes=5), now - timedelta(seconds=5)
    with transaction(runtime.database) as db:
        contact = rows.person(db, runtime.vault)

        def report(status=CaseStatus.NEW, created_at=late, done_at=None) -> int:
            feedback = rows.case(db, contact, "x", kind="confidential", vault=runtime.vault, status=status,
                                 created_at=late, ready_at=late)
            db.add(ProtectionAlert(feedback_id=feedback.id, created_at=created_at, done_at=done_at))
            return feedback.id

        waiting = report()
        report(created_at=recent)  # its job was queued a moment ago and is probably running
        report(done_at=late)  # alerted
        report(status=CaseStatus.RESOLVED)  # dealt with before its alert could go
        report(status=CaseStatus.CLOSED)

    assert runtime.transactions.sweep() == 1
    assert Queue(INTAKE_QUEUE, connection=runtime.redis).job_ids == [f"alert-{waiting}"]


def test_the_intake_of_an_alerted_report_queues_no_alert(twilio, focal_points, phone, runtime):
    from workers.jobs import alert_protection, intake_feedback

    phone.converse(*REPORT)
    (report,) = reports(runtime)
    assert alert_protection(report.id) == 2  # by hand, before the intake
    Queue(INTAKE_QUEUE, connection=runtime.redis).empty()
    intake_feedback(report.id)
    assert Queue(INTAKE_QUEUE, connection=runtime.redis).job_ids == []
