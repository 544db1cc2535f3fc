"""confidential.yaml, 4 in the main menu: a confidential report (violence, abuse, exploitation).

Few questions and nothing required beyond what happened: more words if the person wishes, whether and
how to call back safely. Nothing leaves the phone before the last answer; only protection staff read it.
"""

import pytest

from tests.flows.people import PARKED, Transcript, known, returning
from tests.flows.screens import (
    BOTH,
    CALLBACK,
    CALLBACK_HOW,
    CONFIDENTIAL_DETAILS,
    CONFIDENTIAL_DONE,
    MAIN_MENU,
    PICK_A_NUMBER,
    REFERENCE,
    SAFETY,
    WRITE_IN_WORDS,
    ended,
)

# ---------------------------------------------------------------------------------------------
# 4 Confidential report: what happened, more words if wished, whether and how to call back.


@BOTH
def test_a_confidential_report_asks_what_happened_details_and_call_back_then_reassures(phone, screen, lang):
    chat = Transcript(known(phone, lang, site="senou"))

    assert chat.send("4") == screen.confidential_what(lang)
    assert chat.person.waiting_at == "confidential.what"
    assert chat.send("2") == CONFIDENTIAL_DETAILS[lang]
    assert chat.person.waiting_at == "confidential.details"
    assert chat.send("  Le gardien demande de l'argent pour l'eau  ") == CALLBACK[lang]
    assert chat.person.waiting_at == "confidential.callback"
    assert chat.actions == []  # nothing leaves the phone before the last answer

    assert chat.send("1", reference=REFERENCE) == ended(lang, CONFIDENTIAL_DONE[lang].format(REFERENCE))
    assert [(a.name, a.arg) for a in chat.actions] == [("submit", "confidential")]
    values = chat.actions[0].values
    assert {key: values.get(key) for key in ("category", "text", "callback", "language")} == {
        "category": "abuse_exploitation",
        "text": "Le gardien demande de l'argent pour l'eau",
        "callback": "this_number",
        "language": lang,
    }
    assert "callback_details" not in values
    assert chat.person.position == PARKED


@BOTH
@pytest.mark.parametrize(
    ("answer", "category"), [("1", "violence"), ("2", "abuse_exploitation"), ("3", "threat"), ("4", "other")]
)
def test_each_of_the_four_what_happened_answers_is_saved_as_the_category(phone, lang, answer, category):
    person = known(phone, lang)
    person.send("4")
    person.send(answer)
    person.send("0")
    person.send("3", reference=REFERENCE)

    assert person.action("submit").values["category"] == category


@BOTH
def test_zero_goes_on_without_saying_more_and_no_call_back_is_kept(phone, lang):
    chat = Transcript(known(phone, lang))
    chat.send("4")
    chat.send("3")

    assert chat.send("0") == CALLBACK[lang]
    assert chat.person.position["vars"]["text"] == ""
    assert chat.send("3", reference=REFERENCE) == ended(lang, CONFIDENTIAL_DONE[lang].format(REFERENCE))

    assert [(a.name, a.arg) for a in chat.actions] == [("submit", "confidential")]
    values = chat.actions[0].values
    assert (values["category"], values["text"], values["callback"]) == ("threat", "", "no")
    assert "callback_details" not in values


@BOTH
def test_a_call_back_elsewhere_asks_how_and_keeps_the_answer_as_call_back_details(phone, lang):
    chat = Transcript(known(phone, lang))
    chat.send("4")
    chat.send("1")
    chat.send("0")

    assert chat.send("2") == CALLBACK_HOW[lang]
    assert chat.person.waiting_at == "confidential.how"
    assert chat.actions == []

    said = chat.send(" 76 12 34 56, après 18h ", reference=REFERENCE)
    assert said == ended(lang, CONFIDENTIAL_DONE[lang].format(REFERENCE))
    assert [(a.name, a.arg) for a in chat.actions] == [("submit", "confidential")]
    values = chat.actions[0].values
    assert {key: values.get(key) for key in ("category", "text", "callback", "callback_details")} == {
        "category": "violence",
        "text": "",
        "callback": "other",
        "callback_details": "76 12 34 56, après 18h",
    }
    assert chat.person.position == PARKED


@BOTH
def test_a_confidential_report_never_asks_the_site(phone, screen, lang):
    person = known(phone, lang)  # no site known

    assert person.send("4") == screen.confidential_what(lang)
    assert person.actions == []


@BOTH
def test_the_call_back_question_takes_only_its_numbers(phone, lang):
    at_callback = {"flow": "confidential", "state": "callback", "vars": {"category": "other", "text": ""}}
    person = returning(phone, lang, position=at_callback)

    for answer in ("4", "Oui", "ce soir"):
        assert person.send(answer) == PICK_A_NUMBER[lang] + "\n" + CALLBACK[lang]
        assert person.actions == []
        assert person.waiting_at == "confidential.callback"


@BOTH
def test_an_empty_answer_to_the_details_question_asks_again(phone, lang):
    person = returning(
        phone, lang, position={"flow": "confidential", "state": "details", "vars": {"category": "threat"}}
    )

    said = person.send("   ")
    assert said.endswith(CONFIDENTIAL_DETAILS[lang]) and said != CONFIDENTIAL_DETAILS[lang]  # with a hint
    assert person.actions == []
    assert person.waiting_at == "confidential.details"
    assert "text" not in person.position["vars"]


@BOTH
def test_an_empty_call_back_details_asks_for_words(phone, lang):
    vars_ = {"category": "threat", "text": "", "callback": "other"}
    person = returning(phone, lang, position={"flow": "confidential", "state": "how", "vars": vars_})

    assert person.send("") == WRITE_IN_WORDS[lang] + "\n" + CALLBACK_HOW[lang]
    assert person.actions == []


def test_menu_in_the_middle_of_a_confidential_report_submits_nothing_and_forgets_it(phone):
    chat = Transcript(known(phone, "fr"))
    chat.send("4")
    chat.send("1")

    assert chat.send("MENU") == MAIN_MENU["fr"]
    assert chat.person.position == {"flow": "main", "state": "menu", "vars": {}}
    assert chat.actions == []


# ---------------------------------------------------------------------------------------------
# A safety line (SAFETY_LINE): a number to call in danger, offered once, with the reference, where configured.

HOTLINE = "80 00 11 15"


@BOTH
@pytest.mark.parametrize("callback", [["1"], ["2", "76 12 34 56, après 18h"], ["3"]])
def test_a_configured_safety_line_is_offered_after_the_reference_and_nowhere_else(phone, screen, lang, callback):
    chat = Transcript(known(phone, lang, safety_line=HOTLINE))
    said = [chat.send("4"), chat.send("1"), chat.send("0")]
    said += [chat.send(answer, reference=REFERENCE) for answer in callback]

    assert said[-1] == ended(lang, CONFIDENTIAL_DONE[lang].format(REFERENCE) + "\n" + SAFETY[lang].format(HOTLINE))
    assert said[:3] == [screen.confidential_what(lang), CONFIDENTIAL_DETAILS[lang], CALLBACK[lang]]
    assert [(a.name, a.arg) for a in chat.actions] == [("submit", "confidential")]
    assert chat.person.position == PARKED
    # Nothing later says it again: it would tell whoever reads the phone that a report was made.
    assert chat.send("Bonjour") == MAIN_MENU[lang]
    assert all(HOTLINE not in chat.send(word) for word in ("5", "MENU", "AIDE"))


@BOTH
def test_without_a_safety_line_nothing_of_it_shows(phone, lang):
    chat = Transcript(known(phone, lang))  # no SAFETY_LINE
    chat.send("4")
    chat.send("2")
    chat.send("0")

    assert chat.send("1", reference=REFERENCE) == ended(lang, CONFIDENTIAL_DONE[lang].format(REFERENCE))
    assert chat.person.position == PARKED
