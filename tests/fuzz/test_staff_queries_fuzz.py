"""Fuzzing what staff send: the query of every staff page and of the API, and the forms of the case page.

What is fuzzed (hypothesis, a bounded and fixed number of cases: see tests/fuzz/conftest.py for FUZZ_EXAMPLES),
signed in as an admin (who sees every case, confidential ones included) or with an admin's API token:
- the query parameters of every staff GET page (/admin, the inbox, the CSV export, the dashboard, a case page,
  the sends, the language switch, the login page) and of /api/v1: each known parameter and random ones,
  repeated or not, with any value: the vocabulary's words, numbers as people type them ('²', '٣', 10**30,
  negative), dates, page cursors well-formed or not, NUL and other control characters, empty, long; a query
  that is not UTF-8 at all; references in a case's URL, spelt right, wrong, or not at all;
- the forms of the case page (status, assign, code, note, reply, reveal) and "send again", each field any
  value, with random extra fields, with the right CSRF token or a wrong one.

What must hold:
- the answer is never a 5xx;
- an HTML page is a whole page (it ends with </html>), a CSV export can be read as CSV, an API answer is
  JSON; a redirect stays on the site;
- a note that the form takes (303, not empty, at most NOTE_MAX_CHARS) is stored as written, without its
  NULs and the spaces around it.

"""

import csv
import io
from urllib.parse import quote, quote_from_bytes, urlencode

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from sqlalchemy import select

from bot.accounts import issue_api_token
from bot.cases.lifecycle import NOTE_MAX_CHARS
from bot.cases.sealed import unseal
from bot.db import transaction
from bot.models import CaseNote, Feedback, StaffUser
from bot.outbound.store import queue_message
from bot.seed import SITES, seed_canned_replies
from bot.vocabulary import CaseStatus, Category, Channel, Kind, MessageStatus
from tests.admin_support import csrf_of, log_in, make_staff
from tests.conftest import Phone
from tests.fuzz.conftest import (
    NASTY,
    NUL,
    answered,
    cursors,
    dates,
    numberish,
    repeated,
    short_texts,
    texts,
)
from tests.fuzz.conftest import fuzz as fuzz_settings

ADMIN = "admin@ong.ml"
COMPLAINT = ("Bonjour", "1", "1", "1", "1", "2", "Les latrines débordent")
CONFIDENTIAL = ("Bonjour", "1", "1", "4", "1", "0", "3")


# --- the desk: an admin signed in, cases, a send that failed, an API token -------------------------------


@pytest.fixture
def desk(web, runtime, settings) -> dict:
    """An admin signed in on `web`, a triage colleague, a complaint and a confidential report filed by SMS, the
    canned replies, a send that failed, and the admin's API token."""
    for number, turns in (("+22370000011", COMPLAINT), ("+22370000012", CONFIDENTIAL)):
        Phone(web, number, settings.twilio_auth_token).converse(*turns)
    with transaction(runtime.database) as db:
        seed_canned_replies(db)
    staff = [make_staff(runtime, ADMIN, "admin"), make_staff(runtime, "awa@ong.ml", "triage")]
    with transaction(runtime.database) as db:
        complaint = db.scalar(select(Feedback).where(Feedback.confidential.is_(False)))
        confidential = db.scalar(select(Feedback).where(Feedback.confidential.is_(True)))
        failed = queue_message(db, complaint.contact_id, Channel.SMS, "Votre plainte est reçue")
        failed.status, failed.error_message = MessageStatus.FAILED, "absent subscriber"
        db.flush()
        references = {"complaint": complaint.reference, "confidential": confidential.reference}
        failed_id = failed.id
        token = issue_api_token(db.scalar(select(StaffUser).where(StaffUser.email == ADMIN)))
    assert log_in(web, ADMIN).status_code == 303
    csrf = csrf_of(web.get("/admin/login").text)  # the login session's token, the same for every form
    return {**references, "failed": failed_id, "token": token, "csrf": csrf, "staff": staff}


# --- what is checked of every answer ------------------------------------------------------------------


def check_staff_answer(tally, response) -> None:
    """Never a 5xx; a whole HTML page, a readable CSV, JSON from the API; a redirect that stays on the site."""
    answered(tally, response)
    kind = response.headers.get("content-type", "")
    if kind.startswith("text/html"):
        assert response.text.rstrip().endswith("</html>"), response.text[-300:]
    elif kind.startswith("text/csv") and response.status_code == 200:
        list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    elif response.request.url.path.startswith("/api/"):
        assert kind.startswith("application/json"), kind
        response.json()
    if response.is_redirect:
        location = response.headers["location"]
        assert location.startswith("/") and not location.startswith("//"), location


# --- strategies --------------------------------------------------------------------------------------

VOCABULARY = {
    "status": [status.value for status in CaseStatus],
    "kind": [kind.value for kind in Kind],
    "category": [category.value for category in Category],
    "site": [slug for slug, _name, _region in SITES],
    "language": ["fr", "bm", "en", "xx"],
    "channel": [channel.value for channel in Channel],
    "assignee": ["none", "me", "1", "2", "3"],
    "sort": ["newest", "oldest", "due", "urgent"],
    "referral": ["any", "sent", "accepted", "declined", "done", "maybe"],
    "to": ["fr", "en", "bm"],
    "next": ["/admin/inbox", "/admin", "//evil.example", "https://evil.example/admin", "/admin/../../etc"],
    "outcome": ["Pompe réparée"],
    "tags": ["eau,urgent", ",,,", ",".join(["t"] * 25), "x" * 41],
}
QUERY_NAMES = [
    "status",
    "kind",
    "category",
    "site",
    "language",
    "channel",
    "assignee",
    "date_from",
    "date_to",
    "q",
    "sort",
    "referral",
    "before",
    "limit",
    "canned",
    "next",
    "to",
]

# A query is at most a few kilobytes (servers refuse longer URLs, and so does the test client): values up to a
# thousand characters or so, around the search's 200; a form's values go up to its body limit (64 KB).
query_texts = st.one_of(
    short_texts, st.builds(repeated, st.text(alphabet=NASTY, min_size=1, max_size=3), st.integers(150, 1000))
)
any_value = st.one_of(short_texts, numberish, dates, query_texts)
any_field = st.one_of(any_value, texts)


def value_for(name: str, anything=any_value):
    """Values for a named parameter or field: its own words (so the request goes past the check), and anything."""
    own = {"date_from": dates, "date_to": dates, "before": cursors, "limit": numberish, "canned": numberish}
    strategies = [anything]
    if name in VOCABULARY:
        strategies.insert(0, st.sampled_from(VOCABULARY[name]))
    if name in own:
        strategies.insert(0, own[name])
    return st.one_of(*strategies)


random_names = st.one_of(st.text(max_size=8), st.text(alphabet=NASTY, max_size=8))
query_pairs = st.lists(
    st.one_of(
        st.sampled_from(QUERY_NAMES).flatmap(lambda name: st.tuples(st.just(name), value_for(name))),
        st.tuples(random_names, any_value),
    ),
    max_size=6,
)


@st.composite
def queries(draw) -> str:
    """A query string: parameters (perhaps repeated) percent-encoded, or bytes that are not UTF-8 at all."""
    if draw(st.integers(0, 9)) == 0:
        return "?" + quote_from_bytes(draw(st.binary(max_size=40)), safe="=&")
    pairs = draw(query_pairs)
    return ("?" + urlencode(pairs)) if pairs else ""


def reference_like(real: str):
    """A case's reference as typed: right, in lower case, spaced, with a unicode digit, or anything."""
    return st.one_of(
        st.sampled_from([real, real.lower(), f" {real} ", f"{real[:3]}-{real[3:]}", real + NUL, real[:-1] + "٣"]),
        short_texts,
        query_texts,
    ).map(lambda reference: quote(reference, safe=""))


PAGES = [
    "/admin",
    "/admin/inbox",
    "/admin/export.csv",
    "/admin/dashboard",
    "/admin/sends",
    "/admin/language",
    "/admin/login",
    "/admin/cases/{complaint}",
    "/admin/cases/{confidential}",
    "/admin/cases/{any}",
]


# --- pages ----------------------------------------------------------------------------------------


@fuzz_settings(60)
@given(page=st.sampled_from(PAGES), query=queries(), typed=st.data(), lang=st.sampled_from(["en", "fr", "bm", "xx"]))
def test_a_staff_page_is_never_a_5xx_and_always_a_whole_page_whatever_its_query(
    page, query, typed, lang, web, desk, tally
):
    if page == "/admin/cases/{any}":
        path = "/admin/cases/" + typed.draw(reference_like(desk["complaint"]))
    else:
        path = page.format(**desk)
    web.cookies.set("lang", lang)

    response = web.get(path + query, follow_redirects=False)

    check_staff_answer(tally, response)


def api_headers(token: str):
    """The admin's token as it should be sent, or as it should not."""
    return st.one_of(
        st.just({"authorization": f"Bearer {token}"}),
        st.just({"authorization": f"Bearer {token}"}),
        st.just({"authorization": f"bearer   {token}  "}),
        st.sampled_from([{}, {"authorization": ""}, {"authorization": "Bearer"}, {"authorization": "Basic YTpi"}]),
        st.text(alphabet=NASTY.encode("ascii", "ignore").decode(), max_size=40).map(
            lambda garbage: {"authorization": f"Bearer {garbage}"}
        ),
    )


@fuzz_settings(60)
@given(listing=st.booleans(), query=queries(), typed=st.data())
def test_the_api_is_never_a_5xx_and_always_answers_json_whatever_its_query(listing, query, typed, web, desk, tally):
    headers = typed.draw(api_headers(desk["token"]))
    if listing:
        path = "/api/v1/feedback"
    else:
        reference = typed.draw(
            st.one_of(st.sampled_from([desk["complaint"], desk["confidential"]]), reference_like(""))
        )
        path = "/api/v1/feedback/" + reference

    response = web.get(path + query, headers=headers)

    check_staff_answer(tally, response)
    if response.status_code == 200 and listing and response.json()["next"]:
        older = web.get("/api/v1/feedback?" + urlencode({"before": response.json()["next"]}), headers=headers)
        check_staff_answer(tally, older)


# --- the case page's forms ----------------------------------------------------------------------------

FIELDS = {
    "status": ["status", "outcome"],
    "assign": ["assignee"],
    "code": ["kind", "category", "site", "tags"],
    "note": ["text"],
    "reply": ["text", "canned"],
    "reveal": [],
}


@st.composite
def case_forms(draw) -> tuple[str, dict]:
    """An action of the case page and its form: its own fields (any of them left out) and random extra ones."""
    action = draw(st.sampled_from([*FIELDS, "again"]))
    form = {}
    for name, value in draw(st.dictionaries(random_names, any_field, max_size=3)).items():
        if name.replace(NUL, "") not in ("csrf", *FIELDS.get(action, ())):  # never a second value of a real field
            form[name] = value
    for name in FIELDS.get(action, ()):
        value = draw(st.one_of(value_for(name, any_field), st.none()))
        if value is not None:
            form[name] = value
    return action, form


def note_texts(runtime, reference: str) -> list[str]:
    with runtime.database() as db:
        feedback = db.scalar(select(Feedback).where(Feedback.reference == reference))
        notes = db.scalars(select(CaseNote).where(CaseNote.feedback_id == feedback.id).order_by(CaseNote.id))
        return [unseal(runtime.vault, note.text, note.text_encrypted) for note in notes]


def post_form(web, path: str, csrf: str, form: dict):
    body = urlencode({"csrf": csrf, **form}).encode()
    headers = {"content-type": "application/x-www-form-urlencoded"}
    return web.post(path, content=body, headers=headers, follow_redirects=False), len(body)


@fuzz_settings(50)
@given(
    request=case_forms(),
    case=st.sampled_from(["complaint", "complaint", "confidential", "any"]),
    typed=st.data(),
)
def test_a_case_form_is_never_a_5xx_and_a_note_it_takes_is_stored_as_written(
    request, case, typed, web, runtime, settings, desk, tally
):
    action, form = request
    if action == "assign" and typed.draw(st.booleans()):
        form["assignee"] = str(typed.draw(st.sampled_from(desk["staff"])))  # ids are not 1, 2 on PostgreSQL
    reference = desk[case] if case != "any" else typed.draw(reference_like(desk["complaint"]))
    if action == "again":
        message_id = typed.draw(st.one_of(st.just(str(desk["failed"])), numberish, short_texts))
        path = f"/admin/sends/{quote(message_id, safe='')}/again"
    else:
        path = f"/admin/cases/{reference}/{action}"
    notes = note_texts(runtime, desk[case]) if action == "note" and case != "any" else None

    response, size = post_form(web, path, desk["csrf"], form)

    check_staff_answer(tally, response)
    if size > settings.staff_max_body_bytes:
        assert response.status_code == 413
        return
    if case != "any" and action != "again":
        # Done, or refused with a message on the page it leads back to; a number revealed is on this answer only.
        assert response.status_code in ((200, 303) if action == "reveal" else (303,)), response.text[:300]
    if response.is_redirect:
        check_staff_answer(tally, web.get(response.headers["location"], follow_redirects=False))
    written = form.get("text", "").replace(NUL, "").strip()
    if notes is not None and response.status_code == 303 and written and len(written) <= NOTE_MAX_CHARS:
        assert note_texts(runtime, desk[case]) == [*notes, written]
        tally["notes kept"] += 1


# --- what this suite found (each a 500, fixed) -------------------------------------------------------------

referers = st.one_of(
    st.sampled_from(["", "http://testserver/admin/inbox?status=new", "http://[", "http://]/", "//evil.example/x"]),
    st.text(alphabet=NASTY.encode("ascii", "ignore").decode(), max_size=40),
)


@fuzz_settings(30)
@example(referer="http://[", to="fr")  # a 500 the suite found, fixed
@given(referer=referers, to=value_for("to"))
def test_the_language_switch_is_never_a_5xx_whatever_the_referer(referer, to, web, tally):
    response = web.get("/admin/language?" + urlencode({"to": to}), headers={"referer": referer}, follow_redirects=False)

    check_staff_answer(tally, response)


@fuzz_settings(30)
@example(csrf="é")  # a 500 the suite found, fixed
@given(csrf=st.one_of(st.just(""), short_texts))
def test_a_staff_form_with_a_wrong_csrf_token_is_refused_with_a_403_never_a_5xx(csrf, web, tally):
    web.get("/admin/login")  # a page with a form: it puts a CSRF token in the session

    form = {"csrf": csrf, "email": ADMIN, "password": "not the password", "next": "/admin"}
    response = web.post("/admin/login", data=form, follow_redirects=False)

    check_staff_answer(tally, response)
    assert response.status_code == 403
