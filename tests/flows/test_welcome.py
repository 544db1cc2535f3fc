"""welcome.yaml: a person's first contact with baro, in French and in Bambara.

A number never seen before is greeted in every language and picks one; then reads the notice and
accepts it (on to the main menu) or refuses it (a goodbye, and nothing waits). Both answers are
remembered, so a person who gave them once goes straight through.
"""

import pytest

from bot.line import Line
from tests.flows.screens import BOTH, FREE, LINE, MAIN_MENU, PICK_A_NUMBER, REFUSED, THANKS, USUAL_PRICE

# ---------------------------------------------------------------------------------------------
# The language, then the notice.


def test_a_number_never_seen_before_is_greeted_with_the_language_menu_in_both_languages(phone, screen):
    person = phone()

    assert person.send("Bonjour") == screen.welcome
    assert person.waiting_at == "welcome.language"
    assert person.actions == []


def test_a_first_message_of_1_does_not_skip_the_language_menu(phone, screen):
    # Posters say "send 1 to report a problem", but someone new must first pick a language.
    person = phone()

    assert person.send("1") == screen.welcome
    assert person.waiting_at == "welcome.language"
    assert person.actions == []


@pytest.mark.parametrize(("answer", "lang"), [("1", "fr"), ("2", "bm")])
def test_choosing_a_language_remembers_it_and_shows_the_consent_notice_in_it(phone, screen, answer, lang):
    person = phone()
    person.send("Bonjour")

    assert person.send(answer) == screen.consent(lang)
    assert person.actions == ["set_language"]
    assert person.action("set_language").values["language"] == lang
    assert person.waiting_at == "welcome.consent"


@BOTH
def test_the_notice_names_the_organisation_running_the_line_and_says_a_message_costs_the_usual_price(phone, lang):
    notice = phone(language=lang).send("Bonjour")

    assert notice.startswith(f"{LINE.org_name} ")  # ORG_NAME, as the deployment configures it
    assert f" {USUAL_PRICE[lang]} " in notice  # MESSAGES_FREE is false: the honest default
    assert "STOP" in notice
    assert FREE[lang] not in notice


@BOTH
def test_where_messages_are_free_the_notice_says_so_instead(phone, screen, lang):
    line = Line("NRC", messages_free=True)
    notice = phone(language=lang, **line.facts()).send("Bonjour")

    assert notice == screen.consent(lang, line)
    assert notice.startswith("NRC ")
    assert f" {FREE[lang]} " in notice
    assert USUAL_PRICE[lang] not in notice


@BOTH
def test_accepting_the_notice_thanks_the_person_and_shows_the_main_menu(phone, lang):
    person = phone()
    person.send("Bonjour")
    person.send("1" if lang == "fr" else "2")

    assert person.send("1") == THANKS[lang] + "\n" + MAIN_MENU[lang]
    assert person.actions == ["accept_consent"]
    assert person.action("accept_consent").values["language"] == lang
    assert person.waiting_at == "main.menu"


@BOTH
def test_refusing_the_notice_says_goodbye_in_the_chosen_language_and_ends_the_conversation(phone, lang):
    person = phone()
    person.send("Bonjour")
    person.send("1" if lang == "fr" else "2")

    assert person.send("2") == REFUSED[lang]
    assert person.actions == ["refuse_consent"]
    assert person.action("refuse_consent").values["language"] == lang
    assert person.position is None


@BOTH
@pytest.mark.parametrize("again", ["Bonjour", "1", "5", "merci"])
def test_after_refusing_nothing_waits_and_the_next_message_starts_with_the_language_again(phone, screen, lang, again):
    # Unlike the end of a flow, a refusal does not wait at the main menu: not even the "1" or "5"
    # of a poster is read as a menu answer, and the notice is asked again after the language.
    person = phone()
    person.send("Bonjour")
    person.send("1" if lang == "fr" else "2")
    assert person.send("2") == REFUSED[lang]
    assert person.position is None

    assert person.send(again) == screen.welcome
    assert person.actions == []
    assert person.waiting_at == "welcome.language"
    assert person.send("1" if lang == "fr" else "2") == screen.consent(lang)
    assert person.waiting_at == "welcome.consent"


def test_refusing_after_a_language_chosen_on_an_earlier_day_waits_for_nothing_either(phone, screen):
    person = phone(language="bm")
    person.send("I ni ce")

    assert person.send("2") == REFUSED["bm"]
    assert person.position is None
    assert person.send("1") == screen.welcome


def test_someone_who_chose_a_language_but_never_accepted_sees_only_the_notice(phone, screen):
    person = phone(language="bm")

    assert person.send("I ni ce") == screen.consent("bm")
    assert person.waiting_at == "welcome.consent"


# ---------------------------------------------------------------------------------------------
# What is no answer to the language menu or to the notice: the question again, with the hint.


def test_an_answer_not_in_the_language_menu_repeats_it_with_the_hint_in_both_languages(phone, screen):
    person = phone()
    person.send("Bonjour")

    assert person.send("3") == PICK_A_NUMBER["fr"] + "\n" + PICK_A_NUMBER["bm"] + "\n" + screen.welcome
    assert person.waiting_at == "welcome.language"
    assert person.actions == []


@BOTH
def test_an_answer_not_in_the_consent_menu_repeats_the_notice(phone, screen, lang):
    person = phone(language=lang)
    person.send("Bonjour")

    assert person.send("ok") == PICK_A_NUMBER[lang] + "\n" + screen.consent(lang)
    assert person.waiting_at == "welcome.consent"
    assert person.actions == []
