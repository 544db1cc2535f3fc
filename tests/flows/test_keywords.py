"""The keywords across the real flows, in every spelling of French and Bambara: MENU, STOP, START, HELP.

MENU returns to the main menu from anywhere, forgetting the flow's answers; STOP opts out with a
confirmation, after which nothing is sent until START welcomes the person back; a word that may mean stop
but also something else (FIN, JƆ alone) only says how to stop; HELP says what baro is. Those two leave the
open question open. A keyword is never taken as an answer.
"""

import copy

import pytest

from bot.engine.interpreter import Action
from tests.flows.people import known, returning
from tests.flows.screens import (
    BOTH,
    CANCELLED_FROM_MENU,
    COMPLAINT_CATEGORIES,
    COMPLAINT_DESCRIPTION,
    MAIN_MENU,
    OPTED_OUT,
    REFERENCE,
    SEND_STOP,
    SIGNED_UP,
    SIGNUP_REFERENCE,
    SITE_MENU,
    WELCOME_BACK,
    ended,
)

# ---------------------------------------------------------------------------------------------
# Keywords: MENU, STOP, START.


@pytest.mark.parametrize("word", ["MENU", "menu", "Menu.", "SEGIN", "segin", " Segin "])
def test_menu_returns_to_the_main_menu_from_the_middle_of_a_complaint(phone, word):
    person = known(phone, "bm")
    person.send("1")
    person.send("1")

    assert person.send(word) == MAIN_MENU["bm"]
    assert person.actions == []
    assert person.position == {"flow": "main", "state": "menu", "vars": {}}


def test_menu_written_as_the_description_returns_to_the_menu_instead_of_submitting(phone):
    person = known(phone, "fr", site="niamana")
    person.send("1")
    person.send("1")

    assert person.send("menu") == MAIN_MENU["fr"]
    assert person.actions == []


def test_menu_from_a_number_never_seen_before_shows_the_language_menu(phone, screen):
    assert phone().send("MENU") == screen.welcome


@BOTH
@pytest.mark.parametrize("word", ["STOP", "stop", "Arrêt", "ARRET", "arret.", "A JƆ", "a jɔ", "a jo"])
def test_stop_opts_out_with_a_confirmation_and_ends_the_conversation(phone, lang, word):
    person = known(phone, lang, site="niamana")
    person.send("1")

    assert person.send(word) == OPTED_OUT[lang]
    assert person.turn.actions == (Action("opt_out", None, {}),)
    assert person.position is None


@pytest.mark.parametrize("message", ["Bonjour", "1", "6", "MENU", "SEGIN", "", "Je veux signaler un problème"])
def test_an_opted_out_number_is_sent_nothing_and_nothing_is_done(phone, message):
    person = returning(phone, "fr", opted_out=True, position={"flow": "main", "state": "menu", "vars": {}})

    assert person.send(message) == ""
    assert person.turn.replies == ()
    assert person.turn.actions == ()
    assert person.position is None


@pytest.mark.parametrize("word", ["STOP", "ARRET", "A JƆ"])
def test_an_opted_out_number_sending_stop_again_is_sent_nothing(phone, word):
    person = returning(phone, "fr", opted_out=True)

    assert person.send(word) == ""
    assert person.turn.actions == ()


@BOTH
@pytest.mark.parametrize("word", ["START", "start", "Reprendre", "DAMINƐ", "damine"])
def test_start_after_stop_welcomes_the_person_back_with_the_main_menu(phone, lang, word):
    person = returning(phone, lang, opted_out=True)

    assert person.send(word) == WELCOME_BACK[lang] + "\n" + MAIN_MENU[lang]
    assert person.actions == ["opt_in"]
    assert person.turn.actions[0] == Action("opt_in", None, {})
    assert person.waiting_at == "main.menu"
    assert person.send("2") == SITE_MENU[lang]  # and is listened to again


def test_stop_then_start_then_a_complaint_in_one_conversation(phone):
    person = known(phone, "fr", site="senou")
    person.send("1")
    person.send("STOP")
    assert person.send("1") == ""
    person.send("START")

    assert person.send("1") == COMPLAINT_CATEGORIES["fr"]


def test_start_when_not_opted_out_just_opens_the_main_menu(phone):
    person = known(phone, "fr")
    person.send("1")

    assert person.send("START") == MAIN_MENU["fr"]
    assert person.actions == []


# ---------------------------------------------------------------------------------------------
# A word that may mean stop but also something else: typed alone it stops nothing, it says how to stop.
# FIN is also "faim" (hunger) misspelt, JƆ alone also "stand"; ARRETER is a verb a sentence may end on.

MAYBE_STOP_WORDS = ["FIN", "fin", "Fin.", "ARRETER", "arrêter", "JƆ", "jɔ", "jo", "END"]


@BOTH
@pytest.mark.parametrize("word", MAYBE_STOP_WORDS)
def test_a_word_that_may_mean_stop_says_how_to_stop_and_keeps_the_question_open(phone, lang, word):
    person = known(phone, lang)
    person.send("1")
    person.send("3")  # Faladié
    before = copy.deepcopy(person.position)

    assert person.send(word) == SEND_STOP[lang]
    assert person.actions == []  # not opted out: messages still come
    assert person.position == before
    assert person.send("2") == COMPLAINT_DESCRIPTION[lang]  # the next answer still answers the category
    assert person.position["vars"]["category"] == "water_sanitation"


@BOTH
@pytest.mark.parametrize("word", ["FIN", "JƆ"])
def test_stop_after_being_told_how_opts_out(phone, lang, word):
    person = known(phone, lang, site="niamana")
    person.send("1")
    assert person.send(word) == SEND_STOP[lang]

    assert person.send("STOP") == OPTED_OUT[lang]
    assert person.turn.actions == (Action("opt_out", None, {}),)
    assert person.position is None


@BOTH
def test_fin_written_as_the_description_is_not_submitted_and_the_description_is_still_asked(phone, lang):
    # A keyword is never an answer, even to a text question: a problem described as "fin" alone says nothing
    # the category does not, and it costs the person one message to be told how to stop and write more.
    person = known(phone, lang, site="niamana")
    person.send("1")
    person.send("4")  # food

    assert person.send("FIN") == SEND_STOP[lang]
    assert person.actions == []
    assert person.waiting_at == "complaint.description"
    person.send("Nous avons faim depuis trois jours", reference=REFERENCE)
    assert person.action("submit").values["text"] == "Nous avons faim depuis trois jours"


def test_a_word_that_may_mean_stop_before_a_language_is_chosen_is_answered_in_every_language(phone, screen):
    person = phone()
    person.send("Bonjour")

    assert person.send("JƆ") == SEND_STOP["fr"] + "\n" + SEND_STOP["bm"]
    assert person.waiting_at == "welcome.language"
    assert person.send("2") == screen.consent("bm")  # the language menu still answers


@BOTH
def test_a_word_that_may_mean_stop_without_a_conversation_answers_and_opens_none(phone, lang):
    person = returning(phone, lang)

    assert person.send("fin") == SEND_STOP[lang]
    assert person.actions == []
    assert person.position is None
    assert person.send("Bonjour") == MAIN_MENU[lang]


@pytest.mark.parametrize("word", ["FIN", "JƆ", "arrêter"])
def test_a_word_that_may_mean_stop_from_an_opted_out_number_is_sent_nothing(phone, word):
    person = returning(phone, "fr", opted_out=True)

    assert person.send(word) == ""
    assert person.turn.actions == ()


# ---------------------------------------------------------------------------------------------
# HELP: a word on what baro is, and the open question stays open.

HELP_WORDS = ["HELP", "help", "AIDE", "Aide", "aide ?", "DƐMƐ", "dɛmɛ", "deme", "Deme!"]


@BOTH
@pytest.mark.parametrize("word", HELP_WORDS)
def test_help_in_the_middle_of_a_question_answers_it_and_keeps_the_question_open(phone, screen, lang, word):
    person = known(phone, lang)
    person.send("1")
    person.send("3")  # Faladié
    before = copy.deepcopy(person.position)

    assert person.send(word) == screen.help(lang)
    assert person.actions == []
    assert person.position == before
    assert person.waiting_at == "complaint.category"

    assert person.send("2") == COMPLAINT_DESCRIPTION[lang]  # the next answer still answers the category
    assert person.position["vars"] == {"site": "faladie", "site_name": "Faladié", "category": "water_sanitation"}


@BOTH
@pytest.mark.parametrize("word", ["AIDE", "dɛmɛ", "deme"])
def test_help_written_as_a_description_is_not_submitted(phone, screen, lang, word):
    person = known(phone, lang, site="niamana")
    person.send("1")
    person.send("1")

    assert person.send(word) == screen.help(lang)
    assert person.actions == []
    assert person.waiting_at == "complaint.description"
    person.send("Le toit fuit", reference=REFERENCE)
    assert person.action("submit").values["text"] == "Le toit fuit"


@BOTH
def test_help_in_an_assembly_or_a_confidential_report_keeps_its_question_open(phone, screen, lang):
    person = known(phone, lang, site="niamana")
    person.send("3")
    person.send("1")  # the confirmation of an assembly

    assert person.send("AIDE") == screen.help(lang)
    assert person.waiting_at == "assembly.confirm"
    person.send("1", reference=SIGNUP_REFERENCE, signup=SIGNED_UP)
    assert person.action("sign_up").values["assembly"] == "11"

    person = known(phone, lang)
    person.send("4")
    person.send("1")
    assert person.send("DƐMƐ") == screen.help(lang)
    assert person.waiting_at == "confidential.details"  # not saved as the details
    assert "text" not in person.position["vars"]


@BOTH
@pytest.mark.parametrize("word", ["AIDE", "DƐMƐ", "deme"])
def test_help_without_a_conversation_answers_and_opens_none(phone, screen, lang, word):
    person = returning(phone, lang)

    assert person.send(word) == screen.help(lang)
    assert person.actions == []
    assert person.position is None
    assert person.send("Bonjour") == MAIN_MENU[lang]


def test_help_from_a_number_never_seen_before_answers_in_every_language_and_opens_nothing(phone, screen):
    person = phone()

    assert person.send("AIDE") == screen.help(None)  # no language chosen yet: French, then Bambara
    assert person.actions == []
    assert person.position is None
    assert person.send("Bonjour") == screen.welcome


def test_help_before_a_language_is_chosen_is_in_both_languages(phone, screen):
    # A Bambara speaker writing DƐMƐ at the bilingual language menu reads the answer in Bambara too.
    person = phone()
    person.send("Bonjour")

    assert person.send("DƐMƐ") == screen.help("fr") + "\n" + screen.help("bm")
    assert person.waiting_at == "welcome.language"
    assert person.send("2") == screen.consent("bm")  # the language menu still answers


def test_help_from_an_opted_out_number_is_sent_nothing(phone):
    person = returning(phone, "bm", opted_out=True)

    assert person.send("DƐMƐ") == ""
    assert person.turn.actions == ()


# ---------------------------------------------------------------------------------------------
# CANCEL (ANNULER, DABILA): give up an assembly place, from anywhere; the action finds which, and says so.


@BOTH
@pytest.mark.parametrize("word", ["ANNULER", "annuler", "CANCEL", "Dabila", "DABILA."])
def test_cancel_from_anywhere_gives_up_a_place_and_waits_at_the_main_menu(phone, lang, word):
    person = known(phone, lang, site="niamana")
    person.send("1")  # in the middle of a complaint: dropped, nothing filed

    said = person.send(word, cancelled=CANCELLED_FROM_MENU)

    assert person.actions == ["cancel_signup"]
    assert "assembly" not in person.action("cancel_signup").values  # the one last told of, not one chosen
    assert said == ended(lang, person.catalogues.fill(lang, CANCELLED_FROM_MENU.text, CANCELLED_FROM_MENU.params))
    assert person.waiting_at == "main.menu" and person.position.get("parked")


def test_cancel_before_consenting_does_nothing_of_the_kind(phone, screen):
    person = phone()
    person.send("Bonjour")

    said = person.send("ANNULER")  # not a language: the language menu again, nothing given up

    assert said.endswith(screen.welcome.splitlines()[-1])
    assert person.actions == []
    assert person.waiting_at == "welcome.language"


def test_cancel_from_an_opted_out_number_is_not_answered(phone):
    person = returning(phone, "fr", opted_out=True)
    assert person.send("ANNULER") == ""
    assert person.actions == []
