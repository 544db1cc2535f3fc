"""Protection alerts: the focal points learn by phone that a confidential report waits, and nothing of what it says."""

import json

import pytest
from rq import Queue
from sqlalchemy import select

from bot.cases.protection import alerted_at
from bot.handover import INTAKE_QUEUE
from bot.models import Contact, Feedback, Message
from bot.notices import PROTECTION_ALERT as ALERT
from tests.admin_support import submit_complaint
from tests.conftest import run_worker
from workers.jobs import alert_protection

FOCAL_POINTS = ("+22376000001", "+22376000002")
REPORT = ("Bonjour", "1", "1", "4", "1", "Mon voisin me frappe la nuit", "3")  # violence, with details, no call back


@pytest.fixture
def focal_points(twilio, reconfigure):
    reconfigure(PROTECTION_ALERT_NUMBERS=",".join(FOCAL_POINTS))
    return FOCAL_POINTS


def alert_text(runtime, report: Feedback) -> str:
    """The alert as the focal points read it: in the deployment's first language, from the catalogue."""
    text = runtime.catalogues.fill(runtime.catalogues.default, ALERT, {"reference": report.reference, "hours": 24})
    assert report.reference in text and "24" in text
    return text


def only_feedback(runtime) -> Feedback:
    with runtime.database() as db:
        return db.scalars(select(Feedback)).one()


def alerted(runtime, report: Feedback):
    """When the report's alert was done (its messages stored for sending), or None."""
    with runtime.database() as db:
        return alerted_at(db, report.id)


def test_each_focal_point_gets_one_sms_with_the_reference_and_nothing_of_the_report(
    twilio, focal_points, phone, runtime
):
    phone.converse(*REPORT)
    report = only_feedback(runtime)
    assert alerted(runtime, report) is None

    assert alert_protection(report.id) == 2
    run_worker(runtime.redis)

    assert sorted(sent.form["To"] for sent in twilio.sent) == sorted(FOCAL_POINTS)
    for sent in twilio.sent:
        body = sent.form["Body"]
        assert body == alert_text(runtime, report)
        assert "voisin" not in body and "iolence" not in body
        assert sent.form["From"] == "+22320000000"  # SMS, the default channel
    assert alerted(runtime, only_feedback(runtime)) is not None
    with runtime.database() as db:
        alerts = db.scalars(select(Message).where(Message.direction == "out", Message.status != "replied")).all()
        assert {(m.channel, m.lane, m.status) for m in alerts} == {("sms", "reply", "queued")}
        # The person who reported gets nothing more than the webhook's own answer.
        assert all(m.contact_id != report.contact_id for m in alerts)


def test_the_alert_is_sent_once_however_often_the_job_runs(twilio, focal_points, phone, runtime):
    phone.converse(*REPORT)
    report = only_feedback(runtime)
    assert alert_protection(report.id) == 2
    assert alert_protection(report.id) == 0
    # And again as RQ jobs, in a forked worker, as the intake job would run it.
    for _ in range(2):
        Queue(INTAKE_QUEUE, connection=runtime.redis).enqueue("workers.jobs.alert_protection", report.id)
    run_worker(runtime.redis)
    assert len(twilio.sent) == 2


def test_the_job_alone_in_a_worker_alerts(twilio, focal_points, phone, runtime):
    phone.converse(*REPORT)
    Queue(INTAKE_QUEUE, connection=runtime.redis).enqueue("workers.jobs.alert_protection", only_feedback(runtime).id)
    run_worker(runtime.redis)
    assert len(twilio.sent) == 2 and alerted(runtime, only_feedback(runtime)) is not None


def test_a_complaint_alerts_nobody(twilio, focal_points, phone, runtime):
    submit_complaint(phone)
    complaint = only_feedback(runtime)
    assert alert_protection(complaint.id) == 0
    run_worker(runtime.redis)
    assert twilio.requests == [] and alerted(runtime, only_feedback(runtime)) is None


def test_a_focal_point_is_one_contact_found_by_the_same_keyed_hash_as_a_person(
    twilio, focal_points, make_phone, runtime
):
    make_phone(FOCAL_POINTS[0]).converse("Bonjour", "1", "1")  # the focal point once tried the line themselves
    make_phone("+22370000071").converse(*REPORT)
    with runtime.database() as db:
        report_id = db.scalar(select(Feedback.id))
    assert alert_protection(report_id) == 2
    with runtime.database() as db:
        numbers = [runtime.vault.decrypt(c.phone_encrypted) for c in db.scalars(select(Contact)).all()]
    assert sorted(numbers) == sorted([*FOCAL_POINTS, "+22370000071"])


@pytest.fixture
def by_whatsapp(focal_points, reconfigure):
    reconfigure(PROTECTION_ALERT_CHANNEL="whatsapp")


def test_the_alert_can_go_by_whatsapp(twilio, by_whatsapp, phone, runtime):
    phone.converse(*REPORT)
    report = only_feedback(runtime)
    assert alert_protection(report.id) == 2
    run_worker(runtime.redis)
    assert sorted(sent.form["To"] for sent in twilio.sent) == sorted(f"whatsapp:{n}" for n in FOCAL_POINTS)
    # The focal points never wrote on WhatsApp: the approved template carries the text.
    for sent in twilio.sent:
        assert sent.form["ContentSid"] == runtime.settings.whatsapp_template_sid
        assert json.loads(sent.form["ContentVariables"]) == {"1": alert_text(runtime, report)}


def test_without_numbers_nothing_is_sent_and_the_report_stays_unalerted(twilio, phone, runtime):
    phone.converse(*REPORT)
    report = only_feedback(runtime)
    assert alert_protection(report.id) == 0
    run_worker(runtime.redis)
    assert twilio.requests == [] and alerted(runtime, only_feedback(runtime)) is None


def test_the_intake_of_a_confidential_report_alerts_the_focal_points(twilio, focal_points, phone, runtime):
    phone.converse(*REPORT)
    run_worker(runtime.redis)  # intake, then the alert's own sends
    assert sorted(sent.form["To"] for sent in twilio.sent) == sorted(FOCAL_POINTS)
    report = only_feedback(runtime)
    assert report.ready_at is not None and alerted(runtime, report) is not None
