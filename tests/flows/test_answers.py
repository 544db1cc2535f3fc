"""Forgiving answers, across the real flows: what people type for a menu answer is taken as meant.

A number with punctuation or spaces around it (`1.`, ` 1) `, a full-width `１`), a site or a language by
its name however it is typed, yes and no and the options' words in either language.
"""

import pytest

from tests.flows.people import MY_REFERENCES, known
from tests.flows.screens import (
    BOTH,
    COMPLAINT_CATEGORIES,
    CONFIDENTIAL_DETAILS,
    MAIN_MENU,
    NOTED,
    REFERENCE,
    SIGNED_UP,
    SIGNUP_REFERENCE,
    SITE_MENU,
)

# ---------------------------------------------------------------------------------------------
# Forgiving answers.


@pytest.mark.parametrize("answer", ["1", "1.", " 1) ", "1 )", "1-", "1:", "１"])
def test_a_number_with_punctuation_or_spaces_around_it_is_that_number(phone, answer):
    person = known(phone, "fr")

    assert person.send(answer) == SITE_MENU["fr"]
    assert person.waiting_at == "complaint.site"


@pytest.mark.parametrize("answer", ["2.", " 2) "])
def test_the_language_menu_takes_a_number_with_punctuation(phone, screen, answer):
    person = phone()
    person.send("Bonjour")

    assert person.send(answer) == screen.consent("bm")
    assert person.action("set_language").values["language"] == "bm"


@pytest.mark.parametrize(
    ("answer", "site"),
    [("Sénou", "senou"), ("senou", "senou"), ("  SENOU ", "senou"), ("niamana", "niamana"), ("Faladie", "faladie")],
)
def test_a_site_can_be_answered_by_its_name_however_it_is_typed(phone, answer, site):
    person = known(phone, "fr")
    person.send("1")

    assert person.send(answer) == COMPLAINT_CATEGORIES["fr"]
    assert person.action("set_site").values["site"] == site


@pytest.mark.parametrize(
    ("answer", "lang"),
    [("Français", "fr"), ("francais", "fr"), ("FRANCAIS", "fr"), ("Bamanankan", "bm"), ("bamanankan", "bm")],
)
def test_the_language_menu_takes_the_language_name_as_written_on_the_screen(phone, screen, answer, lang):
    person = phone()
    person.send("Bonjour")

    assert person.send(answer) == screen.consent(lang)


YES_SPELLINGS = ["1", "Oui", "oui", "OUI", "ɔwɔ", "Ɔwɔ", "owo", "Yes", "1.", "1)", " 1 ) "]
NO_SPELLINGS = ["2", "Non", "non", "ayi", "AYI", "2.", "2)"]


@BOTH
@pytest.mark.parametrize("answer", YES_SPELLINGS)
def test_yes_to_an_assembly_can_be_written_in_either_language_or_as_1(phone, screen, lang, answer):
    person = known(phone, lang, site="niamana")
    person.send("3")
    person.send("1")

    said = person.send(answer, reference=SIGNUP_REFERENCE, signup=SIGNED_UP)
    assert said == screen.signed(lang, SIGNED_UP)
    assert person.action("sign_up").arg == "confirmed"


@BOTH
@pytest.mark.parametrize("answer", NO_SPELLINGS)
def test_no_to_an_assembly_can_be_written_in_either_language_or_as_2(phone, lang, answer):
    person = known(phone, lang, site="niamana")
    person.send("3")
    person.send("1")

    assert person.send(answer) == MAIN_MENU[lang]
    assert person.actions == []


@BOTH
@pytest.mark.parametrize("answer", ["Oui", "owo", "1)"])
def test_yes_to_the_waiting_list_and_to_being_told_is_as_forgiving(phone, lang, answer):
    person = known(phone, lang, site="niamana")
    person.send("3")
    person.send("2")
    person.send(answer)
    assert person.action("sign_up").arg == "waiting"

    person = known(phone, lang, site="faladie")
    person.send("3")
    assert person.send(answer) == NOTED[lang]
    assert person.actions == ["notify_assemblies"]


@BOTH
@pytest.mark.parametrize(("answer", "callback"), [("1.", "this_number"), ("3)", "no"), (" 3 ", "no")])
def test_the_confidential_reports_menus_take_a_number_with_punctuation(phone, lang, answer, callback):
    person = known(phone, lang)
    person.send("4.")
    person.send("2)")
    person.send("0.")

    person.send(answer, reference=REFERENCE)
    values = person.action("submit").values
    assert (values["category"], values["text"], values["callback"]) == ("abuse_exploitation", "", callback)


@BOTH
def test_a_listed_reference_can_be_picked_with_punctuation(phone, lang):
    person = known(phone, lang, choices=MY_REFERENCES)
    person.send("5")
    person.send("1)")

    assert person.action("lookup_reference").values["reference"] == "K7Q2MX"


@BOTH
@pytest.mark.parametrize("answer", ["Violence", "violence", "Menace", "Fariyakɛ", "fariyake", "Threat"])
def test_what_happened_can_be_answered_by_its_words_in_either_language(phone, lang, answer):
    person = known(phone, lang)
    person.send("4")

    assert person.send(answer) == CONFIDENTIAL_DETAILS[lang]
    assert person.position["vars"]["category"] in ("violence", "threat")
