"""Duplicates (bot.cases.duplicates): marked by reference among the cases one may see, linked both ways, closed
with their original, and the same person told once."""

import pytest
from sqlalchemy import select

from bot.cases import duplicates, lifecycle
from bot.cases.lifecycle import Refused
from bot.cases.sealed import unseal
from bot.cases.view import case_view
from bot.models import CaseEvent, Message
from bot.vocabulary import CaseStatus
from tests import domain_support as rows


@pytest.fixture
def awa(db):
    return rows.staff(db, "awa@ong.ml", "triage", ("niamana",))


@pytest.fixture
def person(db, vault):
    return rows.person(db, vault)


def trail(db, vault, feedback) -> list[tuple[str, dict | None]]:
    db.flush()
    events = db.scalars(select(CaseEvent).where(CaseEvent.feedback_id == feedback.id).order_by(CaseEvent.id))
    return [(event.action, unseal(vault, event.detail, event.detail_encrypted)) for event in events]


def texts_to(db, contact) -> list[str]:
    db.flush()
    query = select(Message.text).where(Message.contact_id == contact.id, Message.direction == "out")
    return list(db.scalars(query.order_by(Message.id)))


def test_a_duplicate_is_linked_both_ways_and_in_both_trails(db, vault, awa, person, desk):
    original, again = rows.case(db, person, "Pas d'eau"), rows.case(db, person, "Toujours pas d'eau")

    assert duplicates.mark(db, again, awa, original.reference.lower(), desk) == []

    assert again.duplicate_of_id == original.id
    view, seen_from_original = case_view(db, awa, again, vault), case_view(db, awa, original, vault)
    assert view.duplicate_of.reference == original.reference
    assert [link.reference for link in seen_from_original.duplicates] == [again.reference]
    assert trail(db, vault, again) == [("marked_duplicate", {"of": original.reference, "was": None})]
    assert trail(db, vault, original) == [("duplicate_added", {"duplicate": again.reference})]


def test_resolving_the_original_closes_its_duplicate_and_tells_the_same_person_once(db, vault, awa, person, desk):
    original, again = rows.case(db, person, "Pas d'eau"), rows.case(db, person, "Toujours pas d'eau")
    duplicates.mark(db, again, awa, original.reference, desk)

    sends = lifecycle.change_status(db, original, awa, "resolved", outcome="Pompe réparée.", desk=desk)

    assert (original.status, again.status) == (CaseStatus.RESOLVED, CaseStatus.CLOSED)
    assert len(sends) == 1 and texts_to(db, person) == [
        f"Votre signalement {original.reference} est résolu : Pompe réparée."
    ]
    assert trail(db, vault, again)[-1] == (
        "status_changed",
        {"from": "new", "to": "closed", "duplicate_of": original.reference},
    )
    # Closing the original afterwards sends nothing more.
    assert lifecycle.change_status(db, original, awa, "closed", desk=desk) == []
    assert len(texts_to(db, person)) == 1


def test_someone_else_who_reported_the_same_thing_is_told_under_their_own_reference(db, vault, awa, person, desk):
    neighbour = rows.person(db, vault, "+22370000002")
    original = rows.case(db, person, "La pompe est cassée")
    theirs = rows.case(db, neighbour, "La pompe ne marche plus")
    duplicates.mark(db, theirs, awa, original.reference, desk)

    sends = lifecycle.change_status(db, original, awa, "resolved", outcome="Pompe réparée.", desk=desk)

    assert len(sends) == 2 and theirs.status == CaseStatus.CLOSED
    (told,) = texts_to(db, neighbour)
    assert theirs.reference in told and "Pompe réparée." in told and original.reference not in told


def test_someone_who_reads_another_language_is_never_sent_an_outcome_written_in_this_one(db, vault, awa, person, desk):
    neighbour = rows.person(db, vault, "+22370000002", language="bm")
    original = rows.case(db, person, "La pompe est cassée")
    theirs = rows.case(db, neighbour, "Pɔmpi tiɲɛna", language="bm")
    duplicates.mark(db, theirs, awa, original.reference, desk)

    sends = lifecycle.change_status(db, original, awa, "resolved", outcome="Pompe réparée.", desk=desk)

    assert len(sends) == 1 and theirs.status == CaseStatus.CLOSED
    assert texts_to(db, neighbour) == []


def test_a_case_marked_as_a_duplicate_of_one_already_done_is_closed_at_once(db, vault, awa, person, desk):
    original = rows.case(db, person, "Pas d'eau")
    lifecycle.change_status(db, original, awa, "resolved", outcome="Pompe réparée.", desk=desk)
    again = rows.case(db, person, "Toujours pas d'eau")
    assert duplicates.mark(db, again, awa, original.reference, desk) == []
    assert again.status == CaseStatus.CLOSED and len(texts_to(db, person)) == 1


def test_a_chain_of_duplicates_closes_together(db, vault, awa, person, desk):
    first, second, third = (rows.case(db, person, text) for text in ("Un", "Deux", "Trois"))
    duplicates.mark(db, second, awa, first.reference, desk)
    duplicates.mark(db, third, awa, second.reference, desk)
    lifecycle.change_status(db, first, awa, "resolved", outcome="Fait.", desk=desk)
    assert (second.status, third.status) == (CaseStatus.CLOSED, CaseStatus.CLOSED)


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("itself", "A case cannot be a duplicate of itself."),
        ("loop", "{loop} is itself a duplicate of this case: mark that one instead."),
        ("ZZZZZZ", "No case “ZZZZZZ” that you may see."),
        ("gao", "No case “{gao}” that you may see."),
        ("confidential", "No case “{confidential}” that you may see."),
        ("again", "This case is already marked as a duplicate of {again}."),
    ],
)
def test_a_duplicate_is_only_of_another_case_one_may_see_and_never_a_loop(
    db, vault, awa, person, desk, target, message
):
    case = rows.case(db, person, "Pas d'eau")
    other = {
        "loop": rows.case(db, person, "Encore"),
        "gao": rows.case(db, person, "À Gao", site_slug="gao"),
        "confidential": rows.case(db, person, "On me menace", kind="confidential", vault=vault),
        "again": rows.case(db, person, "Déjà"),
    }
    duplicates.mark(db, other["loop"], awa, case.reference, desk)
    if target == "again":
        duplicates.mark(db, case, awa, other["again"].reference, desk)
    references = {name: found.reference for name, found in other.items()}
    given = {"itself": case.reference, "ZZZZZZ": "ZZZZZZ"}.get(target) or references[target]
    before = trail(db, vault, case)

    with pytest.raises(Refused) as refused:
        duplicates.mark(db, case, awa, given, desk)

    assert refused.value.text() == message.format(**references)
    assert trail(db, vault, case) == before


def test_a_duplicate_is_not_hinted_at_to_whoever_may_not_see_it(db, vault, person, desk):
    mariam = rows.staff(db, "mariam@ong.ml", "protection")
    awa = rows.staff(db, "awa@ong.ml", "triage")
    complaint = rows.case(db, person, "Le gardien crie")
    report = rows.case(db, person, "Le gardien me menace", kind="confidential", vault=vault)
    duplicates.mark(db, report, mariam, complaint.reference, desk)

    assert case_view(db, awa, complaint, vault).duplicates == []
    assert [link.reference for link in case_view(db, mariam, complaint, vault).duplicates] == [report.reference]
    assert trail(db, vault, complaint) == []  # its trail does not name the report either
    with pytest.raises(Refused) as refused:  # nor the other way round, where the complaint's trail would
        duplicates.mark(db, rows.case(db, person, "Encore le gardien"), mariam, report.reference, desk)
    assert refused.value.text().startswith("A case others may read cannot repeat a confidential report")


def test_unmarking_keeps_the_case_as_it_is_and_says_so_in_both_trails(db, vault, awa, person, desk):
    original, again = rows.case(db, person, "Pas d'eau"), rows.case(db, person, "Toujours pas d'eau")
    duplicates.mark(db, again, awa, original.reference, desk)
    assert duplicates.unmark(db, again, awa, desk) == original.reference
    assert again.duplicate_of_id is None and again.status == CaseStatus.NEW
    assert trail(db, vault, again)[-1] == ("unmarked_duplicate", {"of": original.reference})
    assert trail(db, vault, original)[-1] == ("duplicate_removed", {"duplicate": again.reference})
    with pytest.raises(Refused):
        duplicates.unmark(db, again, awa, desk)
