"""A NUL character (0x00) typed or pasted into a staff form is dropped, never a 500.

PostgreSQL refuses 0x00 in text: a note, a reply, an outcome, tags, a canned reply's number or a
login holding one crashed the request (run these with TEST_DATABASE_URL on PostgreSQL to see the
500s of before). Every staff form now reads its values without it; the filters refuse it (400).
"""

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from bot.models import CaseNote, Feedback, Message
from tests.admin.test_inbox_page import add_contact, add_feedback
from tests.admin_support import PASSWORD, csrf_of, log_in, make_staff


@pytest.fixture
def web(app):
    """The real app, answering a crash with a 500 as a server would, instead of raising it into the test."""
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


@pytest.fixture
def reference(web, runtime) -> str:
    """A triage staff member logged in on `web`, reading English, and the reference of a case of the inbox."""
    make_staff(runtime, "awa@ong.ml", "triage")
    assert log_in(web, "awa@ong.ml").status_code == 303
    web.cookies.set("lang", "en")
    return add_feedback(runtime, add_contact(runtime, "+22376543201"))[0]


def act(client, reference: str, action: str, **data):
    token = csrf_of(client.get("/admin/login").text)
    return client.post(f"/admin/cases/{reference}/{action}", data={"csrf": token, **data}, follow_redirects=False)


def case(runtime, reference: str) -> Feedback:
    with runtime.database() as db:
        return db.scalar(select(Feedback).where(Feedback.reference == reference))


def test_a_note_keeps_its_words_without_the_nul(web, runtime, reference):
    assert act(web, reference, "note", text="Appelé\x00 le chef de site").status_code == 303

    with runtime.database() as db:
        assert db.scalars(select(CaseNote.text)).all() == ["Appelé le chef de site"]


def test_a_reply_goes_out_without_the_nul(web, runtime, reference):
    assert act(web, reference, "reply", text="Nous passons\x00 demain.", canned="1\x00").status_code == 303

    with runtime.database() as db:
        sent = db.scalars(select(Message.text).where(Message.direction == "out")).all()
    assert sent == [f"{reference} : Nous passons demain."]  # naming its case


def test_an_outcome_and_tags_are_saved_without_the_nul(web, runtime, reference):
    assert act(web, reference, "code", tags="eau,\x00urgent", kind="complaint\x00").status_code == 303
    assert act(web, reference, "status", status="resolved\x00", outcome="Pompe\x00 réparée").status_code == 303

    resolved = case(runtime, reference)
    assert resolved.status == "resolved"
    assert resolved.outcome == "Pompe réparée"
    assert sorted(resolved.tags) == ["eau", "urgent"]


def test_a_login_holding_a_nul_is_an_ordinary_login(web, runtime):
    make_staff(runtime, "moussa@ong.ml", "triage")
    page = web.get("/admin/login")

    wrong = web.post(
        "/admin/login",
        data={"email": "moussa@ong.ml\x00", "password": "x\x00", "csrf": csrf_of(page.text), "next": "/admin\x00"},
        follow_redirects=False,
    )
    right = web.post(
        "/admin/login",
        data={"email": "mou\x00ssa@ong.ml", "password": PASSWORD, "csrf": csrf_of(page.text), "next": "/admin"},
        follow_redirects=False,
    )

    assert wrong.status_code == 401
    assert right.status_code == 303


@pytest.mark.parametrize("name", ["q", "status", "site", "category", "language", "assignee", "date_from", "before"])
def test_a_filter_holding_a_nul_is_refused_with_the_reason(name, web, reference):
    response = web.get("/admin/inbox", params={name: "1\x00"})

    assert response.status_code == 400, response.text[:300]
    assert 'class="flash error" role="alert"' in response.text
