"""main.yaml: the main menu a known contact reads, its six numbered choices, and 6 Language and site.

Its numbers are the same in every language and channel: posters in the sites say "send 1 to report
a problem". A first message is never read as an answer to it; the menu opens, and the next message answers.
"""

import pytest

from bot.engine.interpreter import start
from tests.flows.people import known, returning
from tests.flows.screens import (
    BOTH,
    COMPLAINT_CATEGORIES,
    LANGUAGE_MENU,
    MAIN_MENU,
    PICK_A_NUMBER,
    SETTINGS_MENU,
    SITE_MENU,
    TYPE_REFERENCE,
)

# ---------------------------------------------------------------------------------------------
# The menu.


def test_the_main_menu_offers_six_numbered_choices(phone):
    person = phone()
    person.send("Bonjour")
    person.send("1")
    lines = person.send("1").splitlines()

    assert lines[1] == "Envoyez un numéro :"
    assert [line.split(" ", 1)[0] for line in lines[2:]] == ["1", "2", "3", "4", "5", "6"]


# ---------------------------------------------------------------------------------------------
# A known contact.


@BOTH
def test_a_known_contact_writing_after_a_while_gets_the_main_menu(phone, lang):
    person = returning(phone, lang)

    assert person.send("Bonjour") == MAIN_MENU[lang]
    assert person.actions == []
    assert person.waiting_at == "main.menu"


# A first message is not read as an answer (commit c8e6d21 dropped the `direct` main menu):
# after an expiry or an outage the question it answered is unknown, and a guessed "1" or "2"
# could file a site number into another flow. It opens the main menu; the next message answers.


@BOTH
@pytest.mark.parametrize("first", ["1", "2", "6"])
def test_a_known_contact_whose_first_message_is_a_menu_number_is_shown_the_menu_first(phone, lang, first):
    person = returning(phone, lang)

    assert person.send(first) == MAIN_MENU[lang]  # no hint: nothing had been asked
    assert person.waiting_at == "main.menu"
    assert person.actions == []


@BOTH
def test_a_known_contact_answering_1_to_the_menu_goes_to_the_complaint(phone, lang):
    person = returning(phone, lang)
    person.send("1")

    assert person.send("1") == SITE_MENU[lang]
    assert person.waiting_at == "complaint.site"


def test_a_first_message_that_is_not_a_menu_number_only_opens_the_menu(phone):
    person = returning(phone, "fr")

    assert person.send("9") == MAIN_MENU["fr"]  # no hint: nothing was asked yet
    assert person.waiting_at == "main.menu"


def test_start_without_a_message_opens_on_the_main_menu_for_a_known_contact(flows, catalogues, make_context):
    turn = start(flows, make_context(language="fr", consent=True))

    assert "\n".join(catalogues.render(r, "fr") for r in turn.replies) == MAIN_MENU["fr"]
    assert turn.position == {"flow": "main", "state": "menu", "vars": {}}
    assert turn.actions == ()


# ---------------------------------------------------------------------------------------------
# 6 Language and site (changing the site: tests/flows/test_moving.py).


@BOTH
def test_6_asks_whether_to_change_the_language_or_the_site(phone, lang):
    person = known(phone, lang)

    assert person.send("6") == SETTINGS_MENU[lang]
    assert person.waiting_at == "main.settings"


def test_changing_language_shows_the_language_menu_then_the_main_menu_in_the_new_language(phone):
    person = known(phone, "fr")
    person.send("6")

    assert person.send("1") == LANGUAGE_MENU
    assert person.waiting_at == "main.language"

    assert person.send("2") == MAIN_MENU["bm"]
    assert person.actions == ["set_language"]
    assert person.action("set_language").values["language"] == "bm"
    assert person.waiting_at == "main.menu"


def test_after_changing_language_the_next_question_is_in_the_new_language(phone):
    person = known(phone, "bm", site="niamana")
    person.send("6")
    person.send("1")
    person.send("1")

    assert person.send("1") == COMPLAINT_CATEGORIES["fr"]


@BOTH
@pytest.mark.parametrize(
    ("choice", "waiting_at"), [("3", "assembly.pick"), ("4", "confidential.what"), ("5", "followup.type_reference")]
)
def test_menu_choices_3_4_5_open_their_flows_where_a_not_open_message_used_to_be(
    phone, screen, lang, choice, waiting_at
):
    person = known(phone, lang, site="niamana")
    first_screen = {
        "3": screen.niamana_assemblies(lang),
        "4": screen.confidential_what(lang),
        "5": TYPE_REFERENCE[lang],  # this person has sent nothing yet: no reference to list
    }

    assert person.send(choice) == first_screen[choice]
    assert person.actions == []
    assert person.waiting_at == waiting_at


# ---------------------------------------------------------------------------------------------
# What is no answer to the main menu: the menu again, with the hint.


@BOTH
@pytest.mark.parametrize("answer", ["9", "0", "oui", "12"])
def test_an_answer_not_in_the_main_menu_repeats_it_with_a_hint(phone, lang, answer):
    person = known(phone, lang)

    assert person.send(answer) == PICK_A_NUMBER[lang] + "\n" + MAIN_MENU[lang]
    assert person.actions == []
    assert person.waiting_at == "main.menu"


@pytest.mark.parametrize("empty", ["", "  "])
def test_an_empty_answer_to_the_main_menu_repeats_it_with_the_hint(phone, empty):
    person = known(phone, "fr")

    assert person.send(empty) == PICK_A_NUMBER["fr"] + "\n" + MAIN_MENU["fr"]
    assert person.waiting_at == "main.menu"
