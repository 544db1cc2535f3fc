"""One case as its page shows it (bot.cases.view): its own exchange, the person's other cases as links, their
whole history page by page, what only protection reads, who may take it.

A confidential conversation is left out, message by message, for whoever may not read confidential
reports, and decrypted for those who may. An outgoing message that will never go out (the person
opted out or refused consent) says so; a staff reply or closing text names who sent it. A canned
reply missing in the person's language falls back to another and says it must be rewritten.
"""

from datetime import timedelta

import pytest

from bot.cases import lifecycle
from bot.cases.view import HISTORY_PAGE, HISTORY_PAGE_CHARS, OtherCases, canned_text, canned_title, case_view, history
from bot.models import CannedReply, Message, utcnow
from bot.vocabulary import CaseStatus, Direction, MessageStatus
from tests import domain_support as rows

SECOND = timedelta(seconds=1)


@pytest.fixture
def story(db, vault):
    """Awa writes about the latrines, then starts a confidential report in the same conversation."""
    person = rows.person(db, vault)
    start = utcnow() - timedelta(hours=1)

    def said(text, minutes, direction=Direction.IN, confidential=False, **fields):
        return rows.message(
            db,
            person,
            text,
            direction=direction,
            vault=vault,
            confidential=confidential,
            created_at=start + timedelta(minutes=minutes),
            **fields,
        )

    said("Bonjour", 0)
    said("Menu", 0.5, Direction.OUT, status=MessageStatus.REPLIED)
    opening = said("Les latrines débordent", 1)
    said("Merci, référence K7MP3X", 1.5, Direction.OUT, status=MessageStatus.REPLIED, in_reply_to_id=opening.id)
    said("4", 2, confidential=True)
    said("Mon voisin me frappe la nuit", 3, confidential=True)
    said("Votre signalement est reçu", 3.5, Direction.OUT, confidential=True, status=MessageStatus.REPLIED)
    complaint = rows.case(db, person, "Les latrines débordent", message_id=opening.id, created_at=start)
    report = rows.case(
        db,
        person,
        "Mon voisin me frappe la nuit",
        kind="confidential",
        vault=vault,
        callback="other",
        callback_details_encrypted=vault.encrypt("Le soir, au numéro de ma sœur"),
    )
    return complaint, report


def lines(found) -> list[tuple[str, str]]:
    return [("in" if line.incoming else "out", line.text) for line in found.lines]


def test_the_case_shows_its_own_exchange_not_the_menus_before_it(db, vault, story):
    complaint, _ = story
    awa = rows.staff(db, "awa@ong.ml", "triage")

    view = case_view(db, awa, complaint, vault)

    assert lines(view.exchange) == [("in", "Les latrines débordent"), ("out", "Merci, référence K7MP3X")]
    assert [line.this_case for line in view.exchange.lines] == [True, False]
    assert view.confidential is None and view.exchange.more is False


def test_triage_reads_the_whole_history_without_a_trace_of_the_confidential_report(db, vault, story):
    complaint, _ = story
    awa = rows.staff(db, "awa@ong.ml", "triage")

    page = history(db, awa, complaint, vault)

    assert lines(page) == [
        ("in", "Bonjour"),
        ("out", "Menu"),
        ("in", "Les latrines débordent"),
        ("out", "Merci, référence K7MP3X"),
    ]
    assert page.older is None
    assert case_view(db, awa, complaint, vault).others == OtherCases([], 0)  # not even a link to the report


@pytest.mark.parametrize("role", ["protection", "admin"])
def test_protection_reads_the_whole_history_decrypted_and_the_report_as_a_link(db, vault, story, role):
    complaint, report = story
    someone = rows.staff(db, "someone@ong.ml", role)

    assert lines(history(db, someone, complaint, vault))[4:] == [
        ("in", "4"),
        ("in", "Mon voisin me frappe la nuit"),
        ("out", "Votre signalement est reçu"),
    ]
    (link,) = case_view(db, someone, complaint, vault).others.links
    assert (link.reference, link.kind, link.status, link.url) == (
        report.reference,
        "confidential",
        "new",
        f"/admin/cases/{report.reference}",
    )


def test_protection_reads_a_confidential_report_and_how_to_call_back(db, vault, story):
    _, report = story
    mariam = rows.staff(db, "mariam@ong.ml", "protection")

    view = case_view(db, mariam, report, vault)

    assert view.confidential.text == "Mon voisin me frappe la nuit"
    assert (view.confidential.callback, view.confidential.callback_details) == (
        "other",
        "Le soir, au numéro de ma sœur",
    )
    assert (view.phone, view.may_reveal) == (rows.PHONE, True)
    assert [member.email for member in view.assignees] == ["mariam@ong.ml"]  # triage may not take it


def test_an_admin_reads_a_confidential_report_but_does_not_reveal_the_number(db, vault, story):
    _, report = story
    admin = rows.staff(db, "admin@ong.ml", "admin")
    rows.staff(db, "awa@ong.ml", "triage")
    view = case_view(db, admin, report, vault)
    assert view.confidential.text == "Mon voisin me frappe la nuit"
    assert view.may_reveal is False
    assert [member.email for member in view.assignees] == ["admin@ong.ml"]


def test_the_page_offers_the_next_steps_the_desk_and_the_active_sites(db, vault, story):
    complaint, _ = story
    awa = rows.staff(db, "awa@ong.ml", "triage", ("niamana", "senou"))
    rows.staff(db, "issa@ong.ml", "triage")
    rows.staff(db, "gao@ong.ml", "triage", ("gao",))
    rows.staff(db, "organizer@ong.ml", "organizer")
    rows.site(db, "senou").active = False
    complaint.status = CaseStatus.REFERRED

    view = case_view(db, awa, complaint, vault)

    assert view.steps == (CaseStatus.IN_PROGRESS, CaseStatus.RESOLVED)
    assert [member.email for member in view.assignees] == ["awa@ong.ml", "issa@ong.ml"]
    assert [site.slug for site in view.sites] == ["niamana"]
    assert view.site_names["senou"] == "Sénou"
    assert (view.phone, view.may_reveal) == (rows.PHONE, True)


def test_a_reply_and_a_closing_text_name_the_staff_member_who_sent_them(db, vault, story, desk):
    complaint, _ = story
    awa = rows.staff(db, "awa@ong.ml", "triage")
    issa = rows.staff(db, "issa@ong.ml", "triage")
    lifecycle.reply(db, complaint, awa, "Nous passons demain.", desk)
    lifecycle.change_status(db, complaint, issa, "resolved", outcome="Vidées jeudi.", desk=desk)
    lifecycle.add_note(db, complaint, issa, "Vu avec le chef de site.", desk=desk)

    view = case_view(db, awa, complaint, vault)

    sent = [(line.text, line.by, line.status) for line in view.exchange.lines if not line.incoming]
    assert sent[0] == ("Merci, référence K7MP3X", None, "replied")
    assert sent[1] == (f"{complaint.reference} : Nous passons demain.", "awa@ong.ml", "pending")
    assert sent[2][1:] == ("issa@ong.ml", "pending") and "Vidées jeudi." in sent[2][0]
    # What each text costs as an SMS, as it was stored (and so sent).
    assert [(line.cost.parts, line.cost.encoding) for line in view.exchange.lines[1:]] == [(1, "GSM-7")] * 3
    assert [note.text for note in view.notes] == ["Vu avec le chef de site."]
    assert [(event.action, event.actor) for event in view.events] == [
        ("status_changed", "awa@ong.ml"),
        ("replied", "awa@ong.ml"),
        ("status_changed", "issa@ong.ml"),
        ("note_added", "issa@ong.ml"),
    ]


@pytest.mark.parametrize(
    "gone", [{"opted_out_at": utcnow()}, {"phone_encrypted": None, "consent": "refused"}], ids=["opted out", "refused"]
)
def test_a_text_that_will_never_reach_someone_who_opted_out_or_refused_is_marked_unreachable(db, vault, gone):
    person = rows.person(db, vault, **gone)
    complaint = rows.case(db, person)
    for status in MessageStatus:
        rows.message(db, person, f"Texte {status}", direction=Direction.OUT, status=status)
    rows.message(db, person, "Bonjour")
    awa = rows.staff(db, "awa@ong.ml", "triage")

    view = case_view(db, awa, complaint, vault)

    unreachable = {line.text for line in history(db, awa, complaint, vault).lines if line.unreachable}
    assert unreachable == {"Texte pending", "Texte claimed", "Texte retry", "Texte cancelled"}
    assert view.may_reveal is ("phone_encrypted" not in gone)


def test_nothing_is_unreachable_for_someone_who_still_receives_texts(db, vault):
    person = rows.person(db, vault)
    complaint = rows.case(db, person)
    rows.message(db, person, "Bientôt", direction=Direction.OUT, status=MessageStatus.PENDING, error_code=None)
    rows.message(db, person, "Échec", direction=Direction.OUT, status=MessageStatus.FAILED, error_code="30003")
    page = history(db, rows.staff(db, "awa@ong.ml", "triage"), complaint, vault)
    assert [(line.text, line.unreachable, line.error) for line in page.lines] == [
        ("Bientôt", False, None),
        ("Échec", False, "30003"),
    ]


def test_a_long_history_is_read_fifty_messages_a_page_from_the_most_recent(db, vault):
    person = rows.person(db, vault)
    complaint = rows.case(db, person)
    start = utcnow() - timedelta(days=1)
    db.add_all(
        Message(contact_id=person.id, channel="sms", direction="in", text=f"m{n}", created_at=start + n * SECOND)
        for n in range(2 * HISTORY_PAGE + 20)
    )
    # Two messages at the same instant: the cursor still splits them by id, losing neither.
    db.add(Message(contact_id=person.id, channel="sms", direction="in", text="m69b", created_at=start + 69 * SECOND))
    db.flush()
    awa = rows.staff(db, "awa@ong.ml", "triage")

    pages = [history(db, awa, complaint, vault)]
    while pages[-1].older is not None:
        pages.append(history(db, awa, complaint, vault, before=pages[-1].older))

    assert [len(page.lines) for page in pages] == [50, 50, 21]
    read = [line.text for page in reversed(pages) for line in page.lines]
    assert read == [f"m{n}" for n in range(70)] + ["m69b"] + [f"m{n}" for n in range(70, 120)]
    assert case_view(db, awa, complaint, vault).exchange.lines == []  # none of them is about this case


def test_long_texts_make_shorter_history_pages_and_none_is_lost(db, vault):
    person = rows.person(db, vault)
    complaint = rows.case(db, person)
    start = utcnow() - timedelta(days=1)
    # WhatsApp texts of 4,000 characters: fifty of them would make a page of 200 KB.
    db.add_all(
        Message(
            contact_id=person.id,
            channel="whatsapp",
            direction="in",
            text=f"{n:03d}" + "x" * 3997,
            created_at=start + n * SECOND,
        )
        for n in range(30)
    )
    db.flush()
    awa = rows.staff(db, "awa@ong.ml", "triage")

    pages = [history(db, awa, complaint, vault)]
    while pages[-1].older is not None:
        pages.append(history(db, awa, complaint, vault, before=pages[-1].older))

    assert all(sum(len(line.text) for line in page.lines) <= HISTORY_PAGE_CHARS for page in pages)
    assert [line.text[:3] for page in reversed(pages) for line in page.lines] == [f"{n:03d}" for n in range(30)]


def test_a_cursor_that_is_not_one_of_the_persons_messages_gives_no_page(db, vault):
    complaint = rows.case(db, rows.person(db, vault))
    stranger = rows.message(db, rows.person(db, vault, "+22370000009"), "Autre personne")
    awa = rows.staff(db, "awa@ong.ml", "triage")
    assert history(db, awa, complaint, vault, before=stranger.id) is None
    assert history(db, awa, complaint, vault, before=10**9) is None


def test_a_message_with_pictures_counts_them_and_a_redacted_one_says_so(db, vault):
    person = rows.person(db, vault)
    complaint = rows.case(db, person)
    rows.message(db, person, "Voici", media=["https://media/1", "https://media/2"])
    rows.message(db, person, None, redacted=True)
    page = history(db, rows.staff(db, "awa@ong.ml", "triage"), complaint, vault)
    assert [(line.text, line.media, line.redacted) for line in page.lines] == [
        ("Voici", 2, False),
        ("", 0, True),
    ]


# --- canned replies ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("texts", "lang", "expected"),
    [
        ({"fr": "Nous passons.", "bm": "An bɛ na."}, "bm", ("An bɛ na.", False)),
        ({"fr": "Nous passons.", "bm": ""}, "bm", ("Nous passons.", True)),
        ({"fr": "Nous passons."}, "ff", ("Nous passons.", True)),
        ({"bm": "An bɛ na."}, "ff", ("An bɛ na.", True)),  # not even in the default language: any
        ({}, "bm", ("", True)),
    ],
    ids=["in their language", "empty in theirs", "missing in theirs", "only another", "none at all"],
)
def test_a_canned_reply_is_in_the_persons_language_or_says_it_must_be_rewritten(texts, lang, expected):
    assert canned_text(CannedReply(title="Passage", texts=texts), lang, "fr") == expected


def test_the_page_offers_the_canned_replies_by_title(db, vault):
    db.add_all([CannedReply(title="Passage", texts={"fr": "x"}), CannedReply(title="Accusé", texts={"fr": "y"})])
    complaint = rows.case(db, rows.person(db, vault))
    view = case_view(db, rows.staff(db, "awa@ong.ml", "triage"), complaint, vault)
    assert [reply.title for reply in view.canned_replies] == ["Accusé", "Passage"]


def test_a_reply_about_another_case_is_only_in_the_history_and_still_names_who_sent_it(db, vault, desk):
    person = rows.person(db, vault)
    latrines, water = rows.case(db, person, "Les latrines débordent"), rows.case(db, person, "Pas d'eau")
    awa = rows.staff(db, "awa@ong.ml", "triage")
    lifecycle.reply(db, latrines, awa, "Nous passons demain.", desk)

    assert case_view(db, awa, water, vault).exchange.lines == []
    assert [(line.text, line.by) for line in history(db, awa, water, vault).lines] == [
        (f"{latrines.reference} : Nous passons demain.", "awa@ong.ml")
    ]


def test_the_persons_other_cases_are_links_the_reader_may_open_newest_first(db, vault):
    person = rows.person(db, vault)
    now = utcnow()
    here = rows.case(db, person, "Ici", site_slug="niamana", created_at=now - timedelta(days=3))
    older = rows.case(db, person, "Avant", site_slug="niamana", created_at=now - timedelta(days=2), kind="need")
    newer = rows.case(db, person, "Après", site_slug="niamana", created_at=now - timedelta(days=1))
    rows.case(db, person, "À Gao", site_slug="gao")
    rows.case(db, person, "On me menace", kind="confidential", vault=vault)
    rows.case(db, rows.person(db, vault, "+22370000009"), "Quelqu'un d'autre", site_slug="niamana")
    niamana_only = rows.staff(db, "awa@ong.ml", "triage", ("niamana",))

    others = case_view(db, niamana_only, here, vault).others

    assert [(link.reference, link.kind) for link in others.links] == [
        (newer.reference, "complaint"),
        (older.reference, "need"),
    ]
    assert others.total == 2
    assert case_view(db, rows.staff(db, "admin@ong.ml", "admin"), here, vault).others.total == 4


def test_the_case_shows_when_its_next_step_is_due(db, vault):
    complaint = rows.case(db, rows.person(db, vault), due_at=utcnow() - timedelta(hours=5, minutes=10))
    due = case_view(db, rows.staff(db, "awa@ong.ml", "triage"), complaint, vault).due
    assert (due.overdue, due.hours) == (True, 5)


def test_a_canned_reply_is_titled_in_the_interfaces_language_else_by_its_own_title():
    reply = CannedReply(title="Passage", titles={"fr": "Visite"}, texts={})
    assert (canned_title(reply, "fr"), canned_title(reply, "en")) == ("Visite", "Passage")
    assert canned_title(CannedReply(title="Passage", titles=None, texts={}), "fr") == "Passage"
