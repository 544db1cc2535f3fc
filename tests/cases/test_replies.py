"""Staff replies (bot.cases.lifecycle.reply): each names its case, none goes out on a closed case, and a canned
reply's blanks must be filled before it can be sent."""

import pytest
from sqlalchemy import select

from bot.cases import lifecycle
from bot.cases.lifecycle import HAS_BLANKS, REOPEN_FIRST, Refused
from bot.models import CaseEvent, Message
from bot.vocabulary import CaseStatus
from tests import domain_support as rows


@pytest.fixture
def awa(db):
    return rows.staff(db, "awa@ong.ml", "triage")


def texts_to(db, feedback) -> list[str]:
    db.flush()
    query = select(Message.text).where(Message.contact_id == feedback.contact_id, Message.direction == "out")
    return list(db.scalars(query.order_by(Message.id)))


@pytest.mark.parametrize(
    ("language", "sent"), [("fr", "{ref} : Nous passons demain."), ("bm", "{ref}: Nous passons demain.")]
)
def test_every_reply_starts_with_its_cases_reference_in_the_persons_language(db, vault, awa, desk, language, sent):
    person = rows.person(db, vault, language=language)
    cases = [rows.case(db, person, "Pas d'eau", language=language) for _ in range(3)]  # a person may have several
    lifecycle.reply(db, cases[1], awa, "Nous passons demain.", desk)
    assert texts_to(db, cases[1]) == [sent.format(ref=cases[1].reference)]


def test_a_line_break_from_a_browser_costs_one_character_not_two(db, vault, awa, desk):
    feedback = rows.case(db, rows.person(db, vault))
    lifecycle.reply(db, feedback, awa, "Bonjour,\r\nnous passons.", desk)
    assert texts_to(db, feedback) == [f"{feedback.reference} : Bonjour,\nnous passons."]


def test_no_reply_on_a_closed_case_until_it_is_reopened(db, vault, awa, desk):
    feedback = rows.case(db, rows.person(db, vault), status=CaseStatus.CLOSED)
    with pytest.raises(Refused) as refused:
        lifecycle.reply(db, feedback, awa, "Encore une chose.", desk)
    assert (
        refused.value.message == REOPEN_FIRST
        and refused.value.text() == "This case is closed: reopen it first to reply."
    )
    assert texts_to(db, feedback) == [] and db.scalar(select(CaseEvent.id)) is None

    lifecycle.change_status(db, feedback, awa, CaseStatus.IN_PROGRESS, desk=desk)
    lifecycle.reply(db, feedback, awa, "Encore une chose.", desk)
    assert texts_to(db, feedback) == [f"{feedback.reference} : Encore une chose."]


def test_a_resolved_case_may_still_be_answered(db, vault, awa, desk):
    feedback = rows.case(db, rows.person(db, vault), status=CaseStatus.RESOLVED)
    lifecycle.reply(db, feedback, awa, "Merci de votre retour.", desk)
    assert feedback.status == CaseStatus.RESOLVED and len(texts_to(db, feedback)) == 1


@pytest.mark.parametrize(
    ("text", "canned", "left"),
    [
        ("Merci de passer au bureau le ... à ... heures.", True, "..."),
        ("Merci de passer au bureau le … à 9 heures.", True, "…"),
        ("Merci de passer au bureau le {date}.", True, "{date}"),
        ("Merci de passer au bureau le {date}.", False, "{date}"),
    ],
    ids=["dots", "ellipsis", "placeholder", "placeholder typed"],
)
def test_a_reply_with_blanks_left_is_refused_and_nothing_is_sent(db, vault, awa, desk, text, canned, left):
    feedback = rows.case(db, rows.person(db, vault))
    with pytest.raises(Refused) as refused:
        lifecycle.reply(db, feedback, awa, text, desk, canned_reply_id=3 if canned else None)
    assert refused.value.message == HAS_BLANKS
    assert refused.value.text() == f"Fill in the blanks ({left}) before sending."
    assert texts_to(db, feedback) == [] and feedback.status == CaseStatus.NEW


def test_a_writers_own_ellipsis_is_not_a_blank_and_a_filled_canned_reply_goes(db, vault, awa, desk):
    feedback = rows.case(db, rows.person(db, vault))
    lifecycle.reply(db, feedback, awa, "Nous regardons... merci.", desk)
    lifecycle.reply(db, feedback, awa, "Merci de passer au bureau le 4 mai à 9 heures.", desk, canned_reply_id=3)
    assert len(texts_to(db, feedback)) == 2


def test_blanks_are_listed_in_order():
    assert lifecycle.blanks("le ... à {heure}, {lieu}…", canned=True) == ["...", "{heure}", "{lieu}", "…"]
    assert lifecycle.blanks("le ... à {heure}", canned=False) == ["{heure}"]
