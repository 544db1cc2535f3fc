"""Between flows: what a person finds after a flow's last message, and what is left of the flow.

After a confirmation or a status, a person who has consented waits quietly at the main menu (PARKED):
a main-menu answer is taken at once (the confirmation's "send 5"), anything else gets the menu without
a hint. Nothing of one flow's answers is carried into the next.
"""

import pytest

from bot.actions.status_texts import STATUS
from bot.engine.interpreter import Choice
from tests.flows.people import MY_REFERENCES, PARKED, Transcript, known
from tests.flows.screens import (
    BOTH,
    CANCELLED_FROM_MENU,
    COMPLAINT_CATEGORIES,
    COMPLAINT_DONE,
    MAIN_MENU,
    NEED_CATEGORIES,
    NEED_DONE,
    OPTED_OUT,
    PICK_A_NUMBER,
    REFERENCE,
    SIGNED_UP,
    TYPE_REFERENCE,
)

# ---------------------------------------------------------------------------------------------
# After a flow's last message: waiting quietly at the main menu (PARKED), so that the next message,
# if it is a main-menu answer, is answered at once; anything else gets the menu without a hint.

WITH_ITS_REFERENCE = {"my_references": (Choice(REFERENCE, REFERENCE),)}  # listed once the complaint is stored

# From the main menu to each last message of the flows, for a person living at Niamana.
TO_THE_END = [
    pytest.param(["1", "3", "Pas de médecin"], None, id="complaint"),
    pytest.param(["2", "8", "Je cherche du travail"], None, id="need"),
    pytest.param(["3", "1", "1"], None, id="signed-up"),
    pytest.param(["3", "2", "1"], None, id="waiting-list"),
    pytest.param(["3", "3", "1"], None, id="gave-up-a-sign-up"),
    pytest.param(["3", "1"], {"assemblies": ()}, id="told-of-the-next"),
    pytest.param(["4", "1", "0", "3"], None, id="confidential"),
    pytest.param(["5", "1"], MY_REFERENCES, id="follow-up"),
]


def to_the_end(phone, lang, answers, choices=None):
    """A person at Niamana who has gone from the main menu through `answers` to a flow's last message;
    `person.said` is that message."""
    person = known(phone, lang, site="niamana", choices=choices)
    for answer in answers:
        person.said = person.send(
            answer, reference=REFERENCE, signup=SIGNED_UP, status=STATUS["new"], cancelled=CANCELLED_FROM_MENU
        )
    return person


@BOTH
@pytest.mark.parametrize(("answers", "choices"), TO_THE_END)
def test_every_flows_last_message_leaves_the_main_menu_waiting_without_showing_it(phone, lang, answers, choices):
    person = to_the_end(phone, lang, answers, choices)

    assert person.said and MAIN_MENU[lang] not in person.said  # the last message alone, no menu after it
    assert person.position == PARKED
    assert person.send("2") == NEED_CATEGORIES[lang]  # a main-menu answer, taken at once
    assert person.waiting_at == "need.category"


@BOTH
@pytest.mark.parametrize(("choice", "done"), [("1", COMPLAINT_DONE), ("2", NEED_DONE)], ids=["complaint", "need"])
def test_right_after_a_confirmation_5_opens_the_follow_up_as_the_confirmation_says(phone, screen, lang, choice, done):
    person = known(phone, lang, site="niamana", choices=WITH_ITS_REFERENCE)
    person.send(choice)
    person.send("3")
    assert person.send("Pas de médecin", reference=REFERENCE) == done[lang].format(REFERENCE)  # "... send 5."

    assert person.send("5") == screen.followup_menu(lang, REFERENCE)
    assert person.actions == []
    assert person.waiting_at == "followup.reference"

    said = person.send("1", reference=REFERENCE, status=STATUS["new"])
    assert said == screen.status(lang, REFERENCE, STATUS["new"])
    assert person.action("lookup_reference").values["reference"] == REFERENCE


@BOTH
def test_right_after_a_confirmation_5_asks_for_the_reference_when_none_is_listed(phone, lang):
    person = known(phone, lang, site="niamana")
    person.send("1")
    person.send("3")
    person.send("Pas de médecin", reference=REFERENCE)

    assert person.send("5") == TYPE_REFERENCE[lang]
    assert person.waiting_at == "followup.type_reference"
    person.send(REFERENCE.lower(), reference=REFERENCE, status=STATUS["new"])
    assert person.action("lookup_reference").values["reference"] == REFERENCE.lower()


@BOTH
@pytest.mark.parametrize("thanks", ["merci", "Merci beaucoup !", "Aw ni ce", "ok", "9", ""])
def test_right_after_a_confirmation_a_thank_you_gets_the_main_menu_without_a_hint(phone, lang, thanks):
    person = to_the_end(phone, lang, ["1", "3", "Pas de médecin"])

    assert person.send(thanks) == MAIN_MENU[lang]  # not "Please answer with one of the numbers."
    assert person.actions == []  # nor is it filed as more words for the complaint
    assert person.waiting_at == "main.menu"

    # That menu is now a question like any other: what is not an answer to it gets the hint.
    assert person.send(thanks) == PICK_A_NUMBER[lang] + "\n" + MAIN_MENU[lang]
    assert person.send("1") == COMPLAINT_CATEGORIES[lang]


@BOTH
@pytest.mark.parametrize(("answers", "choices"), TO_THE_END)
def test_a_thank_you_after_any_last_message_gets_the_main_menu_without_a_hint(phone, lang, answers, choices):
    person = to_the_end(phone, lang, answers, choices)

    assert person.send("merci") == MAIN_MENU[lang]
    assert person.actions == []
    assert person.waiting_at == "main.menu"


@BOTH
def test_help_right_after_a_confirmation_keeps_the_main_menu_waiting(phone, screen, lang):
    person = to_the_end(phone, lang, ["1", "3", "Pas de médecin"])

    assert person.send("AIDE") == screen.help(lang)
    assert person.position == PARKED
    assert person.send("5") == TYPE_REFERENCE[lang]


@BOTH
def test_stop_right_after_a_confirmation_opts_out_and_leaves_nothing_waiting(phone, lang):
    person = to_the_end(phone, lang, ["1", "3", "Pas de médecin"])

    assert person.send("STOP") == OPTED_OUT[lang]
    assert person.actions == ["opt_out"]
    assert person.position is None
    assert person.send("5") == ""


@BOTH
def test_menu_right_after_a_confirmation_shows_the_main_menu(phone, lang):
    person = to_the_end(phone, lang, ["4", "1", "0", "3"])

    assert person.send("MENU") == MAIN_MENU[lang]
    assert person.position == {"flow": "main", "state": "menu", "vars": {}}


# Nothing of one flow's answers is carried into the next: after MENU or a finished flow the position
# keeps no vars. A stale call-back number reaching the protection officer is what this prevents.
ENDINGS = {
    "finished": ["4", "1", "Un homme menace ma fille", "2", "76 12 34 56, après 18h"],
    "menu": ["4", "1", "Un homme menace ma fille", "2", "MENU"],
}


@BOTH
@pytest.mark.parametrize("ending", ENDINGS)
def test_nothing_from_a_confidential_report_left_behind_reaches_the_next_one(phone, lang, ending):
    chat = Transcript(known(phone, lang))
    for answer in ENDINGS[ending]:
        chat.send(answer, reference=REFERENCE)
    assert chat.person.position["vars"] == {}
    assert chat.person.waiting_at == "main.menu"

    chat.actions.clear()
    for answer in ["4", "3", "0", "1"]:  # a threat, nothing more to say, call back on this number
        chat.send(answer, reference=REFERENCE)

    assert [(a.name, a.arg) for a in chat.actions] == [("submit", "confidential")]
    values = chat.actions[0].values
    assert (values["category"], values["text"], values["callback"]) == ("threat", "", "this_number")
    assert "callback_details" not in values


def test_nothing_from_a_complaint_reaches_the_need_written_after_it(phone):
    person = to_the_end(phone, "fr", ["1", "3", "Pas de médecin"])
    assert person.position["vars"] == {}

    person.send("2")
    assert person.position["vars"] == {}  # the site is the person's, not the complaint's: not asked again
    person.send("9")
    person.send("Du travail", reference=REFERENCE)
    values = person.action("submit").values
    assert (values["category"], values["text"], values["site"]) == ("other", "Du travail", "niamana")
