"""complaint.yaml, 1 in the main menu: report a problem with a service.

The site (asked once, then remembered), a category, the problem in the person's words; then the
complaint is submitted and its reference given, with how to follow it.
"""

import pytest

from tests.flows.people import PARKED, known, returning
from tests.flows.screens import (
    BOTH,
    COMPLAINT_CATEGORIES,
    COMPLAINT_DESCRIPTION,
    COMPLAINT_DONE,
    PICK_A_NUMBER,
    REFERENCE,
    SITE_MENU,
    WRITE_IN_WORDS,
)

# ---------------------------------------------------------------------------------------------
# 1 Report a problem.


@BOTH
def test_a_complaint_asks_site_then_category_then_words_and_submits_them(phone, lang):
    person = known(phone, lang)

    assert person.send("1") == SITE_MENU[lang]
    assert person.send("2") == COMPLAINT_CATEGORIES[lang]
    assert person.actions == ["set_site"]
    assert person.action("set_site").values["site"] == "senou"
    assert person.waiting_at == "complaint.category"

    assert person.send("3") == COMPLAINT_DESCRIPTION[lang]
    assert person.actions == []
    assert person.waiting_at == "complaint.description"

    said = person.send("Pas de médecin au centre depuis lundi", reference=REFERENCE)
    assert said == COMPLAINT_DONE[lang].format(REFERENCE)
    submit = person.action("submit")
    assert submit.arg == "complaint"
    assert {key: submit.values.get(key) for key in ("category", "text", "site", "language")} == {
        "category": "health",
        "text": "Pas de médecin au centre depuis lundi",
        "site": "senou",
        "language": lang,
    }
    assert person.position == PARKED


def test_a_complaint_does_not_ask_the_site_again_when_it_is_known(phone):
    person = known(phone, "fr", site="niamana")

    assert person.send("1") == COMPLAINT_CATEGORIES["fr"]
    assert person.send("2") == COMPLAINT_DESCRIPTION["fr"]
    person.send("Le forage est en panne", reference=REFERENCE)

    submit = person.action("submit")
    assert person.actions == ["submit"]  # no set_site: nothing was asked
    assert (submit.arg, submit.values["site"], submit.values["category"], submit.values["text"]) == (
        "complaint",
        "niamana",
        "water_sanitation",
        "Le forage est en panne",
    )


def test_the_description_is_kept_as_written_without_surrounding_spaces(phone):
    at_description = {"flow": "complaint", "state": "description", "vars": {"category": "food"}}
    person = returning(phone, "bm", site="faladie", position=at_description)

    person.send("  Dumuni tɛ sɔrɔ  \n", reference=REFERENCE)

    assert person.action("submit").values["text"] == "Dumuni tɛ sɔrɔ"


def test_the_confirmation_leaves_the_placeholder_visible_if_no_reference_was_given(phone):
    at_description = {"flow": "complaint", "state": "description", "vars": {"category": "food"}}
    person = returning(phone, "fr", position=at_description)

    assert person.send("Rien à manger") == COMPLAINT_DONE["fr"].format("{reference}")


# ---------------------------------------------------------------------------------------------
# What is no answer: the question again, with the hint, and nothing answered before is lost.


@BOTH
def test_an_answer_not_in_a_category_menu_repeats_it_and_keeps_what_was_answered(phone, lang):
    person = known(phone, lang)
    person.send("1")
    person.send("3")  # Faladié

    assert person.send("10") == PICK_A_NUMBER[lang] + "\n" + COMPLAINT_CATEGORIES[lang]
    assert person.waiting_at == "complaint.category"
    assert person.position["vars"]["site"] == "faladie"

    person.send("1")
    person.send("Le toit fuit", reference=REFERENCE)
    assert person.action("submit").values["site"] == "faladie"


@BOTH
@pytest.mark.parametrize("empty", ["", "   ", "\n\t "])
def test_an_empty_description_asks_for_words_and_waits_for_them(phone, lang, empty):
    person = known(phone, lang, site="niamana")
    person.send("1")
    person.send("4")

    assert person.send(empty) == WRITE_IN_WORDS[lang] + "\n" + COMPLAINT_DESCRIPTION[lang]
    assert person.actions == []
    assert person.waiting_at == "complaint.description"
    assert person.position["vars"]["category"] == "food"
