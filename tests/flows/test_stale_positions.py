"""Positions left behind by an older version of the real flows: the conversation starts again cleanly.

A flow or state that no longer exists, or a state that no longer waits, is not answered (its question
is unknown, so guessing could misfile the message): the person gets the start again, the main menu
for a known contact, the language menu for a new number.
"""

import pytest

from tests.flows.people import returning
from tests.flows.screens import MAIN_MENU, SITE_MENU

# ---------------------------------------------------------------------------------------------
# Positions left behind by an older version of the flows.


@pytest.mark.parametrize(
    "stale",
    [
        {"flow": "survey", "state": "q1", "vars": {"answer": "3"}},
        {"flow": "complaint", "state": "photo", "vars": {"category": "health"}},
        {"flow": "complaint"},
        {},
    ],
)
def test_a_position_in_a_flow_or_state_that_no_longer_exists_starts_again_cleanly(phone, stale):
    person = returning(phone, "bm", position=stale)

    assert person.send("I ni ce") == MAIN_MENU["bm"]
    assert person.position == {"flow": "main", "state": "menu", "vars": {}}
    assert person.actions == []


def test_an_answer_to_a_question_that_no_longer_exists_is_not_guessed_into_another_flow(phone):
    person = returning(phone, "fr", position={"flow": "complaint", "state": "photo", "vars": {"category": "food"}})

    assert person.send("1") == MAIN_MENU["fr"]
    assert person.waiting_at == "main.menu"
    assert person.actions == []


def test_a_stale_position_of_a_new_number_shows_the_language_menu(phone, screen):
    assert phone(position={"flow": "onboarding", "state": "ask", "vars": {}}).send("Salut") == screen.welcome


def test_a_position_without_vars_is_still_answered(phone):
    person = returning(phone, "fr", position={"flow": "main", "state": "menu"})

    assert person.send("1") == SITE_MENU["fr"]


def test_a_position_left_at_a_message_that_no_longer_waits_starts_again(phone):
    person = returning(phone, "fr", position={"flow": "complaint", "state": "done", "vars": {}})

    assert person.send("Bonjour") == MAIN_MENU["fr"]
