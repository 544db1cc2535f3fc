"""The case page: what staff see of one submission, who may open it, and what they do on it.

Submissions come in through the real SMS webhook; staff log in and act through real HTTP forms
(CSRF tokens included); replies go out through a real RQ worker to the Twilio double.
"""

import html
import re

import pytest
from sqlalchemy import select, update

from bot.db import transaction
from bot.models import CannedReply, CaseEvent, CaseNote, Contact, Feedback, Message, StaffUser
from bot.outbound.gsm7 import to_gsm
from bot.phones import mask as mask_phone
from bot.seed import CANNED_REPLIES, seed_canned_replies
from tests.admin_support import csrf_of, feedback_by_text, log_in, make_staff, submit_complaint
from tests.conftest import run_worker

COMPLAINT = "Les latrines débordent"
THREAT = "Mon voisin me menace la nuit"
ACTIONS = ("status", "assign", "code", "note", "reply", "reveal")


# --- helpers -------------------------------------------------------------------------------------


def staff(client, runtime, email: str, role: str, sites: tuple[str, ...] = ()) -> int:
    """A staff member, logged in on `client`, reading the interface in English."""
    staff_id = make_staff(runtime, email, role, sites)
    assert log_in(client, email).status_code == 303
    client.cookies.set("lang", "en")
    return staff_id


def page(client, reference: str, **params):
    return client.get(f"/admin/cases/{reference}", params=params)


def text_of(response) -> str:
    """The page as a person reads it: tags dropped, entities decoded, spaces folded."""
    body = re.sub(r"<style>.*?</style>", " ", response.text, flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())


def fold(text: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", text)).split())


def conversation(response, section: str = "h-exchange") -> list[tuple[str, str]]:
    """A table of messages as (who, message) rows, in the order shown: this case's, or the history page's."""
    found = re.search(rf'<section aria-labelledby="{section}">.*?</section>', response.text, re.S)
    section = found.group(0) if found else response.text
    rows = re.findall(r"<tr[^>]*>\s*<td>.*?</td>\s*<td>(.*?)</td>\s*<td lang=\"\w+\">(.*?)</td>", section, re.S)
    return [(fold(who), fold(text)) for who, text in rows]


def act(client, reference: str, action: str, **data):
    """Submit one of the case page's forms, with the page's CSRF token, without following the redirect."""
    token = csrf_of(client.get("/admin/login").text)
    return client.post(f"/admin/cases/{reference}/{action}", data={"csrf": token, **data}, follow_redirects=False)


def act_and_read(client, reference: str, action: str, **data) -> str:
    """Submit a form, follow the redirect back to the case, and read the page with its flash message."""
    response = act(client, reference, action, **data)
    assert response.status_code == 303, response.text
    assert response.headers["location"] == f"/admin/cases/{reference}"
    return text_of(page(client, reference))


def events(runtime, feedback_id: int) -> list[CaseEvent]:
    with runtime.database() as db:
        found = db.scalars(select(CaseEvent).where(CaseEvent.feedback_id == feedback_id).order_by(CaseEvent.id))
        return [(event, event.actor.email if event.actor else None) for event in found]


def changes(runtime, feedback_id: int) -> list[str]:
    """What was done to a case, leaving out the reads a confidential report's trail also records."""
    return [event.action for event, _ in events(runtime, feedback_id) if not event.action.startswith("read_")]


def stored(runtime, feedback_id: int) -> Feedback:
    with runtime.database() as db:
        return db.get(Feedback, feedback_id)


def report_confidentially(phone, details: str = THREAT, callback: str = "1") -> None:
    """A consented French speaker reports violence; callback 1 = on this number, 3 = do not call."""
    phone.converse("Bonjour", "1", "1", "4", "1", details, callback)


def confidential_report(runtime) -> Feedback:
    with runtime.database() as db:
        return db.scalar(select(Feedback).where(Feedback.confidential))


# --- what the page shows -------------------------------------------------------------------------


def test_the_case_page_shows_the_submission_its_own_exchange_and_a_masked_number(client, runtime, phone):
    submit_complaint(phone, COMPLAINT)
    feedback = feedback_by_text(runtime, COMPLAINT)
    staff(client, runtime, "awa@ong.ml", "triage")

    response = page(client, feedback.reference)
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    shown = text_of(response)
    assert f"Case {feedback.reference}" in shown
    assert "Complaint" in shown and "Water and sanitation" in shown and "Niamana" in shown
    assert "Français" in shown and "SMS" in shown and "New" in shown
    # This case's exchange only: the message that opened it and the answer giving its reference; the menus
    # before it are in the person's whole conversation, one link away, oldest first, as the person read it.
    with runtime.database() as db:
        said = [(m.direction, m.text) for m in db.scalars(select(Message).order_by(Message.created_at, Message.id))]
    assert len(said) == 14 and said[0] == ("in", "Bonjour") and said[-2] == ("in", COMPLAINT)
    everything = [("The person" if way == "in" else "baro", fold(text)) for way, text in said]
    assert conversation(response) == everything[-2:]
    assert "Bonjour" not in conversation(response)[0][1]
    history = client.get(f"/admin/cases/{feedback.reference}/history")
    assert history.status_code == 200 and conversation(history, "none") == everything
    # The number, masked only.
    assert mask_phone(phone.number) in shown
    assert phone.number not in response.text and "70000001" not in response.text
    assert "Show number" in shown  # desk staff may call back about an ordinary case


def test_a_case_that_does_not_exist_is_not_found(client, runtime):
    staff(client, runtime, "awa@ong.ml", "triage")
    response = page(client, "ZZZZZZ")
    assert response.status_code == 404 and "No such case" in text_of(response)


def test_the_page_needs_a_login(client, runtime, phone):
    submit_complaint(phone, COMPLAINT)
    reference = feedback_by_text(runtime, COMPLAINT).reference
    response = client.get(f"/admin/cases/{reference}", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/admin/login")


# --- who may open it -----------------------------------------------------------------------------


def test_a_triage_user_cannot_reach_a_confidential_report_by_any_url(client, runtime, phone):
    report_confidentially(phone)
    report = confidential_report(runtime)
    staff(client, runtime, "awa@ong.ml", "triage")
    nothing = page(client, "ZZZZZZ")

    response = page(client, report.reference)
    assert response.status_code == 404
    assert response.text == nothing.text  # the same answer as for no case at all: it reveals nothing
    assert page(client, report.reference.lower()).status_code == 404
    for action in ACTIONS:
        answer = act(client, report.reference, action, status="acknowledged", text="Bonjour", assignee="", tags="x")
        assert answer.status_code == 404, action
        assert answer.text == nothing.text
    assert events(runtime, report.id) == [] and stored(runtime, report.id).status == "new"
    with runtime.database() as db:
        assert db.scalar(select(CaseNote.id)) is None
        assert db.scalar(select(Message.id).where(Message.status == "pending")) is None


def test_protection_staff_read_a_confidential_report_and_how_to_call_back(client, runtime, phone):
    report_confidentially(phone)
    report = confidential_report(runtime)
    assert report.text is None and THREAT not in report.text_encrypted  # encrypted at rest
    staff(client, runtime, "fanta@ong.ml", "protection")

    shown = text_of(page(client, report.reference))
    assert THREAT in shown and "Yes, on this number" in shown and "Violence" in shown
    assert "No text messages about a confidential report" in shown


def test_a_confidential_report_stays_hidden_in_the_conversation_of_the_same_persons_other_case(client, runtime, phone):
    submit_complaint(phone, COMPLAINT)
    phone.converse("4", "1", THREAT, "1")  # then, from the same phone, a confidential report
    complaint, report = feedback_by_text(runtime, COMPLAINT), confidential_report(runtime)
    staff(client, runtime, "awa@ong.ml", "triage")

    for path in ("", "/history"):
        shown = text_of(client.get(f"/admin/cases/{complaint.reference}{path}"))
        assert COMPLAINT in shown
        assert THREAT not in shown and "confidential" not in shown.lower() and report.reference not in shown
    assert "None that you may see." in text_of(page(client, complaint.reference))

    client.cookies.clear()
    staff(client, runtime, "fanta@ong.ml", "protection")
    # Protection staff see the report as a link among the person's other cases, never its text inline;
    # its messages are in the person's whole conversation.
    shown = page(client, complaint.reference)
    assert THREAT not in text_of(shown)
    assert f'<a href="/admin/cases/{report.reference}">{report.reference}</a> · Confidential report' in shown.text
    assert THREAT in text_of(client.get(f"/admin/cases/{complaint.reference}/history"))


def test_a_triage_user_limited_to_sites_sees_only_their_sites_cases(client, runtime, phone):
    submit_complaint(phone, COMPLAINT, site="1")  # Niamana
    reference = feedback_by_text(runtime, COMPLAINT).reference
    staff(client, runtime, "awa@ong.ml", "triage", sites=("gao",))
    assert page(client, reference).status_code == 404
    assert act(client, reference, "note", text="Vu").status_code == 404


def test_an_organizer_cannot_open_cases(client, runtime, phone):
    submit_complaint(phone, COMPLAINT)
    reference = feedback_by_text(runtime, COMPLAINT).reference
    staff(client, runtime, "oumar@ong.ml", "organizer")
    assert page(client, reference).status_code == 404


# --- the lifecycle -------------------------------------------------------------------------------


def test_status_changes_follow_the_lifecycle_and_each_is_in_the_trail_with_who_and_when(client, runtime, phone):
    submit_complaint(phone, COMPLAINT)
    feedback = feedback_by_text(runtime, COMPLAINT)
    staff(client, runtime, "awa@ong.ml", "triage")
    assert feedback.first_response_at is None

    shown = act_and_read(client, feedback.reference, "status", status="acknowledged")
    assert "Status changed to Acknowledged." in shown
    acknowledged = stored(runtime, feedback.id)
    assert acknowledged.status == "acknowledged" and acknowledged.first_response_at is not None

    # An illegal jump is refused in words, and nothing changes.
    shown = act_and_read(client, feedback.reference, "status", status="closed")
    assert "A case cannot go from “Acknowledged” to “Closed”." in shown
    shown = act_and_read(client, feedback.reference, "status", status="flying")
    assert "Unknown status “flying”." in shown
    assert stored(runtime, feedback.id).status == "acknowledged"

    act_and_read(client, feedback.reference, "status", status="in_progress")
    # Referring names a partner: the bare status is refused, the referral form does it (test_referrals_page).
    shown = act_and_read(client, feedback.reference, "status", status="referred")
    assert "Refer the case with the referral form: it records the partner." in shown
    assert stored(runtime, feedback.id).status == "in_progress"
    assert stored(runtime, feedback.id).first_response_at == acknowledged.first_response_at

    trail = events(runtime, feedback.id)
    assert [(e.action, e.detail["from"], e.detail["to"], who) for e, who in trail] == [
        ("status_changed", "new", "acknowledged", "awa@ong.ml"),
        ("status_changed", "acknowledged", "in_progress", "awa@ong.ml"),
    ]
    trail_table = re.search(r'<table class="list" id="trail">.*?</table>', page(client, feedback.reference).text, re.S)
    row = r"<tr><td><time datetime=\"([^\"]+)\">[^<]+</time></td><td>([^<]+)</td><td>([^<]+)</td>"
    rows = re.findall(row, trail_table.group(0))
    assert [(who, html.unescape(what)) for _, who, what in rows] == [
        ("awa@ong.ml", "Status: New → Acknowledged"),
        ("awa@ong.ml", "Status: Acknowledged → In progress"),
    ]
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", when) for when, _, _ in rows)
    # Only the steps allowed from here are offered.
    assert 'name="status" value="resolved"' in page(client, feedback.reference).text
    assert 'name="status" value="closed"' not in page(client, feedback.reference).text


def test_resolving_needs_what_was_done(client, runtime, phone):
    submit_complaint(phone, COMPLAINT)
    feedback = feedback_by_text(runtime, COMPLAINT)
    staff(client, runtime, "awa@ong.ml", "triage")
    shown = act_and_read(client, feedback.reference, "status", status="resolved", outcome="  ")
    assert "To resolve a case, say what was done: the person is told." in shown
    shown = act_and_read(client, feedback.reference, "status", status="resolved", outcome="x" * 161)
    assert "What was done must fit in 160 characters (it is an SMS); it has 161." in shown
    assert stored(runtime, feedback.id).status == "new" and events(runtime, feedback.id) == []


def test_a_form_without_its_csrf_token_is_refused(client, runtime, phone):
    submit_complaint(phone, COMPLAINT)
    feedback = feedback_by_text(runtime, COMPLAINT)
    staff(client, runtime, "awa@ong.ml", "triage")
    page(client, feedback.reference)
    for action in ACTIONS:
        url = f"/admin/cases/{feedback.reference}/{action}"
        missing = client.post(url, data={"status": "acknowledged", "text": "x"})
        assert missing.status_code == 403, action
        forged = client.post(url, data={"csrf": "forged", "text": "x"})
        assert forged.status_code == 403, action
    assert stored(runtime, feedback.id).status == "new" and events(runtime, feedback.id) == []


# --- assignment, coding, notes -------------------------------------------------------------------


def test_assignment_coding_tags_and_notes_are_recorded(client, runtime, phone):
    submit_complaint(phone, COMPLAINT)
    feedback = feedback_by_text(runtime, COMPLAINT)
    colleague = make_staff(runtime, "moussa@ong.ml", "triage")
    make_staff(runtime, "oumar@ong.ml", "organizer")
    staff(client, runtime, "awa@ong.ml", "triage")

    form = page(client, feedback.reference).text
    assert "moussa@ong.ml" in form and "oumar@ong.ml" not in form  # only desk staff are offered
    shown = act_and_read(client, feedback.reference, "assign", assignee=str(colleague))
    assert "Assigned to moussa@ong.ml." in shown

    coding = {"kind": "need", "category": "health", "site": "sogoniko"}
    shown = act_and_read(client, feedback.reference, "code", **coding, tags="latrines, urgent,Urgent , ")
    assert "Coding saved." in shown
    shown = act_and_read(client, feedback.reference, "note", text="Appelé le chef de site.\nIl passe demain.")
    assert "Note added." in shown and "Appelé le chef de site." in shown

    coded = stored(runtime, feedback.id)
    assert (coded.assignee_id, coded.kind, coded.category) == (colleague, "need", "health")
    assert coded.tags == ["latrines", "urgent"]
    assert coded.updated_at is not None
    trail = events(runtime, feedback.id)
    assert [(e.action, who) for e, who in trail] == [
        ("assigned", "awa@ong.ml"),
        ("coded", "awa@ong.ml"),
        ("note_added", "awa@ong.ml"),
    ]
    assert trail[0][0].detail["to"] == "moussa@ong.ml"
    assert trail[1][0].detail == {
        "kind": ["complaint", "need"],
        "category": ["water_sanitation", "health"],
        "site": ["niamana", "sogoniko"],
        "tags": [[], ["latrines", "urgent"]],
    }
    assert "Assigned to moussa@ong.ml" in shown and "Added a note" in shown
    assert (
        "Coded · Kind: Complaint → Need; Category: Water and sanitation → Health; Site: Niamana → Sogoniko;"
        " Tags: – → latrines, urgent" in shown
    )

    # Saving the same again changes nothing and adds nothing to the trail.
    shown = act_and_read(client, feedback.reference, "code", **coding, tags="latrines, urgent")
    assert "Nothing changed." in shown and len(events(runtime, feedback.id)) == 3
    # A category of another kind, an organizer as assignee, an empty note: refused in words.
    assert "“violence” is not a category" in act_and_read(client, feedback.reference, "code", category="violence")
    organizer = db_id(runtime, "oumar@ong.ml")
    refused = act_and_read(client, feedback.reference, "assign", assignee=str(organizer))
    assert "oumar@ong.ml cannot see this case" in refused
    assert "The note is empty." in act_and_read(client, feedback.reference, "note", text=" ")
    assert len(events(runtime, feedback.id)) == 3


def db_id(runtime, email: str) -> int:
    with runtime.database() as db:
        return db.scalar(select(StaffUser.id).where(StaffUser.email == email))


def test_a_confidential_report_is_assigned_only_to_someone_who_may_read_it(client, runtime, phone):
    report_confidentially(phone)
    report = confidential_report(runtime)
    triage = make_staff(runtime, "awa@ong.ml", "triage")
    colleague = make_staff(runtime, "kadi@ong.ml", "protection")
    staff(client, runtime, "fanta@ong.ml", "protection")

    assert "awa@ong.ml" not in page(client, report.reference).text
    shown = act_and_read(client, report.reference, "assign", assignee=str(triage))
    assert "awa@ong.ml cannot see this case, so it cannot be assigned to them." in shown
    act_and_read(client, report.reference, "assign", assignee=str(colleague))
    assert stored(runtime, report.id).assignee_id == colleague
    shown = act_and_read(client, report.reference, "assign", assignee="")
    assert "The case is assigned to nobody." in shown and stored(runtime, report.id).assignee_id is None


# --- the phone number ----------------------------------------------------------------------------


def test_showing_the_number_is_recorded_and_shows_it_on_that_page_only(client, runtime, phone):
    submit_complaint(phone, COMPLAINT)
    feedback = feedback_by_text(runtime, COMPLAINT)
    staff(client, runtime, "awa@ong.ml", "triage")

    response = act(client, feedback.reference, "reveal")
    assert response.status_code == 200 and response.headers["cache-control"] == "no-store"
    assert f'href="tel:{phone.number}"' in response.text
    assert [(e.action, who) for e, who in events(runtime, feedback.id)] == [("phone_revealed", "awa@ong.ml")]
    assert "Showed the phone number" in text_of(response)
    assert phone.number not in page(client, feedback.reference).text  # masked again on the next visit
    act(client, feedback.reference, "reveal")
    assert len(events(runtime, feedback.id)) == 2  # every showing counts


@pytest.mark.parametrize(
    ("role", "callback", "allowed"),
    [
        ("protection", "1", True),  # may we call back: on this number
        ("protection", "3", False),  # do not call me
        ("admin", "1", False),  # only protection calls back about a confidential report
    ],
)
def test_a_confidential_reports_number_is_shown_only_to_protection_and_only_if_they_may_call(
    client, runtime, phone, role, callback, allowed
):
    report_confidentially(phone, callback=callback)
    report = confidential_report(runtime)
    staff(client, runtime, "fanta@ong.ml", role)

    assert ("Show number" in page(client, report.reference).text) is allowed
    response = act(client, report.reference, "reveal")
    if allowed:
        assert phone.number in response.text
        assert changes(runtime, report.id) == ["phone_revealed"]
    else:
        assert response.status_code == 303
        assert "You may not see this number." in text_of(page(client, report.reference))
        assert phone.number not in response.text and changes(runtime, report.id) == []
    assert [e.action for e, _ in events(runtime, report.id)].count("read_page") == 2 - allowed  # each page read


# --- replies -------------------------------------------------------------------------------------


def test_a_reply_goes_to_the_person_and_acknowledges_a_new_case(twilio, client, runtime, phone):
    submit_complaint(phone, COMPLAINT)
    feedback = feedback_by_text(runtime, COMPLAINT)
    staff(client, runtime, "awa@ong.ml", "triage")

    shown = act_and_read(client, feedback.reference, "reply", text="Bonjour, une équipe passe demain à 9 h.")
    assert "Reply on its way. The case is now Acknowledged." in shown
    run_worker(runtime.redis)

    (sent,) = twilio.sent
    # The person may have several cases: the text names this one (in French, "REF : ...").
    assert (sent.form["To"], sent.form["Body"]) == (
        phone.number,
        f"{feedback.reference} : Bonjour, une équipe passe demain à 9 h.",
    )
    replied = stored(runtime, feedback.id)
    assert replied.status == "acknowledged" and replied.first_response_at is not None
    trail = events(runtime, feedback.id)
    assert [(e.action, who) for e, who in trail] == [("status_changed", "awa@ong.ml"), ("replied", "awa@ong.ml")]
    with runtime.database() as db:
        message = db.get(Message, trail[1][0].detail["message_id"])
    assert (message.channel, message.lane, message.status) == ("sms", "reply", "queued")
    shown = text_of(page(client, feedback.reference))
    assert "Bonjour, une équipe passe demain à 9 h." in shown and "awa@ong.ml" in shown and "sent" in shown


def test_a_canned_reply_is_prefilled_in_bambara_for_a_bambara_speaker_and_can_be_edited(twilio, client, runtime, phone):
    phone.converse("I ni ce", "2", "1", "1", "1", "2", "Ji tɛ yen")
    feedback = feedback_by_text(runtime, "Ji tɛ yen")
    assert feedback.language == "bm"
    with transaction(runtime.database) as db:
        seed_canned_replies(db)
    with runtime.database() as db:
        received = db.scalar(select(CannedReply).where(CannedReply.title == CANNED_REPLIES[0][0]))
    staff(client, runtime, "awa@ong.ml", "triage")

    form = page(client, feedback.reference, canned=str(received.id))
    textarea = re.search(r'<textarea id="reply-text"[^>]*lang="bm"[^>]*>([^<]*)</textarea>', form.text)
    assert html.unescape(textarea.group(1)) == received.texts["bm"]
    assert set("ɛɔ") <= set(received.texts["bm"])
    # With its reference it is over one UCS-2 SMS (70): SMS_ALPHABET=auto sends it in the older spelling,
    # one GSM-7 SMS, and the counter says so before anyone types.
    draft = to_gsm(f"{feedback.reference}: {received.texts['bm']}")
    count = re.search(r'<p class="muted" id="reply-count"[^>]*>([^<]*)</p>', form.text)
    assert html.unescape(count.group(1)) == f"{len(draft)} characters · 1 SMS · GSM-7"

    edited = received.texts["bm"] + " Sini."
    act_and_read(client, feedback.reference, "reply", text=edited, canned=str(received.id))
    run_worker(runtime.redis)
    (sent,) = twilio.sent
    assert (sent.form["To"], sent.form["Body"]) == (phone.number, to_gsm(f"{feedback.reference}: {edited}"))
    (_, (replied, _)) = events(runtime, feedback.id)
    assert replied.detail["canned_reply_id"] == received.id and replied.detail["language"] == "bm"


def test_a_canned_reply_without_the_persons_language_says_so(client, runtime, phone):
    submit_complaint(phone, COMPLAINT)
    feedback = feedback_by_text(runtime, COMPLAINT)
    with transaction(runtime.database) as db:
        only_bambara = CannedReply(title="Bambara only", texts={"bm": "I ni ce."})
        db.add(only_bambara)
    staff(client, runtime, "awa@ong.ml", "triage")
    shown = text_of(page(client, feedback.reference, canned=str(only_bambara.id)))
    assert "This reply has no Français text" in shown and "I ni ce." in shown


def test_a_reply_to_someone_who_opted_out_is_stored_but_not_sent_and_the_page_says_so(twilio, client, runtime, phone):
    submit_complaint(phone, COMPLAINT)
    phone.send("STOP")
    feedback = feedback_by_text(runtime, COMPLAINT)
    staff(client, runtime, "awa@ong.ml", "triage")

    warning = "This person opted out or refused consent: a reply is stored but not sent."
    assert warning in text_of(page(client, feedback.reference))
    shown = act_and_read(client, feedback.reference, "reply", text="Nous passons demain.")
    assert "The reply is stored but will not be sent: the person opted out or refused consent." in shown
    assert "Nous passons demain. not sent: the person opted out or refused consent" in shown
    run_worker(runtime.redis)
    assert twilio.requests == []
    with runtime.database() as db:
        assert db.scalar(select(Message.status).where(Message.text.endswith("Nous passons demain."))) == "cancelled"


def test_an_empty_or_overlong_reply_is_refused(client, runtime, phone):
    submit_complaint(phone, COMPLAINT)
    feedback = feedback_by_text(runtime, COMPLAINT)
    staff(client, runtime, "awa@ong.ml", "triage")
    assert "The reply is empty." in act_and_read(client, feedback.reference, "reply", text="  ")
    assert "A reply is 480 characters at most" in act_and_read(client, feedback.reference, "reply", text="x" * 481)
    assert events(runtime, feedback.id) == [] and stored(runtime, feedback.id).status == "new"


def test_no_text_message_about_a_confidential_report(twilio, client, runtime, phone):
    report_confidentially(phone)
    report = confidential_report(runtime)
    staff(client, runtime, "fanta@ong.ml", "protection")
    assert f'action="/admin/cases/{report.reference}/reply"' not in page(client, report.reference).text
    shown = act_and_read(client, report.reference, "reply", text="Nous allons vous appeler.")
    assert "No text messages about a confidential report" in shown
    run_worker(runtime.redis)
    assert twilio.sent == [] and changes(runtime, report.id) == []


def test_the_phone_of_someone_who_refused_consent_is_gone(client, runtime, phone, make_phone):
    submit_complaint(phone, COMPLAINT)
    feedback = feedback_by_text(runtime, COMPLAINT)
    with transaction(runtime.database) as db:
        db.execute(update(Contact).values(phone_encrypted=None))
    staff(client, runtime, "awa@ong.ml", "triage")
    shown = text_of(page(client, feedback.reference))
    assert "erased: the person refused consent" in shown and "Show number" not in shown


def test_the_demo_canned_replies_are_seeded_once_in_french_and_bambara(runtime):
    for _ in range(2):
        with transaction(runtime.database) as db:
            seed_canned_replies(db)
    with runtime.database() as db:
        replies = list(db.scalars(select(CannedReply)))
    assert sorted(r.title for r in replies) == sorted(title for title, _ in CANNED_REPLIES)
    assert all(set(r.texts) == {"fr", "bm"} for r in replies)
    assert set("ɛɔɲŋ") <= set("".join(r.texts["bm"] for r in replies))


# --- issue 11: the case page for a week of real work ---------------------------------------------


def section(response, heading: str) -> str:
    found = re.search(rf'<section aria-labelledby="{heading}"[^>]*>.*?</section>', response.text, re.S)
    return fold(found.group(0)) if found else ""


def a_person_with_a_long_history(runtime, feedback_id: int, messages: int = 1000, cases: int = 40) -> None:
    """1,000 messages of a full SMS each, 40 other cases, and 40 long replies about this one."""
    from datetime import timedelta

    from bot.cases import lifecycle
    from bot.cases.lifecycle import Desk
    from bot.models import utcnow

    desk = Desk(runtime.catalogues, runtime.settings, runtime.vault)
    with transaction(runtime.database) as db:
        feedback = db.get(Feedback, feedback_id)
        start = utcnow() - timedelta(days=200)
        db.add_all(
            Message(
                contact_id=feedback.contact_id,
                channel="sms",
                direction="in" if n % 2 else "out",
                status=None if n % 2 else "delivered",
                text=f"Message {n:04d} " + "é" * 146,
                created_at=start + timedelta(minutes=n),
            )
            for n in range(messages)
        )
        db.add_all(
            Feedback(
                reference=f"H{n:05d}",
                kind="complaint",
                language="fr",
                channel="sms",
                contact_id=feedback.contact_id,
                text=f"Autre plainte {n}",
                created_at=start + timedelta(days=n),
            )
            for n in range(cases)
        )
        awa = db.scalar(select(StaffUser).where(StaffUser.email == "awa@ong.ml"))
        for n in range(40):
            lifecycle.reply(db, feedback, awa, f"Réponse {n:02d} " + "x" * 460, desk)


def test_a_case_of_a_person_with_1000_messages_stays_under_100_kb(client, runtime, phone):
    submit_complaint(phone, COMPLAINT)
    feedback = feedback_by_text(runtime, COMPLAINT)
    staff(client, runtime, "awa@ong.ml", "triage")
    a_person_with_a_long_history(runtime, feedback.id)

    response = page(client, feedback.reference)
    weight = len(response.content)
    print(f"\ncase page of a person with 1,000 messages: {weight:,} bytes")
    assert response.status_code == 200 and weight < 100_000
    shown = text_of(response)
    # This case's exchange only, its most recent texts; the other cases as links, never their texts.
    assert "Message 0999" not in shown and "Autre plainte" not in shown
    assert "Réponse 39" in shown and "Réponse 00" not in shown
    assert "Only the most recent messages of this case are shown." in shown
    assert section(response, "h-others").count("Complaint") == 20 and "20 older cases are not listed." in shown
    assert '<a href="/admin/cases/H00039">H00039</a>' in response.text

    # The whole conversation, 50 messages a page, from the most recent back to the first.
    seen, url, pages = [], f"/admin/cases/{feedback.reference}/history", 0
    while url:
        history = client.get(url)
        assert history.status_code == 200 and len(history.content) < 100_000
        seen = re.findall(r"Message (\d{4})", history.text) + seen
        older = re.search(r'href="(/admin/cases/[^"]+/history\?before=\d+)"', history.text)
        url, pages = (older.group(1) if older else None), pages + 1
    assert seen == [f"{n:04d}" for n in range(1000)] and pages == 22  # 1,000 + 14 of the complaint + 40 replies


def test_a_history_page_that_does_not_exist_is_a_clear_400(client, runtime, phone):
    submit_complaint(phone, COMPLAINT)
    feedback = feedback_by_text(runtime, COMPLAINT)
    staff(client, runtime, "awa@ong.ml", "triage")
    for cursor in ("abc", "²", "-1", "999999999"):
        response = client.get(f"/admin/cases/{feedback.reference}/history", params={"before": cursor})
        assert response.status_code == 400, cursor
        assert "This page of the history does not exist" in text_of(response)
    assert client.get("/admin/cases/ZZZZZZ/history").status_code == 404


def test_on_a_phone_the_actions_come_before_the_long_reading(client, runtime, phone):
    submit_complaint(phone, COMPLAINT)
    feedback = feedback_by_text(runtime, COMPLAINT)
    staff(client, runtime, "awa@ong.ml", "triage")
    body = page(client, feedback.reference).text
    order = [
        body.index(f'id="h-{name}"') for name in ("facts", "status", "reply", "assign", "notes", "exchange", "trail")
    ]
    assert order == sorted(order)


def test_the_reply_box_counts_characters_and_sms_parts_with_the_reference(client, runtime, phone):
    submit_complaint(phone, COMPLAINT)
    feedback = feedback_by_text(runtime, COMPLAINT)
    staff(client, runtime, "awa@ong.ml", "triage")
    response = page(client, feedback.reference)

    # Without JavaScript, the server's count of what would go out for an empty reply: "REF : ".
    count = re.search(r'<p class="muted" id="reply-count"[^>]*>([^<]*)</p>', response.text)
    assert html.unescape(count.group(1)) == "9 characters · 1 SMS · GSM-7"
    config = json_of(re.search(r"data-sms='([^']*)'", response.text).group(1))
    assert (config["before"], config["after"], config["sms"]) == (f"{feedback.reference} : ", "", True)
    # The script is a file of our own origin, allowed by the policy; no inline script.
    assert '<script src="/admin/cases/reply-counter.js" defer></script>' in response.text
    assert "script-src 'self'" in response.headers["content-security-policy"]
    script = client.get("/admin/cases/reply-counter.js")
    assert script.status_code == 200 and script.headers["content-type"].startswith("text/javascript")
    assert "reply-count" in script.text

    # A stored reply shows what it cost.
    act_and_read(client, feedback.reference, "reply", text="Une équipe passe demain ; ɛ")
    assert "36 characters · 1 SMS · UCS-2" in section(page(client, feedback.reference), "h-exchange")
    # The box says in which language, and that the reference is added.
    assert (
        f"It goes to the person in their language, Français, starting with the case's reference {feedback.reference}"
        in (text_of(response))
    )


def json_of(attribute: str) -> dict:
    import json

    return json.loads(html.unescape(attribute))


def test_a_canned_reply_with_blanks_is_flagged_and_cannot_be_sent_until_filled(twilio, client, runtime, phone):
    submit_complaint(phone, COMPLAINT)
    feedback = feedback_by_text(runtime, COMPLAINT)
    with transaction(runtime.database) as db:
        seed_canned_replies(db)
        office = db.scalar(select(CannedReply).where(CannedReply.title == "Please come to the site office on ..."))
        office.titles = {"fr": "Passer au bureau du site le ...", "en": "Please come to the site office on ..."}
    staff(client, runtime, "awa@ong.ml", "triage")

    form = page(client, feedback.reference, canned=str(office.id))
    assert re.search(r'<p class="flash error" id="reply-blanks" role="note">', form.text)  # shown, not hidden
    shown = act_and_read(client, feedback.reference, "reply", text=office.texts["fr"], canned=str(office.id))
    assert "Fill in the blanks (...) before sending." in shown
    assert changes(runtime, feedback.id) == []

    filled = "Merci de passer au bureau du site le 4 mai à 9 heures."
    assert "Reply on its way." in act_and_read(client, feedback.reference, "reply", text=filled, canned=str(office.id))
    # Titles in the interface's language: English here, French for a French reader.
    assert ">Please come to the site office on ...</option>" in form.text
    client.cookies.set("lang", "fr")
    assert ">Passer au bureau du site le ...</option>" in page(client, feedback.reference).text


def test_a_closed_case_has_no_reply_box_until_it_is_reopened(client, runtime, phone):
    submit_complaint(phone, COMPLAINT)
    feedback = feedback_by_text(runtime, COMPLAINT)
    staff(client, runtime, "awa@ong.ml", "triage")
    act_and_read(client, feedback.reference, "status", status="resolved", outcome="Vidées.")
    shown = page(client, feedback.reference)
    assert 'id="reply-text"' in shown.text  # a resolved case may still be answered
    act_and_read(client, feedback.reference, "status", status="closed")

    shown = page(client, feedback.reference)
    assert 'id="reply-text"' not in shown.text
    assert "This case is closed: reopen it first to reply." in section(shown, "h-reply")
    assert "This case is closed: reopen it first to reply." in act_and_read(
        client, feedback.reference, "reply", text="Et encore"
    )
    act_and_read(client, feedback.reference, "status", status="in_progress")
    assert 'id="reply-text"' in page(client, feedback.reference).text


def test_the_outcome_box_says_which_language_the_person_is_told_in(client, runtime, phone):
    phone.converse("I ni ce", "2", "1", "1", "1", "2", "Ji tɛ yen")
    feedback = feedback_by_text(runtime, "Ji tɛ yen")
    staff(client, runtime, "awa@ong.ml", "triage")
    shown = section(page(client, feedback.reference), "h-status")
    assert "Sent to the person by text message, in their language (Bamanankan)" in shown


def test_the_deadline_is_on_the_page_and_stands_out_for_a_confidential_report(twilio, client, runtime, phone):
    submit_complaint(phone, COMPLAINT)
    phone.converse("4", "1", THREAT, "1")  # then a confidential report from the same phone
    run_worker(runtime.redis)  # intake fixes each case's response-time targets
    feedback, report = feedback_by_text(runtime, COMPLAINT), confidential_report(runtime)
    staff(client, runtime, "fanta@ong.ml", "protection")

    assert re.search(r"<h1>.*due in \d+ (h|days).*</h1>", page(client, feedback.reference).text, re.S)
    shown = page(client, report.reference).text
    deadline = re.search(r'<p class="flash error" role="note" id="deadline">(.*?)</p>', shown, re.S)
    assert "Confidential report: act before its deadline." in fold(deadline.group(1))
    assert re.search(r"due in \d+ h", fold(deadline.group(1)))


def test_marking_a_duplicate_links_both_pages_and_closes_it_with_the_original(twilio, client, runtime, phone):
    submit_complaint(phone, COMPLAINT)
    submit_complaint(phone, "Les latrines débordent encore")
    original, again = feedback_by_text(runtime, COMPLAINT), feedback_by_text(runtime, "Les latrines débordent encore")
    staff(client, runtime, "awa@ong.ml", "triage")

    assert "A case cannot be a duplicate of itself." in act_and_read(
        client, again.reference, "duplicate", original=again.reference
    )
    shown = act_and_read(client, again.reference, "duplicate", original=original.reference.lower())
    assert f"Marked as a duplicate of {original.reference}." in shown
    assert f"Marked as a duplicate of {original.reference}" in section(page(client, again.reference), "h-trail")
    assert f'<a href="/admin/cases/{original.reference}">' in page(client, again.reference).text
    from_original = page(client, original.reference)
    assert f'<a href="/admin/cases/{again.reference}">' in from_original.text
    assert f"{again.reference} marked as a duplicate of this case" in section(from_original, "h-trail")

    act_and_read(client, original.reference, "status", status="resolved", outcome="Latrines vidées.")
    assert stored(runtime, again.id).status == "closed"
    assert f"Closed with {original.reference}, of which it is a duplicate" in section(
        page(client, again.reference), "h-trail"
    )
    run_worker(runtime.redis)
    assert [sent.form["Body"] for sent in twilio.sent] == [
        f"Votre signalement {original.reference} est résolu : Latrines vidées."
    ]  # told once
