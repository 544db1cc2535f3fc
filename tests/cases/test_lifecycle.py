"""The life of a case (bot.cases.lifecycle): its statuses, the steps staff may take, and every staff action.

Each action changes the case and writes its CaseEvent (who, what), and a refused one raises `Refused`
with a message staff read, leaving the case and its trail as they were. What is texted to the person
is stored as a pending outbound message, in their language, on the channel that reaches them, in that
channel's alphabet; never about a confidential report.
"""

import threading

import pytest
from sqlalchemy import select

from bot.cases import lifecycle
from bot.cases.lifecycle import (
    MAX_TAGS,
    NO_TEXTS_WHEN_CONFIDENTIAL,
    OUTCOME_MAX_CHARS,
    REPLY_MAX_CHARS,
    TRANSITIONS,
    Desk,
    Refused,
)
from bot.cases.sealed import outcome_of, unseal
from bot.db import transaction
from bot.models import CaseEvent, CaseNote, Feedback, Message, StaffUser, utcnow
from bot.notices import RESOLVED
from bot.outbound.gsm7 import prepare
from bot.vault import Vault
from bot.vocabulary import CATEGORIES, CaseStatus, Category, Kind
from tests import domain_support as rows

DONE = "Les latrines ont été vidées jeudi."
DONE_BM = "Ɲɛgɛnw saniyara kunu sɔgɔma."


@pytest.fixture
def awa(db) -> StaffUser:
    return rows.staff(db, "awa@ong.ml", "triage")


@pytest.fixture
def awa_case(db, vault) -> Feedback:
    """A French speaker's complaint at Niamana, sent by SMS."""
    return rows.case(db, rows.person(db, vault), "Les latrines débordent")


def _opened(event: CaseEvent, vault: Vault | None) -> dict | None:
    return unseal(vault, event.detail, event.detail_encrypted) if vault else event.detail


def trail(db, feedback: Feedback, vault: Vault | None = None) -> list[tuple[str, str, dict | None]]:
    """The case's audit trail: (action, who, detail), oldest first; a confidential report's opened with `vault`."""
    db.flush()
    return [
        (event.action, event.actor.email, _opened(event, vault))
        for event in db.scalars(
            select(CaseEvent).where(CaseEvent.feedback_id == feedback.id).order_by(CaseEvent.id)
        )
    ]


def texts_to(db, feedback: Feedback) -> list[Message]:
    """What was stored to send to the case's author."""
    db.flush()
    return list(
        db.scalars(
            select(Message)
            .where(Message.contact_id == feedback.contact_id, Message.direction == "out")
            .order_by(Message.id)
        )
    )


def closing_text(desk: Desk, lang: str, feedback: Feedback, outcome: str, alphabet: str = "unicode") -> str:
    text = desk.catalogues.fill(lang, RESOLVED, {"reference": feedback.reference, "outcome": outcome})
    return prepare(text, alphabet)


# --- statuses ------------------------------------------------------------------------------------


@pytest.mark.parametrize("old", list(TRANSITIONS), ids=str)
def test_every_allowed_step_moves_the_case_and_is_written_in_its_trail(db, vault, awa, desk, old):
    for new in TRANSITIONS[old]:
        feedback = rows.case(db, rows.person(db, vault), status=old)

        lifecycle.change_status(db, feedback, awa, new, outcome=DONE, desk=desk)

        db.flush()
        db.expire(feedback)  # read back what was stored
        assert feedback.status == new
        ((action, who, detail),) = trail(db, feedback)
        assert who == "awa@ong.ml"
        assert (detail["from"], detail["to"]) == (old, new)
        reopened = old in (CaseStatus.RESOLVED, CaseStatus.CLOSED) and new == CaseStatus.IN_PROGRESS
        assert action == ("reopened" if reopened else "status_changed")


@pytest.mark.parametrize("old", list(TRANSITIONS), ids=str)
def test_every_other_step_is_refused_and_leaves_the_case_as_it_was(db, awa, awa_case, desk, old):
    awa_case.status = old
    db.flush()
    refused_steps = [new for new in CaseStatus if new != old and new not in TRANSITIONS[old]]
    assert refused_steps  # from every status, some step is refused

    for new in refused_steps:
        with pytest.raises(Refused) as refused:
            lifecycle.change_status(db, awa_case, awa, new, outcome=DONE, desk=desk)

        assert refused.value.text() == f"A case cannot go from “{CaseStatus(old).label}” to “{CaseStatus(new).label}”."
        assert refused.value.labels == ("old", "new")  # status names, translated with the message
        db.expire(awa_case)
        assert awa_case.status == old
    assert trail(db, awa_case) == [] and texts_to(db, awa_case) == []


def test_a_case_is_closed_only_once_it_is_resolved(db, awa, awa_case, desk):
    for status in (CaseStatus.NEW, CaseStatus.ACKNOWLEDGED, CaseStatus.IN_PROGRESS, CaseStatus.REFERRED):
        assert CaseStatus.CLOSED not in lifecycle.next_steps(rows.case(db, awa_case.contact, status=status))
    lifecycle.change_status(db, awa_case, awa, "resolved", outcome=DONE, desk=desk)
    lifecycle.change_status(db, awa_case, awa, "closed", desk=desk)
    assert awa_case.status == CaseStatus.CLOSED and lifecycle.next_steps(awa_case) == (CaseStatus.IN_PROGRESS,)


def test_moving_a_case_to_its_own_status_or_to_an_unknown_one_is_refused(db, awa, awa_case, desk):
    with pytest.raises(Refused) as same:
        lifecycle.change_status(db, awa_case, awa, "new", desk=desk)
    assert same.value.text() == "The case is already “New”."
    with pytest.raises(Refused) as unknown:
        lifecycle.change_status(db, awa_case, awa, "archived", desk=desk)
    assert unknown.value.text() == "Unknown status “archived”."
    assert unknown.value.labels == ()  # not a status name: shown as typed
    assert trail(db, awa_case) == []


def test_a_refusal_translates_the_status_names_with_the_message(db, awa, awa_case, desk):
    french = {"A case cannot go from “%(old)s” to “%(new)s”.": "Pas de « %(old)s » à « %(new)s ».", "New": "Nouveau"}
    with pytest.raises(Refused) as refused:
        lifecycle.change_status(db, awa_case, awa, "closed", desk=desk)
    assert refused.value.text(lambda message: french.get(message, message)) == "Pas de « Nouveau » à « Closed »."


def test_the_first_step_a_case_takes_marks_when_the_person_was_first_answered(db, awa, awa_case, desk):
    assert awa_case.first_response_at is None
    lifecycle.change_status(db, awa_case, awa, "acknowledged", desk=desk)
    answered = awa_case.first_response_at
    assert answered is not None and awa_case.updated_at == answered
    lifecycle.change_status(db, awa_case, awa, "in_progress", desk=desk)
    assert awa_case.first_response_at == answered and awa_case.updated_at >= answered


# --- resolving -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("outcome", "message"),
    [
        (None, "To resolve a case, say what was done: the person is told."),
        ("   ", "To resolve a case, say what was done: the person is told."),
        ("x" * (OUTCOME_MAX_CHARS + 1), "What was done must fit in 160 characters (it is an SMS); it has 161."),
    ],
    ids=["no outcome", "blank outcome", "161 characters"],
)
def test_resolving_needs_what_was_done_in_one_sms(db, awa, awa_case, desk, outcome, message):
    with pytest.raises(Refused) as refused:
        lifecycle.change_status(db, awa_case, awa, "resolved", outcome=outcome, desk=desk)
    assert refused.value.text() == message
    assert awa_case.status == CaseStatus.NEW and awa_case.outcome is None
    assert trail(db, awa_case) == [] and texts_to(db, awa_case) == []


def test_an_outcome_of_exactly_160_characters_is_texted_whole_and_trimmed(db, awa, awa_case, desk):
    outcome = "y" * OUTCOME_MAX_CHARS
    lifecycle.change_status(db, awa_case, awa, "resolved", outcome=f"  {outcome}\n", desk=desk)
    assert awa_case.outcome == outcome
    (sent,) = texts_to(db, awa_case)
    assert sent.text == closing_text(desk, "fr", awa_case, outcome)


def test_resolving_texts_the_person_what_was_done_and_the_trail_says_which_message(db, awa, awa_case, desk):
    sends = lifecycle.change_status(db, awa_case, awa, "resolved", outcome=DONE, desk=desk)

    (sent,) = texts_to(db, awa_case)
    assert sends == [(sent.id, "reply")]
    assert sent.text == closing_text(desk, "fr", awa_case, DONE)
    assert awa_case.reference in sent.text and DONE in sent.text
    assert (sent.channel, sent.status, sent.lane) == ("sms", "pending", "reply")
    assert (awa_case.outcome, awa_case.resolved_at is not None) == (DONE, True)
    ((action, who, detail),) = trail(db, awa_case)
    assert (action, who) == ("status_changed", "awa@ong.ml")
    assert detail == {"from": "new", "to": "resolved", "outcome": DONE, "message_id": sent.id, "language": "fr"}


@pytest.mark.parametrize(
    ("case_language", "person_language", "told_in"),
    [
        ("bm", "fr", "bm"),  # the language the report was made in, though the person changed since
        ("", "bm", "bm"),  # else the person's current one
        ("ff", "ff", "fr"),  # else the line's first language
    ],
    ids=["the case's language", "the person's language", "the default language"],
)
def test_the_closing_text_is_in_the_persons_language(db, vault, awa, desk, case_language, person_language, told_in):
    feedback = rows.case(db, rows.person(db, vault, language=person_language), "Ji tɛ yen", language=case_language)
    lifecycle.change_status(db, feedback, awa, "resolved", outcome=DONE_BM, desk=desk)
    (sent,) = texts_to(db, feedback)
    assert sent.text == closing_text(desk, told_in, feedback, DONE_BM)
    assert trail(db, feedback)[0][2]["language"] == told_in


def test_a_case_in_a_language_the_line_no_longer_speaks_is_answered_in_the_persons_current_one(
    db, vault, awa, desk
):
    feedback = rows.case(db, rows.person(db, vault, language="bm"), "Ji tɛ yen", language="ff")
    lifecycle.change_status(db, feedback, awa, "resolved", outcome=DONE_BM, desk=desk)
    (sent,) = texts_to(db, feedback)
    assert sent.text == closing_text(desk, "bm", feedback, DONE_BM)


@pytest.mark.parametrize(
    ("channel", "sent_on"), [("sms", "sms"), ("whatsapp", "whatsapp"), ("ussd", "sms"), ("fax", "sms")]
)
def test_the_closing_text_goes_out_on_the_channel_that_reaches_the_person(db, vault, awa, desk, channel, sent_on):
    feedback = rows.case(db, rows.person(db, vault), "Pas d'eau", channel=channel)
    lifecycle.change_status(db, feedback, awa, "resolved", outcome=DONE, desk=desk)
    (sent,) = texts_to(db, feedback)
    assert sent.channel == sent_on


@pytest.fixture
def gsm_sms_line(reconfigure):
    """An SMS line that writes in GSM-7 (Bambara in its older spelling); WhatsApp and USSD stay in Unicode."""
    reconfigure(SMS_ALPHABET="gsm")


@pytest.mark.parametrize(("channel", "alphabet"), [("sms", "gsm"), ("ussd", "gsm"), ("whatsapp", "unicode")])
def test_the_closing_text_is_written_in_the_alphabet_of_the_channel_it_goes_out_on(
    gsm_sms_line, runtime, db, vault, awa, desk, channel, alphabet
):
    assert runtime.settings.sms_alphabet == "gsm"
    feedback = rows.case(db, rows.person(db, vault, language="bm"), "Ji tɛ yen", channel=channel, language="bm")
    lifecycle.change_status(db, feedback, awa, "resolved", outcome=DONE_BM, desk=desk)
    (sent,) = texts_to(db, feedback)
    assert sent.text == closing_text(desk, "bm", feedback, DONE_BM, alphabet)
    folded = not set("ɛɔɲŋƐƆƝŊ") & set(sent.text)
    assert folded is (alphabet == "gsm")
    if folded:
        assert "Nyègènw saniyara kunu sògòma." in sent.text
    assert feedback.outcome == DONE_BM  # the case keeps what staff wrote


def test_a_confidential_report_is_resolved_without_any_text_to_its_author(db, vault, desk):
    protection = rows.staff(db, "mariam@ong.ml", "protection")
    report = rows.case(db, rows.person(db, vault), "On me menace", kind="confidential", vault=vault)

    sends = lifecycle.change_status(db, report, protection, "resolved", outcome="Appelée et orientée.", desk=desk)

    assert sends == [] and texts_to(db, report) == []
    ((action, _, detail),) = trail(db, report, vault)
    assert action == "status_changed"
    assert detail == {"from": "new", "to": "resolved", "outcome": "Appelée et orientée."}
    assert outcome_of(report, vault) == "Appelée et orientée."
    # What was done is as confidential as the report: kept only encrypted, on the case and in its trail.
    assert report.outcome is None and "orientée" not in report.outcome_encrypted
    assert trail(db, report) == [("status_changed", "mariam@ong.ml", None)]


@pytest.mark.parametrize("done", [CaseStatus.RESOLVED, CaseStatus.CLOSED])
def test_reopening_forgets_the_outcome_on_the_case_but_the_trail_keeps_it(db, awa, awa_case, desk, done):
    lifecycle.change_status(db, awa_case, awa, "resolved", outcome=DONE, desk=desk)
    if done == CaseStatus.CLOSED:
        lifecycle.change_status(db, awa_case, awa, "closed", desk=desk)

    lifecycle.change_status(db, awa_case, awa, "in_progress", desk=desk)

    assert (awa_case.status, awa_case.outcome, awa_case.resolved_at) == ("in_progress", None, None)
    events = trail(db, awa_case)
    assert events[0][2]["outcome"] == DONE
    assert events[-1] == ("reopened", "awa@ong.ml", {"from": done, "to": "in_progress"})
    assert len(texts_to(db, awa_case)) == 1  # reopening or closing texts nothing


def test_of_two_staff_resolving_a_case_at_once_one_wins_and_the_person_is_told_once(runtime, vault, desk):
    with transaction(runtime.database) as db:
        rows.staff(db, "awa@ong.ml", "triage")
        rows.staff(db, "issa@ong.ml", "triage")
        feedback_id = rows.case(db, rows.person(db, vault)).id

    with runtime.database() as late:
        issa = late.scalars(select(StaffUser).where(StaffUser.email == "issa@ong.ml")).one()
        seen_by_issa = late.get(Feedback, feedback_id)  # Issa opened the page while it was new
        assert seen_by_issa.status == "new"
        with transaction(runtime.database) as first:
            awa = first.scalars(select(StaffUser).where(StaffUser.email == "awa@ong.ml")).one()
            lifecycle.change_status(first, first.get(Feedback, feedback_id), awa, "resolved", DONE, desk=desk)
        with pytest.raises(Refused) as refused:
            lifecycle.change_status(late, seen_by_issa, issa, "resolved", "Réparé.", desk=desk)
        late.rollback()
    assert refused.value.text() == "Someone else changed this case meanwhile: look at it again."

    with runtime.database() as db:
        feedback = db.get(Feedback, feedback_id)
        assert (feedback.status, feedback.outcome) == ("resolved", DONE)
        assert [message.text for message in texts_to(db, feedback)] == [closing_text(desk, "fr", feedback, DONE)]
        assert [(action, who) for action, who, _ in trail(db, feedback)] == [("status_changed", "awa@ong.ml")]


def test_two_staff_resolving_in_parallel_threads_send_one_closing_text(runtime, vault, desk):
    with transaction(runtime.database) as db:
        staff_ids = [rows.staff(db, f"{name}@ong.ml", "triage").id for name in ("awa", "issa", "oumar", "fanta")]
        feedback_id = rows.case(db, rows.person(db, vault)).id
    start, outcomes = threading.Barrier(len(staff_ids)), []

    def resolve(staff_id: int) -> None:
        with runtime.database() as db:
            feedback, actor = db.get(Feedback, feedback_id), db.get(StaffUser, staff_id)
            start.wait()
            try:
                lifecycle.change_status(db, feedback, actor, "resolved", f"Fait par {actor.email}", desk=desk)
                db.commit()
                outcomes.append("won")
            except Refused:
                db.rollback()
                outcomes.append("refused")

    threads = [threading.Thread(target=resolve, args=(staff_id,)) for staff_id in staff_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["refused"] * (len(staff_ids) - 1) + ["won"]
    with runtime.database() as db:
        feedback = db.get(Feedback, feedback_id)
        (sent,) = texts_to(db, feedback)
        assert feedback.outcome in sent.text
        assert len(trail(db, feedback)) == 1


# --- assigning -----------------------------------------------------------------------------------


def test_assigning_gives_the_case_to_someone_and_the_trail_says_from_whom_to_whom(db, awa, awa_case, desk):
    issa = rows.staff(db, "issa@ong.ml", "triage")

    assert lifecycle.assign(db, awa_case, awa, issa, desk=desk) is True
    assert lifecycle.assign(db, awa_case, awa, awa, desk=desk) is True
    assert lifecycle.assign(db, awa_case, awa, None, desk=desk) is True

    assert awa_case.assignee_id is None
    assert trail(db, awa_case) == [
        ("assigned", "awa@ong.ml", {"from": None, "from_id": None, "to": "issa@ong.ml", "to_id": issa.id}),
        ("assigned", "awa@ong.ml", {"from": "issa@ong.ml", "from_id": issa.id, "to": "awa@ong.ml", "to_id": awa.id}),
        ("assigned", "awa@ong.ml", {"from": "awa@ong.ml", "from_id": awa.id, "to": None, "to_id": None}),
    ]


def test_assigning_a_case_to_whoever_already_has_it_changes_nothing(db, awa, awa_case, desk):
    lifecycle.assign(db, awa_case, awa, awa, desk=desk)
    assert lifecycle.assign(db, awa_case, awa, awa, desk=desk) is False
    assert len(trail(db, awa_case)) == 1
    unassigned = rows.case(db, awa_case.contact)
    assert lifecycle.assign(db, unassigned, awa, None, desk=desk) is False
    assert trail(db, unassigned) == []


@pytest.mark.parametrize(
    ("role", "sites", "active", "kind"),
    [
        ("organizer", (), True, "complaint"),
        ("triage", (), False, "complaint"),
        ("triage", ("gao",), True, "complaint"),
        ("triage", (), True, "confidential"),
    ],
    ids=["an organizer", "a disabled account", "triage of another site", "triage, for a confidential report"],
)
def test_a_case_is_assigned_only_to_someone_who_may_see_it(db, vault, awa, role, sites, active, kind, desk):
    feedback = rows.case(db, rows.person(db, vault), "Texte", kind=kind, site_slug="niamana", vault=vault)
    other = rows.staff(db, "other@ong.ml", role, sites, active=active)
    with pytest.raises(Refused) as refused:
        lifecycle.assign(db, feedback, awa, other, desk=desk)
    assert refused.value.text() == "other@ong.ml cannot see this case, so it cannot be assigned to them."
    assert feedback.assignee_id is None and trail(db, feedback) == []


def test_a_confidential_report_is_assigned_to_protection_staff(db, vault, awa, desk):
    report = rows.case(db, rows.person(db, vault), "On me menace", kind="confidential", vault=vault)
    mariam = rows.staff(db, "mariam@ong.ml", "protection")
    assert lifecycle.assign(db, report, mariam, mariam, desk=desk) is True
    assert report.assignee.email == "mariam@ong.ml"


# --- coding --------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", [*CATEGORIES, Kind.ASSEMBLY], ids=str)
def test_a_case_is_coded_only_with_its_kinds_categories(db, vault, awa, kind, desk):
    """An assembly sign-up has none to choose: its category is its place or waiting-list status."""
    feedback = rows.case(db, rows.person(db, vault), "Texte", kind=kind, vault=vault)
    for category in Category:
        before = feedback.category
        if category in CATEGORIES.get(kind, ()):
            assert lifecycle.code(db, feedback, awa, category=category, desk=desk) == {"category": [before, category]}
            assert feedback.category == category
        else:
            with pytest.raises(Refused) as refused:
                lifecycle.code(db, feedback, awa, category=category, desk=desk)
            assert refused.value.text() == f"“{category}” is not a category for this kind of case."
            assert feedback.category == before
    coded = [detail["category"][1] for _, _, detail in trail(db, feedback, vault)]
    assert coded == [category for category in Category if category in CATEGORIES.get(kind, ())]


def test_a_complaint_becomes_a_need_and_back_keeping_a_category_both_share(db, awa, awa_case, desk):
    awa_case.category = Category.WATER_SANITATION
    assert lifecycle.code(db, awa_case, awa, kind="need", desk=desk) == {"kind": ["complaint", "need"]}
    assert lifecycle.code(db, awa_case, awa, kind="complaint", category="food", desk=desk) == {
        "kind": ["need", "complaint"],
        "category": ["water_sanitation", "food"],
    }
    assert [(action, detail) for action, _, detail in trail(db, awa_case)] == [
        ("coded", {"kind": ["complaint", "need"]}),
        ("coded", {"kind": ["need", "complaint"], "category": ["water_sanitation", "food"]}),
    ]


def test_a_need_about_work_becomes_a_complaint_only_with_a_new_category(db, vault, awa, desk):
    need = rows.case(db, rows.person(db, vault), "Pas de travail", kind="need", category="livelihoods")
    with pytest.raises(Refused) as refused:
        lifecycle.code(db, need, awa, kind="complaint", desk=desk)
    assert refused.value.text() == "Choose a category for the new kind."
    assert (need.kind, need.category) == ("need", "livelihoods")
    assert lifecycle.code(db, need, awa, kind="complaint", category="other", desk=desk)["kind"] == ["need", "complaint"]


@pytest.mark.parametrize(
    ("kind", "new_kind"),
    [("confidential", "complaint"), ("assembly", "need"), ("complaint", "confidential"), ("need", "assembly")],
)
def test_confidential_reports_and_assembly_sign_ups_keep_their_kind(db, vault, awa, kind, new_kind, desk):
    feedback = rows.case(db, rows.person(db, vault), "Texte", kind=kind, vault=vault, category="other")
    with pytest.raises(Refused) as refused:
        lifecycle.code(db, feedback, awa, kind=new_kind, category="other", desk=desk)
    assert refused.value.text() == "This case's kind cannot be changed."
    assert feedback.kind == kind and trail(db, feedback) == []


def test_a_case_moves_to_another_site_but_an_assembly_sign_up_stays_at_its_assemblys(db, vault, awa, awa_case, desk):
    gao = rows.site(db, "gao")
    assert lifecycle.code(db, awa_case, awa, site=gao, desk=desk) == {"site": ["niamana", "gao"]}
    assert awa_case.site.slug == "gao"

    signup = rows.case(db, awa_case.contact, "Assemblée", kind="assembly", category="confirmed")
    with pytest.raises(Refused) as refused:
        lifecycle.code(db, signup, awa, site=gao, desk=desk)
    assert refused.value.text() == "An assembly sign-up belongs to its assembly's site."
    assert signup.site.slug == "niamana"


def test_tags_are_trimmed_folded_and_kept_once_in_their_first_spelling(db, awa, awa_case, desk):
    changes = lifecycle.code(db, awa_case, awa, tags=" Latrines ,latrines,  point   d'eau ,, Urgent,URGENT ", desk=desk)
    assert changes == {"tags": [[], ["Latrines", "point d'eau", "Urgent"]]}
    assert awa_case.tags == ["Latrines", "point d'eau", "Urgent"]
    same = lifecycle.code(db, awa_case, awa, tags=["Latrines", " point d'eau", "Urgent"], desk=desk)
    assert same == {}  # the same tags
    respelled = lifecycle.code(db, awa_case, awa, tags="latrines, Point d'eau, Urgent", desk=desk)
    assert respelled == {"tags": [["Latrines", "point d'eau", "Urgent"], ["latrines", "Point d'eau", "Urgent"]]}
    emptied = lifecycle.code(db, awa_case, awa, tags="", desk=desk)
    assert emptied == {"tags": [["latrines", "Point d'eau", "Urgent"], []]}
    assert awa_case.tags is None
    assert [action for action, _, _ in trail(db, awa_case)] == ["coded", "coded", "coded"]


def test_a_tag_is_40_characters_at_most_and_a_case_has_20_tags_at_most(db, awa, awa_case, desk):
    with pytest.raises(Refused) as long_tag:
        lifecycle.code(db, awa_case, awa, tags=["ok", "t" * 41], desk=desk)
    assert long_tag.value.text() == f"A tag is 40 characters at most: “{'t' * 41}”."
    with pytest.raises(Refused) as many:
        lifecycle.code(db, awa_case, awa, tags=[f"tag {n}" for n in range(MAX_TAGS + 1)], desk=desk)
    assert many.value.text() == "20 tags at most."
    assert awa_case.tags is None and trail(db, awa_case) == []
    twenty = lifecycle.code(db, awa_case, awa, tags=["t" * 40, *(f"tag {n}" for n in range(19))], desk=desk)
    assert len(twenty["tags"][1]) == 20


def test_coding_what_is_already_there_writes_nothing(db, awa, awa_case, desk):
    awa_case.category = "health"
    site = awa_case.site
    assert lifecycle.code(db, awa_case, awa, kind="complaint", category="health", site=site, tags=[], desk=desk) == {}
    assert lifecycle.code(db, awa_case, awa, desk=desk) == {}
    assert trail(db, awa_case) == [] and awa_case.updated_at is None


# --- notes ---------------------------------------------------------------------------------------


def test_a_note_is_for_staff_only_and_is_in_the_trail(db, awa, awa_case, desk):
    note = lifecycle.add_note(db, awa_case, awa, "  Appelé le chef de site.  ", desk=desk)
    assert (note.text, note.author_id, note.feedback_id) == ("Appelé le chef de site.", awa.id, awa_case.id)
    assert trail(db, awa_case) == [("note_added", "awa@ong.ml", {"note_id": note.id})]
    assert texts_to(db, awa_case) == []
    assert awa_case.status == CaseStatus.NEW and awa_case.first_response_at is None  # a note answers nobody


@pytest.mark.parametrize(
    ("text", "message"),
    [("  ", "The note is empty."), ("n" * 4001, "A note is 4000 characters at most; this one has 4001.")],
    ids=["empty", "4001 characters"],
)
def test_an_empty_or_overlong_note_is_refused(db, awa, awa_case, text, message, desk):
    with pytest.raises(Refused) as refused:
        lifecycle.add_note(db, awa_case, awa, text, desk=desk)
    assert refused.value.text() == message
    assert db.scalars(select(CaseNote)).all() == [] and trail(db, awa_case) == []


# --- replies -------------------------------------------------------------------------------------


def test_replying_to_a_new_case_acknowledges_it_and_texts_the_person(db, awa, awa_case, desk):
    sends = lifecycle.reply(db, awa_case, awa, "Nous passons demain.", desk, canned_reply_id=7)

    (sent,) = texts_to(db, awa_case)
    assert sends == [(sent.id, "reply")]
    text = f"{awa_case.reference} : Nous passons demain."  # naming the case, in French
    assert (sent.text, sent.channel, sent.status, sent.lane) == (text, "sms", "pending", "reply")
    assert awa_case.status == CaseStatus.ACKNOWLEDGED and awa_case.first_response_at is not None
    assert trail(db, awa_case) == [
        ("status_changed", "awa@ong.ml", {"from": "new", "to": "acknowledged"}),
        ("replied", "awa@ong.ml", {"message_id": sent.id, "channel": "sms", "language": "fr", "canned_reply_id": 7}),
    ]


def test_replying_to_a_case_in_progress_leaves_its_status(db, awa, awa_case, desk):
    awa_case.status = CaseStatus.IN_PROGRESS
    lifecycle.reply(db, awa_case, awa, "Encore un peu de patience.", desk)
    assert awa_case.status == CaseStatus.IN_PROGRESS
    ((action, _, detail),) = trail(db, awa_case)
    assert action == "replied" and "canned_reply_id" not in detail


def test_a_reply_to_an_opted_out_person_is_still_stored_for_the_send_job_to_cancel(db, vault, awa, desk):
    feedback = rows.case(db, rows.person(db, vault, opted_out_at=utcnow()))
    lifecycle.reply(db, feedback, awa, "Bonjour", desk)
    (sent,) = texts_to(db, feedback)
    assert sent.status == "pending"


def test_a_reply_by_whatsapp_and_one_after_a_ussd_session(db, vault, awa, desk):
    whatsapp = rows.case(db, rows.person(db, vault, "+22370000002"), channel="whatsapp")
    ussd = rows.case(db, rows.person(db, vault, "+22370000003"), channel="ussd")
    lifecycle.reply(db, whatsapp, awa, "Bonjour", desk)
    lifecycle.reply(db, ussd, awa, "Bonjour", desk)
    assert [m.channel for m in texts_to(db, whatsapp)] == ["whatsapp"]
    assert [m.channel for m in texts_to(db, ussd)] == ["sms"]
    assert trail(db, ussd)[-1][2]["channel"] == "sms"


def test_a_reply_in_bambara_on_a_gsm_sms_line_is_folded(gsm_sms_line, runtime, db, vault, awa, desk):
    feedback = rows.case(db, rows.person(db, vault, language="bm"), "Ji tɛ yen", language="bm")
    lifecycle.reply(db, feedback, awa, "An bɛ ka a lajɛ.", desk)
    assert [m.text for m in texts_to(db, feedback)] == [f"{feedback.reference}: An bè ka a lajè."]
    assert trail(db, feedback)[-1][2]["language"] == "bm"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "The reply is empty."),
        ("r" * (REPLY_MAX_CHARS + 1), "A reply is 480 characters at most (it is an SMS); this one has 481."),
    ],
    ids=["empty", "481 characters"],
)
def test_an_empty_or_overlong_reply_is_refused_and_the_case_stays_new(db, awa, awa_case, desk, text, message):
    with pytest.raises(Refused) as refused:
        lifecycle.reply(db, awa_case, awa, text, desk)
    assert refused.value.text() == message
    assert awa_case.status == CaseStatus.NEW and trail(db, awa_case) == [] and texts_to(db, awa_case) == []


def test_a_confidential_report_is_never_texted_about(db, vault, desk):
    mariam = rows.staff(db, "mariam@ong.ml", "protection")
    report = rows.case(db, rows.person(db, vault), "On me menace", kind="confidential", vault=vault)
    with pytest.raises(Refused) as refused:
        lifecycle.reply(db, report, mariam, "Nous allons vous appeler.", desk)
    assert refused.value.message == NO_TEXTS_WHEN_CONFIDENTIAL
    assert refused.value.text().startswith("No text messages about a confidential report")
    assert report.status == CaseStatus.NEW and trail(db, report) == [] and texts_to(db, report) == []


# --- revealing a number --------------------------------------------------------------------------


def test_revealing_a_number_gives_it_whole_and_the_trail_says_who_saw_it(db, awa, awa_case, vault, desk):
    assert lifecycle.reveal_phone(db, awa_case, awa, desk) == rows.PHONE
    assert lifecycle.reveal_phone(db, awa_case, awa, desk) == rows.PHONE
    assert trail(db, awa_case) == [("phone_revealed", "awa@ong.ml", None)] * 2


@pytest.mark.parametrize(
    ("role", "kind", "callback"),
    [
        ("organizer", "complaint", None),
        ("triage", "confidential", "this_number"),
        ("admin", "confidential", "this_number"),
        ("protection", "confidential", "no"),
    ],
    ids=["an organizer", "triage, a confidential report", "an admin, a report", "protection, told not to call"],
)
def test_a_number_is_not_revealed_to_whoever_may_not_call(db, vault, role, kind, callback, desk):
    feedback = rows.case(db, rows.person(db, vault), "Texte", kind=kind, vault=vault, callback=callback)
    someone = rows.staff(db, "someone@ong.ml", role)
    with pytest.raises(PermissionError):
        lifecycle.reveal_phone(db, feedback, someone, desk)
    assert trail(db, feedback) == []


def test_protection_calls_back_the_author_of_a_report_who_said_they_may(db, vault, desk):
    mariam = rows.staff(db, "mariam@ong.ml", "protection")
    report = rows.case(db, rows.person(db, vault), "On me menace", kind="confidential", vault=vault,
                       callback="this_number")
    assert lifecycle.reveal_phone(db, report, mariam, desk) == rows.PHONE
    assert trail(db, report) == [("phone_revealed", "mariam@ong.ml", None)]


def test_the_number_of_someone_who_refused_consent_is_gone(db, vault, awa, desk):
    feedback = rows.case(db, rows.person(db, vault, phone_encrypted=None, consent="refused"))
    with pytest.raises(Refused) as refused:
        lifecycle.reveal_phone(db, feedback, awa, desk)
    assert refused.value.text() == "The number was erased: the person refused consent."
    assert trail(db, feedback) == []
