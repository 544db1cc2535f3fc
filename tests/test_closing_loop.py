"""Closing the loop: staff resolve a case with what was done, the person is told in their language on
the channel they used, and their own follow-up (5 in the menu) then quotes it.

Expected texts come from the catalogues (`fill`), never hard-coded: the `loop` and `status` texts
are translated into French and Bambara later, and these specifications hold before and after.
"""

import pytest
from sqlalchemy import func, select

from bot.actions.status_texts import STATUS, STATUS_WITH_OUTCOME
from bot.cases.sealed import outcome_of
from bot.engine.texts import WAY_BACK
from bot.models import Feedback, Message, StaffUser
from bot.notices import RESOLVED
from bot.outbound.gsm7 import prepare
from tests.admin.test_case_page import act_and_read, events, page, report_confidentially, staff, stored, text_of
from tests.admin_support import feedback_by_text, make_staff, submit_complaint
from tests.channels.ussd_aggregator import Aggregator
from tests.conftest import run_worker
from tests.test_whatsapp import WhatsApp

COMPLAINT = "Les latrines débordent"
DONE = "Les latrines ont été vidées jeudi."
DONE_BM = "Ɲɛgɛnw saniyara kunu sɔgɔma."


def closing(runtime, lang: str, reference: str, outcome: str, channel: str = "sms") -> str:
    alphabet = {"sms": runtime.settings.sms_alphabet, "whatsapp": runtime.settings.whatsapp_alphabet}[channel]
    return prepare(runtime.catalogues.fill(lang, RESOLVED, {"reference": reference, "outcome": outcome}), alphabet)


def follow_up_line(runtime, lang: str, reference: str, status) -> str:
    """The follow-up's answer as the catalogues write it: "Reference K7MP3X: <status>", then the way back."""
    prompt = runtime.conversations.flows.state("followup", "status").prompt
    filled = runtime.catalogues.fill(lang, prompt, {"reference": reference, "status": status})
    return f"{filled}\n{runtime.catalogues.text(lang, WAY_BACK)}"


def with_outcome(runtime, lang: str, status: str, outcome: str) -> str:
    return runtime.catalogues.fill(lang, STATUS_WITH_OUTCOME[status], {"outcome": outcome})


def follow_up(person) -> str:
    """The person asks about their most recent reference: 5, then the first of their references."""
    person.send("5")
    return person.send("1")


def resolve(client, reference: str, outcome: str) -> str:
    return act_and_read(client, reference, "status", status="resolved", outcome=outcome)


def test_resolving_tells_the_person_what_was_done_and_their_follow_up_quotes_it(twilio, client, runtime, phone):
    submit_complaint(phone, COMPLAINT)
    feedback = feedback_by_text(runtime, COMPLAINT)
    staff(client, runtime, "awa@ong.ml", "triage")
    act_and_read(client, feedback.reference, "status", status="in_progress")

    shown = resolve(client, feedback.reference, DONE)
    assert "Status changed to Resolved. The person is told what was done by text message." in shown
    run_worker(runtime.redis)

    (sent,) = twilio.sent
    assert sent.form["To"] == phone.number
    assert sent.form["Body"] == closing(runtime, "fr", feedback.reference, DONE)
    assert DONE in sent.form["Body"] and feedback.reference in sent.form["Body"]
    resolved = stored(runtime, feedback.id)
    assert (resolved.status, resolved.outcome) == ("resolved", DONE) and resolved.resolved_at is not None
    (_, (event, who)) = events(runtime, feedback.id)
    assert (event.action, who, event.detail["to"]) == ("status_changed", "awa@ong.ml", "resolved")
    assert event.detail["outcome"] == DONE
    with runtime.database() as db:
        message = db.get(Message, event.detail["message_id"])
    assert (message.channel, message.lane, message.status, message.provider_id) == ("sms", "reply", "queued", sent.sid)

    answer = follow_up(phone)
    assert answer == follow_up_line(runtime, "fr", feedback.reference, with_outcome(runtime, "fr", "resolved", DONE))
    assert DONE in answer

    shown = text_of(page(client, feedback.reference))
    assert "What was done: " + DONE in shown and "the person was told by text message" in shown


def test_a_bambara_speaker_is_told_in_bambara_and_closing_keeps_the_outcome(twilio, client, runtime, phone):
    phone.converse("I ni ce", "2", "1", "1", "1", "2", "Ji tɛ yen")
    feedback = feedback_by_text(runtime, "Ji tɛ yen")
    staff(client, runtime, "awa@ong.ml", "triage")

    resolve(client, feedback.reference, DONE_BM)
    run_worker(runtime.redis)
    (sent,) = twilio.sent
    assert sent.form["Body"] == closing(runtime, "bm", feedback.reference, DONE_BM)
    assert DONE_BM in sent.form["Body"]  # the staff's Bambara, letters and all, on a unicode line

    act_and_read(client, feedback.reference, "status", status="closed")
    assert stored(runtime, feedback.id).status == "closed"
    answer = follow_up(phone)
    assert answer == follow_up_line(runtime, "bm", feedback.reference, with_outcome(runtime, "bm", "closed", DONE_BM))
    assert len(twilio.sent) == 1  # closing sends nothing more


def test_on_a_gsm_line_the_closing_message_is_folded_to_gsm_7(twilio, client, runtime, phone, monkeypatch):
    phone.converse("I ni ce", "2", "1", "1", "1", "2", "Ji tɛ yen")
    feedback = feedback_by_text(runtime, "Ji tɛ yen")
    staff(client, runtime, "awa@ong.ml", "triage")
    monkeypatch.setattr(client.app.state.runtime.settings, "sms_alphabet", "gsm")

    resolve(client, feedback.reference, DONE_BM)
    run_worker(runtime.redis)
    (sent,) = twilio.sent
    body = sent.form["Body"]
    written = runtime.catalogues.fill("bm", RESOLVED, {"reference": feedback.reference, "outcome": DONE_BM})
    assert body == prepare(written, "gsm")
    assert "Nyègènw saniyara kunu sògòma." in body and not set("ɛɔɲŋƐƆƝŊ") & set(body)


def test_reopening_a_resolved_case_and_resolving_it_again(twilio, client, runtime, phone):
    submit_complaint(phone, COMPLAINT)
    feedback = feedback_by_text(runtime, COMPLAINT)
    staff(client, runtime, "awa@ong.ml", "triage")
    resolve(client, feedback.reference, DONE)

    shown = act_and_read(client, feedback.reference, "status", status="in_progress")
    assert "Case reopened: In progress." in shown and "Reopened: Resolved → In progress" in shown
    reopened = stored(runtime, feedback.id)
    assert (reopened.status, reopened.outcome, reopened.resolved_at) == ("in_progress", None, None)
    assert follow_up(phone) == follow_up_line(runtime, "fr", feedback.reference, STATUS["in_progress"])

    resolve(client, feedback.reference, "Les latrines ont été réparées.")
    act_and_read(client, feedback.reference, "status", status="closed")
    shown = act_and_read(client, feedback.reference, "status", status="in_progress")
    assert "Reopened: Closed → In progress" in shown
    run_worker(runtime.redis)
    assert [s.form["Body"] for s in twilio.sent] == [
        closing(runtime, "fr", feedback.reference, DONE),
        closing(runtime, "fr", feedback.reference, "Les latrines ont été réparées."),
    ]
    assert [e.action for e, _ in events(runtime, feedback.id)] == [
        "status_changed", "reopened", "status_changed", "status_changed", "reopened",
    ]


def test_a_whatsapp_user_is_told_on_whatsapp(twilio, client, runtime, make_phone):
    awa = WhatsApp(make_phone, "+22370000071")
    awa.converse("Bonjour", "1", "1", "1", "1", "2", COMPLAINT)
    feedback = feedback_by_text(runtime, COMPLAINT)
    assert feedback.channel == "whatsapp"
    staff(client, runtime, "awa@ong.ml", "triage")

    resolve(client, feedback.reference, DONE)
    run_worker(runtime.redis)
    (sent,) = twilio.sent
    assert sent.form["To"] == "whatsapp:+22370000071" and sent.form["From"] == "whatsapp:+22320000001"
    assert sent.form["Body"] == closing(runtime, "fr", feedback.reference, DONE, channel="whatsapp")


def test_a_ussd_user_is_told_by_sms(twilio, client, runtime):
    session = Aggregator(client, phone="+22370000072")
    session.dial()
    session.presses("1", "1", "1", "1", "2", COMPLAINT)
    feedback = feedback_by_text(runtime, COMPLAINT)
    assert feedback.channel == "ussd"
    run_worker(runtime.redis)
    confirmations = len(twilio.sent)  # the reference, sent by SMS when the USSD session ended
    staff(client, runtime, "awa@ong.ml", "triage")
    assert "They wrote by USSD, which cannot be reached from here: the reply goes by SMS." in text_of(
        page(client, feedback.reference)
    )

    resolve(client, feedback.reference, DONE)
    run_worker(runtime.redis)
    sent = twilio.sent[confirmations:]
    assert [(s.form["To"], s.form["From"], s.form["Body"]) for s in sent] == [
        ("+22370000072", "+22320000000", closing(runtime, "fr", feedback.reference, DONE))
    ]


def test_someone_who_opted_out_is_not_texted_when_their_case_is_resolved(twilio, client, runtime, phone):
    submit_complaint(phone, COMPLAINT)
    phone.send("STOP")
    feedback = feedback_by_text(runtime, COMPLAINT)
    staff(client, runtime, "awa@ong.ml", "triage")
    resolve(client, feedback.reference, DONE)
    run_worker(runtime.redis)
    assert twilio.requests == []
    with runtime.database() as db:
        (event,) = [e for e, _ in events(runtime, feedback.id)]
        assert db.get(Message, event.detail["message_id"]).status == "cancelled"


def test_a_confidential_report_is_resolved_without_a_text_message_or_its_outcome_on_the_phone(
    twilio, client, runtime, phone
):
    report_confidentially(phone)
    with runtime.database() as db:
        report = db.scalar(select(Feedback).where(Feedback.confidential))
    staff(client, runtime, "fanta@ong.ml", "protection")
    assert "not sent by text message, for the person's safety" in text_of(page(client, report.reference))

    shown = resolve(client, report.reference, "Orientée vers la clinique partenaire.")
    assert "No text message for a confidential report: tell the person by a call" in shown
    run_worker(runtime.redis)
    assert twilio.sent == []
    kept = stored(runtime, report.id)
    assert outcome_of(kept, runtime.vault) == "Orientée vers la clinique partenaire."
    assert kept.outcome is None  # kept only encrypted, as confidential as the report
    # Whoever holds the phone may ask: the reference is not listed, and typed, it says resolved, never what was done.
    assert report.reference not in phone.send("5")
    assert phone.send(report.reference) == follow_up_line(runtime, "fr", report.reference, STATUS["resolved"])


def test_an_outcome_is_quoted_only_for_the_persons_own_reference(twilio, client, runtime, phone, make_phone):
    submit_complaint(phone, COMPLAINT)
    feedback = feedback_by_text(runtime, COMPLAINT)
    staff(client, runtime, "awa@ong.ml", "triage")
    resolve(client, feedback.reference, DONE)
    other = make_phone("+22370000073")
    other.converse("Bonjour", "1", "1", "5")
    answer = other.send(feedback.reference)
    assert DONE not in answer and "{" not in answer


def test_every_change_and_the_outcome_are_refused_without_csrf(client, runtime, phone):
    submit_complaint(phone, COMPLAINT)
    feedback = feedback_by_text(runtime, COMPLAINT)
    staff(client, runtime, "awa@ong.ml", "triage")
    page(client, feedback.reference)
    url = f"/admin/cases/{feedback.reference}/status"
    response = client.post(url, data={"status": "resolved", "outcome": DONE}, follow_redirects=False)
    assert response.status_code == 403
    assert stored(runtime, feedback.id).status == "new"
    with runtime.database() as db:
        assert db.scalar(select(Message.id).where(Message.status == "pending")) is None


def test_two_staff_resolving_at_once_text_the_person_once(twilio, runtime, phone):
    """Both loaded the case before either saved: the second is refused, and nothing is sent twice."""
    from bot.cases.lifecycle import Desk, Refused, change_status

    submit_complaint(phone, COMPLAINT)
    awa, moussa = (make_staff(runtime, email, "triage") for email in ("awa@ong.ml", "moussa@ong.ml"))
    desk = Desk(runtime.catalogues, runtime.settings, runtime.vault)
    with runtime.database() as first, runtime.database() as second:
        mine = first.scalar(select(Feedback))
        theirs = second.scalar(select(Feedback))
        sends = change_status(first, mine, first.get(StaffUser, awa), "resolved", DONE, desk=desk)
        first.commit()
        with pytest.raises(Refused, match="Someone else changed this case meanwhile"):
            change_status(second, theirs, second.get(StaffUser, moussa), "resolved", "Autre chose", desk=desk)
        second.rollback()
    assert len(sends) == 1
    with runtime.database() as db:
        assert db.scalar(select(func.count()).select_from(Message).where(Message.status == "pending")) == 1
        assert db.scalar(select(Feedback.outcome)) == DONE
