"""Anything about a confidential report is itself confidential, wherever it appears (issue 9, items 1 to 3, 17).

Its reference, its status, the fact that it exists: not in the follow-up menu a phone shows, not in
a reply stored in clear, not on another case's page for triage; what protection staff write about
it (notes, outcome, tags, the trail) is encrypted at rest; and every read of it is in its trail.
A site-limited triage account sees nothing of another site's case, even on the same person's page.
"""

import csv
import io

from sqlalchemy import select, text

from bot.db import transaction
from bot.models import CaseEvent, CaseNote, Feedback, Message, Site
from tests.admin.test_case_page import act, act_and_read, confidential_report, page, report_confidentially, text_of
from tests.admin_support import feedback_by_text, log_in, make_staff, submit_complaint

COMPLAINT = "Les latrines débordent"
THREAT = "Mon voisin me menace la nuit"


def log_in_as(client, runtime, email: str, role: str, sites: tuple[str, ...] = ()) -> None:
    make_staff(runtime, email, role, sites)
    assert log_in(client, email).status_code == 303
    client.cookies.set("lang", "en")


def follow_up(phone) -> str:
    """The follow-up menu as the phone shows it."""
    return phone.send("5")


# --- 1. the reference and its status -----------------------------------------------------------


def test_the_follow_up_menu_never_lists_a_confidential_reference(phone, runtime):
    submit_complaint(phone, COMPLAINT)
    phone.converse("MENU", "4", "1", THREAT, "3")
    complaint, report = feedback_by_text(runtime, COMPLAINT), confidential_report(runtime)

    menu = follow_up(phone)

    assert complaint.reference in menu
    assert report.reference not in menu


def test_following_a_confidential_reference_is_itself_confidential(phone, client, runtime):
    submit_complaint(phone, COMPLAINT)
    phone.converse("MENU", "4", "1", THREAT, "3")
    report = confidential_report(runtime)

    reply = phone.converse("5", report.reference)

    assert report.reference in reply  # the person who made it may still follow it
    with runtime.database() as db:
        clear = [m.text or "" for m in db.scalars(select(Message).where(Message.confidential.is_(False)))]
    assert not [t for t in clear if report.reference in t]
    log_in_as(client, runtime, "awa@ong.ml", "triage")
    shown = text_of(page(client, feedback_by_text(runtime, COMPLAINT).reference))
    assert report.reference not in shown


# --- 2. the case page goes through the access rules ---------------------------------------------


def another_complaint(phone, words: str = "Pas d'eau au bloc C") -> None:
    """The same person files a second complaint, about water; their site is remembered."""
    phone.converse("MENU", "1", "2", words)


def test_a_site_limited_triage_account_reads_nothing_of_the_persons_case_at_another_site(
    phone, client, runtime
):
    submit_complaint(phone, COMPLAINT, site="1")  # Niamana
    another_complaint(phone)
    with transaction(runtime.database) as db:  # they wrote it from Sénou, where they had moved
        water = db.scalar(select(Feedback).where(Feedback.text == "Pas d'eau au bloc C"))
        water.site_id = db.scalar(select(Site.id).where(Site.slug == "senou"))
    ours = feedback_by_text(runtime, COMPLAINT)
    log_in_as(client, runtime, "awa@ong.ml", "triage", sites=("niamana",))

    shown = text_of(page(client, ours.reference))

    assert COMPLAINT in shown
    assert "Pas d'eau au bloc C" not in shown
    assert feedback_by_text(runtime, "Pas d'eau au bloc C").reference not in shown


def test_a_case_recoded_to_another_site_disappears_from_the_first_sites_page(phone, client, runtime):
    submit_complaint(phone, COMPLAINT, site="1")
    another_complaint(phone)
    ours, moved = feedback_by_text(runtime, COMPLAINT), feedback_by_text(runtime, "Pas d'eau au bloc C")
    log_in_as(client, runtime, "admin@ong.ml", "admin")
    act(client, moved.reference, "code", site="senou")
    log_in_as(client, runtime, "awa@ong.ml", "triage", sites=("niamana",))

    assert "Pas d'eau au bloc C" not in text_of(page(client, ours.reference))


# --- 3. what protection staff write is encrypted at rest ----------------------------------------


def test_notes_outcome_tags_and_trail_of_a_confidential_report_are_encrypted_at_rest(phone, client, runtime):
    report_confidentially(phone, THREAT, callback="1")
    report = confidential_report(runtime)
    log_in_as(client, runtime, "mariam@ong.ml", "protection")

    act(client, report.reference, "note", text="Appelée le soir, elle est en sécurité chez sa soeur")
    act(client, report.reference, "code", tags="urgence, voisinage")
    act(client, report.reference, "status", status="resolved", outcome="Orientée vers la clinique mobile")
    shown = act_and_read(client, report.reference, "note", text="Suivi dans une semaine")

    for words in ("elle est en sécurité chez sa soeur", "voisinage", "clinique mobile", "Suivi dans une semaine"):
        assert words in shown  # protection reads it all
    with transaction(runtime.database) as db:
        raw = " ".join(
            str(value)
            for table in ("feedback", "case_note", "case_event")
            for row in db.execute(text(f"SELECT * FROM {table}")).all()
            for value in row
        )
    for words in ("sécurité chez sa soeur", "voisinage", "clinique mobile", "Suivi dans une semaine", "menace"):
        assert words not in raw


def test_the_csv_export_gives_protection_the_tags_of_a_confidential_report(phone, client, runtime):
    report_confidentially(phone, THREAT)
    report = confidential_report(runtime)
    log_in_as(client, runtime, "mariam@ong.ml", "protection")
    act(client, report.reference, "code", tags="urgence")

    rows = list(csv.DictReader(io.StringIO(client.get("/admin/export.csv").content.decode("utf-8-sig"))))

    assert [(row["reference"], row["tags"], row["text"]) for row in rows] == [(report.reference, "urgence", THREAT)]


# --- 17. every read is in the trail -------------------------------------------------------------


def test_every_read_of_a_confidential_report_is_in_its_trail(phone, client, runtime):
    report_confidentially(phone, THREAT)
    report = confidential_report(runtime)
    log_in_as(client, runtime, "mariam@ong.ml", "protection")

    page(client, report.reference)
    client.get("/admin/export.csv")
    from bot.accounts import issue_api_token
    from bot.models import StaffUser

    with transaction(runtime.database) as db:
        token = issue_api_token(db.scalar(select(StaffUser).where(StaffUser.email == "mariam@ong.ml")))
    headers = {"Authorization": f"Bearer {token}"}
    client.get(f"/api/v1/feedback/{report.reference}", headers=headers)
    client.get("/api/v1/feedback", headers=headers)

    with runtime.database() as db:
        reads = [
            (event.action, event.actor.email)
            for event in db.scalars(select(CaseEvent).where(CaseEvent.feedback_id == report.id).order_by(CaseEvent.id))
        ]
    assert reads == [
        ("read_page", "mariam@ong.ml"),
        ("read_export", "mariam@ong.ml"),
        ("read_api", "mariam@ong.ml"),
        ("read_api", "mariam@ong.ml"),
    ]
    assert "Read" in text_of(page(client, report.reference))


def test_reading_a_complaint_leaves_no_trace_in_its_trail(phone, client, runtime):
    submit_complaint(phone, COMPLAINT)
    complaint = feedback_by_text(runtime, COMPLAINT)
    log_in_as(client, runtime, "awa@ong.ml", "triage")

    page(client, complaint.reference)
    client.get("/admin/export.csv")

    with runtime.database() as db:
        assert db.scalars(select(CaseEvent).where(CaseEvent.feedback_id == complaint.id)).all() == []
        assert db.scalars(select(CaseNote)).all() == []
        assert db.get(Feedback, complaint.id).text == COMPLAINT
