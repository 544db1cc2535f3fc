"""A sign-up in the staff queue: its own statuses on the case page, never the complaint's buttons nor its
"resolved" text to the person, never counted among open cases."""

from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.admin.dashboard import dashboard_numbers
from bot.cases import lifecycle
from bot.models import Feedback, Message, StaffUser, utcnow
from tests.admin.test_case_page import act_and_read, page, staff, text_of
from tests.assemblies.support import reference_of

AWA = "+22370000041"


def test_a_sign_up_shows_its_own_status_and_refuses_the_complaint_lifecycle(client, runtime, person, organizing):
    assembly_id, _ = organizing.create(site="gao")
    person(AWA).converse("3", "5", "1", "1")
    reference = reference_of(runtime, AWA, assembly_id)
    staff(client, runtime, "awa@ong.ml", "admin")

    shown = text_of(page(client, reference))
    assert "Sign-up: Signed up" in shown and "Assemblée des femmes" in shown and "Centre de santé" in shown
    assert "Acknowledge" not in shown and "Resolve" not in shown

    shown = act_and_read(client, reference, "status", status="resolved", outcome="Fait.")
    assert "An assembly sign-up has its own statuses" in shown
    with runtime.database() as db:
        feedback = db.scalar(select(Feedback).where(Feedback.reference == reference))
        assert (feedback.status, feedback.category, feedback.outcome) == ("new", "confirmed", None)
        assert db.scalar(select(Message.id).where(Message.in_reply_to_id.is_(None), Message.direction == "out")) is None
        assert lifecycle.next_steps(feedback) == ()

        # Not an open case on the dashboard, whatever its age.
        admin = db.scalar(select(StaffUser).where(StaffUser.email == "awa@ong.ml"))
        numbers = dashboard_numbers(db, admin, utcnow(), ZoneInfo("UTC"), "en", lambda text: text)
        assert numbers["open_total"] == 0


def test_staff_replying_to_a_sign_up_does_not_acknowledge_it_as_a_case(client, runtime, person, organizing):
    assembly_id, _ = organizing.create(site="gao")
    person(AWA).converse("3", "5", "1", "1")
    reference = reference_of(runtime, AWA, assembly_id)
    staff(client, runtime, "awa@ong.ml", "triage")

    shown = act_and_read(client, reference, "reply", text="Merci, à bientôt.")
    assert "Sign-up: Signed up" in shown
    with runtime.database() as db:
        assert db.scalar(select(Feedback.status).where(Feedback.reference == reference)) == "new"
