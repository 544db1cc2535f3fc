"""Numbers typed into staff pages and the API are read strictly: ASCII digits, bounded.

`"²".isdigit()` is true and `int("²")` raises, so the inbox, the export, the API, the case page,
assigning and replying answered 500; `int("١")` is 1, so an Arabic-Indic digit picked a staff
member nobody chose; and a 25-digit id overflowed the database's integer. Each bad value is now a
400 with the reason (lists, export, API), or ignored with a message (the case page and its forms).
"""

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from bot.accounts import issue_api_token
from bot.db import transaction
from bot.models import CaseEvent, Feedback, StaffUser
from bot.seed import seed_canned_replies
from tests.admin.test_inbox_page import add_contact, add_feedback
from tests.admin_support import csrf_of, log_in, make_staff

ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
# Each is refused for what it is, whichever staff ids exist (spaces around a value are trimmed everywhere).
NOT_NUMBERS = ["²", "1²", "𝟏", "9" * 25, "1_0", "+1", "0x1", "-1"]


@pytest.fixture
def web(app):
    """The real app, answering a crash with a 500 as a server would, instead of raising it into the test."""
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


@pytest.fixture
def desk(web, runtime):
    """A triage staff member logged in on `web`, reading English, one case of the inbox, and the canned replies."""
    with transaction(runtime.database) as db:
        seed_canned_replies(db)
    staff_id = make_staff(runtime, "awa@ong.ml", "triage")
    assert log_in(web, "awa@ong.ml").status_code == 303
    web.cookies.set("lang", "en")
    (reference,) = add_feedback(runtime, add_contact(runtime, "+22376543201"))
    return staff_id, reference


def as_written_in_arabic_indic(number: int) -> str:
    return str(number).translate(ARABIC_INDIC)


def act(client, reference: str, action: str, **data):
    token = csrf_of(client.get("/admin/login").text)
    return client.post(f"/admin/cases/{reference}/{action}", data={"csrf": token, **data}, follow_redirects=False)


def assignee_of(runtime, reference: str) -> int | None:
    with runtime.database() as db:
        return db.scalar(select(Feedback.assignee_id).where(Feedback.reference == reference))


@pytest.mark.parametrize("value", [*NOT_NUMBERS, "١"])
def test_the_inbox_and_the_export_refuse_an_assignee_that_is_not_a_number(value, web, desk):
    inbox = web.get("/admin/inbox", params={"assignee": value})
    export = web.get("/admin/export.csv", params={"assignee": value})

    assert inbox.status_code == 400, inbox.text[:300]
    assert "Assignee must be “none”, “me” or a staff number" in inbox.text
    assert export.status_code == 400, export.text[:300]
    assert "Assignee must be" in export.text


def test_the_inbox_reads_an_arabic_indic_staff_number_as_no_number_at_all(web, runtime, desk):
    staff_id, reference = desk
    with transaction(runtime.database) as db:
        db.scalar(select(Feedback).where(Feedback.reference == reference)).assignee_id = staff_id

    assert reference in web.get("/admin/inbox", params={"assignee": str(staff_id)}).text
    assert web.get("/admin/inbox", params={"assignee": as_written_in_arabic_indic(staff_id)}).status_code == 400


@pytest.mark.parametrize("value", NOT_NUMBERS)
def test_the_api_refuses_a_limit_or_an_assignee_that_is_not_a_number(value, web, runtime, desk):
    with transaction(runtime.database) as db:
        headers = {"Authorization": f"Bearer {issue_api_token(db.get(StaffUser, desk[0]))}"}

    by_limit = web.get("/api/v1/feedback", params={"limit": value}, headers=headers)
    by_assignee = web.get("/api/v1/feedback", params={"assignee": value}, headers=headers)

    assert by_limit.status_code == 400, by_limit.text
    assert by_limit.json() == {"detail": f"limit must be a number from 1 to 200, not “{value[:80]}”."}
    assert by_assignee.status_code == 400, by_assignee.text
    assert by_assignee.json()["detail"].startswith("Assignee must be")


@pytest.mark.parametrize("value", NOT_NUMBERS)
def test_the_case_page_ignores_a_canned_reply_that_is_not_a_number_and_says_so(value, web, desk):
    response = web.get(f"/admin/cases/{desk[1]}", params={"canned": value})

    assert response.status_code == 200, response.text[:300]
    assert "That canned reply no longer exists." in response.text


@pytest.mark.parametrize("value", NOT_NUMBERS)
def test_assigning_to_a_staff_number_that_is_not_a_number_is_refused_with_a_message(value, web, runtime, desk):
    response = act(web, desk[1], "assign", assignee=value)

    assert response.status_code == 303, response.text[:300]
    assert "Unknown staff member." in web.get(response.headers["location"]).text
    assert assignee_of(runtime, desk[1]) is None


def test_an_arabic_indic_staff_number_assigns_nobody(web, runtime, desk):
    staff_id, reference = desk

    response = act(web, reference, "assign", assignee=as_written_in_arabic_indic(staff_id))

    assert response.status_code == 303
    assert "Unknown staff member." in web.get(response.headers["location"]).text
    assert assignee_of(runtime, reference) is None
    assert act(web, reference, "assign", assignee=str(staff_id)).status_code == 303
    assert assignee_of(runtime, reference) == staff_id  # the same number in ASCII digits does


@pytest.mark.parametrize("value", NOT_NUMBERS)
def test_a_reply_naming_a_canned_reply_that_is_not_a_number_is_stored_as_written(value, web, runtime, desk):
    response = act(web, desk[1], "reply", text="Nous passons demain.", canned=value)

    assert response.status_code == 303, response.text[:300]
    with runtime.database() as db:
        (replied,) = db.scalars(select(CaseEvent).where(CaseEvent.action == "replied"))
        assert replied.detail.get("canned_reply_id") is None
