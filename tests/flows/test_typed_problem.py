"""A problem written out at the main menu, instead of a number: kept, and used as the description.

People who read little often write their problem straight away. It is not refused and asked for again
three questions later: baro asks what it is (a problem, a need, a confidential report), then only what
the text does not say (the category, how to call back), and files the text as written.
"""

import pytest

from tests.flows.people import PARKED, Transcript, known, returning
from tests.flows.screens import (
    BOTH,
    CALLBACK,
    COMPLAINT_CATEGORIES,
    COMPLAINT_DONE,
    MAIN_MENU,
    NEED_CATEGORIES,
    NEED_DONE,
    PICK_A_NUMBER,
    REFERENCE,
    TYPE_REFERENCE,
    WHAT_IS_IT,
)

PROBLEM = "Le forage de Niamana est en panne depuis une semaine"


@BOTH
def test_a_problem_written_at_the_main_menu_is_kept_and_the_person_is_asked_what_it_is(phone, lang):
    person = known(phone, lang, site="niamana")

    assert person.send(PROBLEM) == WHAT_IS_IT[lang]
    assert person.waiting_at == "main.what"
    assert person.actions == []  # nothing is filed before the person says what it is


@BOTH
def test_as_a_complaint_only_the_category_is_asked_and_the_written_text_is_filed(phone, lang):
    chat = Transcript(known(phone, lang, site="niamana"))
    chat.send(PROBLEM)

    assert chat.send("1") == COMPLAINT_CATEGORIES[lang]
    assert chat.send("2", reference=REFERENCE) == COMPLAINT_DONE[lang].format(REFERENCE)  # no "describe it"

    (submit,) = chat.actions
    assert (submit.name, submit.arg) == ("submit", "complaint")
    assert (submit.values["text"], submit.values["category"]) == (PROBLEM, "water_sanitation")
    assert chat.person.position == PARKED


@BOTH
def test_as_a_need_only_the_category_is_asked_and_the_written_text_is_filed(phone, lang):
    chat = Transcript(known(phone, lang, site="niamana"))
    chat.send("Je cherche du travail pour nourrir mes enfants")

    assert chat.send("2") == NEED_CATEGORIES[lang]
    assert chat.send("8", reference=REFERENCE) == NEED_DONE[lang].format(REFERENCE)

    (submit,) = chat.actions
    assert (submit.arg, submit.values["text"], submit.values["category"]) == (
        "need",
        "Je cherche du travail pour nourrir mes enfants",
        "livelihoods",
    )


@BOTH
def test_as_a_confidential_report_the_details_are_not_asked_again(phone, screen, lang):
    chat = Transcript(known(phone, lang, site="niamana"))
    chat.send("Le gardien demande de l'argent pour l'eau")

    assert chat.send("3") == screen.confidential_what(lang)
    assert chat.send("2") == CALLBACK[lang]  # "say more if you wish" is skipped: it was said
    chat.send("3", reference=REFERENCE)

    (submit,) = chat.actions
    assert (submit.arg, submit.values["text"]) == ("confidential", "Le gardien demande de l'argent pour l'eau")


def test_what_is_written_before_it_is_classified_is_sealed_like_a_confidential_report(flows, phone):
    person = known(phone, "fr", site="niamana")
    person.send(PROBLEM)

    # The conversation layer seals a message whose conversation stands here: it may become a confidential report.
    assert flows.is_confidential(person.position)
    assert not flows.is_confidential(PARKED)


@BOTH
def test_a_returning_persons_first_message_written_out_is_kept_too(phone, lang):
    person = returning(phone, lang, site="niamana")

    assert person.send(PROBLEM) == WHAT_IS_IT[lang]  # not the menu, then "describe it" again later


@BOTH
def test_right_after_a_confirmation_a_new_problem_written_out_is_kept_not_added_to_the_last(phone, lang):
    chat = Transcript(known(phone, lang, site="niamana"))
    chat.send("1")
    chat.send("3")
    chat.send("Pas de médecin", reference=REFERENCE)

    assert chat.send("Le toit de notre abri fuit aussi") == WHAT_IS_IT[lang]
    assert [a.name for a in chat.person.turn.actions] == []


@BOTH
@pytest.mark.parametrize("greeting", ["Bonjour madame, ça va ?", "I ni ce", "Aw ni sɔgɔma", "Merci beaucoup"])
def test_a_greeting_is_no_problem_written_out(phone, lang, greeting):
    person = known(phone, lang, site="niamana")

    assert person.send(greeting) == PICK_A_NUMBER[lang] + "\n" + MAIN_MENU[lang]
    assert person.waiting_at == "main.menu"


@BOTH
def test_menu_from_the_question_drops_the_text(phone, lang):
    chat = Transcript(known(phone, lang, site="niamana"))
    chat.send(PROBLEM)

    assert chat.send("0") == MAIN_MENU[lang]
    chat.send("1")
    chat.send("2")
    assert chat.person.waiting_at == "complaint.description"  # asked again: the dropped text is not filed
    assert chat.actions == []


# ---------------------------------------------------------------------------------------------
# A way back from questions that take words, and from the follow-up for a person with no reference.


@BOTH
@pytest.mark.parametrize(("choice", "category"), [("1", "3"), ("2", "8")])
def test_0_at_a_description_goes_back_to_the_menu_and_files_nothing(phone, lang, choice, category):
    chat = Transcript(known(phone, lang, site="niamana"))
    chat.send(choice)
    chat.send(category)

    assert chat.send("0") == MAIN_MENU[lang]
    assert chat.actions == []
    assert chat.person.waiting_at == "main.menu"


@BOTH
def test_a_person_without_a_reference_can_leave_the_follow_up(phone, lang):
    chat = Transcript(known(phone, lang, site="niamana", choices={"my_references": ()}))

    assert chat.send("5") == TYPE_REFERENCE[lang]
    assert chat.send("0") == MAIN_MENU[lang]
    assert chat.actions == []  # no lookup of a reference "0"
