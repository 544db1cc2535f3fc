"""Referring a case on its page: the partner chosen from the directory (those serving the case first), the
partner's answers, the history of earlier referrals, and a confidential report's referral kept from triage."""

import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from bot.admin.trail import describe
from bot.cases import partners
from bot.cases.view import Event
from bot.db import transaction
from bot.models import Feedback, Message, Referral
from bot.web.pages import labeller
from tests.admin.test_case_page import fold, page, staff, text_of
from tests.admin.test_inbox_page import add_contact, add_feedback
from tests.admin_support import csrf_of, log_in, make_staff


def add_partner(runtime, name: str, services: list[str], sites: list[str] = (), active: bool = True) -> int:
    with transaction(runtime.database) as db:
        partner = partners.save(db, None, name=name, services=services, sites=list(sites), contact="")
        partner.active = active
        return partner.id


@pytest.fixture
def directory(runtime) -> dict[str, int]:
    return {
        "wash": add_partner(runtime, "Eau Propre Mali", ["water_sanitation"], ["niamana"]),
        "health": add_partner(runtime, "Association Santé Sahel", ["health"]),
        "gone": add_partner(runtime, "Ancien partenaire", ["water_sanitation"], active=False),
        "protection": add_partner(runtime, "Musow Lakana", ["threat", "violence"]),
    }


def post(client, path: str, **data):
    token = csrf_of(client.get("/admin/login").text)
    return client.post(path, data={"csrf": token, **data}, follow_redirects=False)


def section(response) -> str:
    found = re.search(r'<section aria-labelledby="h-referral" id="referral">.*?</section>', response.text, re.S)
    return found.group(0) if found else ""


def refer(client, reference: str, partner: int | str, note: str = ""):
    response = post(client, f"/admin/cases/{reference}/referral", partner=str(partner), note=note)
    assert response.status_code == 303 and response.headers["location"] == f"/admin/cases/{reference}#referral"
    return text_of(page(client, reference))


def answer(client, reference: str, status: str) -> str:
    latest = re.findall(rf'action="/admin/cases/{reference}/referral/(\d+)"', page(client, reference).text)
    response = post(client, f"/admin/cases/{reference}/referral/{latest[0] if latest else 0}", status=status)
    assert response.status_code == 303
    return text_of(page(client, reference))


def test_a_triage_officer_refers_a_case_records_the_answers_and_refers_again_after_a_decline(
    client, runtime, directory
):
    [reference] = add_feedback(runtime, add_contact(runtime, "+22376543201"), site="niamana")
    staff(client, runtime, "awa@ong.ml", "triage")

    shown = page(client, reference)
    options = re.findall(r'<option value="(\d+)">([^<]+)</option>', section(shown))
    assert [name for _, name in options] == ["Eau Propre Mali", "Association Santé Sahel", "Musow Lakana"]
    assert 'name="status" value="referred"' not in shown.text  # referring is the referral's form, not a bare step

    shown = refer(client, reference, directory["health"], "Pas le bon partenaire, à voir")
    assert "Referred to Association Santé Sahel. The person is told by text message, in their language." in shown
    declined = answer(client, reference, "declined")
    assert "The case is back at the desk" in declined
    with runtime.database() as db:
        assert db.scalar(select(Feedback.status).where(Feedback.reference == reference)) == "in_progress"

    shown = refer(client, reference, directory["wash"], "Forage en panne au bloc C")
    assert "Referred to Eau Propre Mali." in shown
    accepted = answer(client, reference, "accepted")
    referral = fold(section(page(client, reference)))
    assert "Partner Eau Propre Mali Referral status Accepted by the partner" in referral
    assert "Accepted 20" in referral and "Forage en panne au bloc C" in referral
    assert "Earlier referrals" in referral and "Association Santé Sahel Declined by the partner" in referral
    assert "Referral: Accepted by the partner." in accepted

    with runtime.database() as db:
        case = db.scalar(select(Feedback).where(Feedback.reference == reference))
        texts = list(db.scalars(select(Message.text).where(Message.contact_id == case.contact_id)))
    assert case.status == "referred"
    assert texts == [
        f"{reference} : votre dossier a été transmis à Association Santé Sahel, qui peut vous aider.",
        f"{reference} : votre dossier a été transmis à Eau Propre Mali, qui peut vous aider.",
    ]


def test_wrong_input_is_said_in_words_and_changes_nothing(client, runtime, directory):
    [reference] = add_feedback(runtime, add_contact(runtime, "+22376543201"), site="niamana")
    staff(client, runtime, "awa@ong.ml", "triage")

    assert "Choose an active partner from the directory." in refer(client, reference, "abc")
    assert "Choose an active partner from the directory." in refer(client, reference, directory["gone"])
    assert "Choose an active partner from the directory." in refer(client, reference, 999999)
    assert "A referral note is 1000 characters at most" in refer(client, reference, directory["wash"], "x" * 1001)
    assert "No such referral on this case." in answer(client, reference, "accepted")

    refer(client, reference, directory["wash"])
    assert "Unknown referral status “lost”." in answer(client, reference, "lost")
    assert "A referral cannot go from “Sent to the partner” to “Done by the partner”." in answer(
        client, reference, "done"
    )
    assert "already with Eau Propre Mali" in refer(client, reference, directory["health"])
    with runtime.database() as db:
        assert [r.status for r in db.scalars(select(Referral))] == ["sent"]


def test_a_confidential_reports_referral_is_for_protection_only(app, runtime, directory):
    from fastapi.testclient import TestClient

    [reference] = add_feedback(
        runtime,
        add_contact(runtime, "+22376543201"),
        site="niamana",
        kind="confidential",
        confidential=True,
        category="threat",
        text=None,
    )
    make_staff(runtime, "awa@ong.ml", "triage")
    with TestClient(app) as fanta, TestClient(app) as awa:
        staff(fanta, runtime, "fanta@ong.ml", "protection")
        shown = refer(fanta, reference, directory["protection"], "Rendez-vous avec la juriste jeudi")
        assert "No text message for a confidential report" in shown
        assert "Musow Lakana" in section(page(fanta, reference))
        assert "Rendez-vous avec la juriste jeudi" in section(page(fanta, reference))

        log_in(awa, "awa@ong.ml")
        assert page(awa, reference).status_code == 404
        referral_id = re.findall(rf'action="/admin/cases/{reference}/referral/(\d+)"', page(fanta, reference).text)[0]
        for path in (f"/admin/cases/{reference}/referral", f"/admin/cases/{reference}/referral/{referral_id}"):
            refused = post(awa, path, partner=str(directory["wash"]), status="accepted")
            assert refused.status_code == 404 and "Musow" not in refused.text

    with runtime.database() as db:
        referral = db.scalars(select(Referral)).one()
        assert referral.status == "sent" and referral.note is None and "juriste" not in referral.note_encrypted
        assert db.scalars(select(Message)).all() == []


def test_each_referral_step_reads_as_a_line_of_the_trail():
    def line(action: str, **detail) -> str | None:
        return describe(Event("awa@ong.ml", datetime.now(UTC), action, detail), str, labeller(str), {})

    assert line("referred", partner="Eau Propre Mali", message_id=7) == (
        "Referred to Eau Propre Mali · the person was told by text message"
    )
    assert line("referred", partner="Musow Lakana") == "Referred to Musow Lakana"
    assert line("referral_answered", partner="Eau Propre Mali", **{"from": "sent", "to": "accepted"}) == (
        "Referral to Eau Propre Mali: Sent to the partner → Accepted by the partner"
    )
    assert line("note_added") == "Added a note"
