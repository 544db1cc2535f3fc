"""What a person on the phone sees, message by message, in French and in Bambara.

Each test sends SMS through the pure engine (`step`), renders the replies with the real
catalogues, and checks the text on the screen, the question the next message answers and
the actions handed to the conversation layer.
"""

import copy

import pytest

from bot.engine.flow import load_flows
from bot.engine.interpreter import Action, start, step

# ---------------------------------------------------------------------------------------------
# The screens, as the person reads them.

WELCOME = (
    "Bienvenue sur baro. Choisissez votre langue :\n"
    "Aw bisimila baro la. Aw ye kan sugandi:\n"
    "1 Français\n"
    "2 Bamanankan"
)
LANGUAGE_MENU = "Choisissez votre langue :\nAw ye kan sugandi:\n1 Français\n2 Bamanankan"

CONSENT = {
    "fr": (
        "baro garde vos messages pour que les équipes de votre site vous répondent. "
        "Seul leur personnel les lit. Pour arrêter, envoyez STOP.\n"
        "1 J'accepte\n"
        "2 Je refuse"
    ),
    "bm": (
        "baro bɛ aw ka cikanw mara walasa aw ka sigida baarakɛlaw ka aw jaabi. "
        "Olu dɔrɔn de b'u kalan. Ka jɔ, aw ye STOP ci.\n"
        "1 N sɔnna\n"
        "2 N ma sɔn"
    ),
}
THANKS = {"fr": "Merci.", "bm": "Aw ni ce."}
REFUSED = {
    "fr": "C'est noté : rien sur vous n'est gardé. Écrivez-nous quand vous voulez.",
    "bm": "A faamuyara: foyi tɛ mara aw ko la. Aw bɛ se ka segin ka sɛbɛn tuma o tuma.",
}
MAIN_MENU = {
    "fr": (
        "Envoyez le numéro de votre choix :\n"
        "1 Signaler un problème\n"
        "2 Dire un besoin\n"
        "3 Assemblée citoyenne\n"
        "4 Signalement confidentiel\n"
        "5 Suivre une référence\n"
        "6 Langue"
    ),
    "bm": (
        "Aw ka sugandili nimɔrɔ ci:\n"
        "1 Gɛlɛya dɔ fɔ\n"
        "2 Mago dɔ fɔ\n"
        "3 Sigida lajɛ\n"
        "4 Gundo kunnafoni\n"
        "5 Nimɔrɔ dɔ kibaru\n"
        "6 Kan"
    ),
}
SITE_MENU = {
    "fr": "Sur quel site vivez-vous ?\n1 Niamana\n2 Sénou\n3 Faladié",
    "bm": "Aw sigilen bɛ sigida jumɛn na?\n1 Niamana\n2 Sénou\n3 Faladié",
}
COMPLAINT_CATEGORIES = {
    "fr": (
        "Votre plainte concerne :\n"
        "1 Abri\n2 Eau et assainissement\n3 Santé\n4 Nourriture\n"
        "5 Sécurité\n6 Papiers\n7 Éducation\n8 Autre"
    ),
    "bm": (
        "Aw ka gɛlɛya ye mun ko ye?\n"
        "1 Sigiyɔrɔ\n2 Ji ni saniya\n3 Kɛnɛya\n4 Dumuni\n"
        "5 Lakana\n6 Sɛbɛnw\n7 Kalan\n8 Wɛrɛ"
    ),
}
NEED_CATEGORIES = {
    "fr": (
        "De quoi avez-vous besoin ?\n"
        "1 Abri\n2 Eau et assainissement\n3 Santé\n4 Nourriture\n"
        "5 Sécurité\n6 Papiers\n7 Éducation\n8 Travail et revenus\n9 Autre"
    ),
    "bm": (
        "Aw mago bɛ mun na?\n"
        "1 Sigiyɔrɔ\n2 Ji ni saniya\n3 Kɛnɛya\n4 Dumuni\n"
        "5 Lakana\n6 Sɛbɛnw\n7 Kalan\n8 Baara ni sɔrɔ\n9 Wɛrɛ"
    ),
}
COMPLAINT_DESCRIPTION = {
    "fr": "Décrivez le problème en quelques mots.",
    "bm": "Aw ye gɛlɛya ɲɛfɔ kuma dama dɔ la.",
}
NEED_DESCRIPTION = {"fr": "Expliquez en quelques mots.", "bm": "Aw ye a ɲɛfɔ kuma dama dɔ la."}
COMPLAINT_DONE = {
    "fr": "Merci, votre plainte est enregistrée. Référence : {}. Pour la suivre, envoyez 5.",
    "bm": "Aw ni ce, aw ka gɛlɛya sɛbɛnna. Nimɔrɔ: {}. Ka a kibaru ɲini, aw ye 5 ci.",
}
NEED_DONE = {
    "fr": "Merci, votre besoin est enregistré. Référence : {}. Pour le suivre, envoyez 5.",
    "bm": "Aw ni ce, aw mago sɛbɛnna. Nimɔrɔ: {}. Ka a kibaru ɲini, aw ye 5 ci.",
}
NOT_OPEN = {
    "fr": "Ce service n'est pas encore ouvert. Envoyez MENU pour revenir.",
    "bm": "Nin baara ma daminɛ fɔlɔ. Aw ye MENU ci ka segin.",
}
PICK_A_NUMBER = {"fr": "Répondez avec un des numéros, svp.", "bm": "Aw ye nimɔrɔ dɔ ci, a ɲɛsinnen."}
WRITE_IN_WORDS = {"fr": "Écrivez votre message en mots, svp.", "bm": "Aw ye aw ka cikan sɛbɛn kumaw la."}
OPTED_OUT = {
    "fr": "Vous ne recevrez plus de messages de baro. Pour revenir, envoyez START.",
    "bm": "Cikan si tɛna bɔ baro la ka na aw ma tugun. Ka segin, aw ye START ci.",
}
WELCOME_BACK = {"fr": "Bon retour sur baro.", "bm": "Aw bisimila baro la tugun."}

REFERENCE = "K7Q2MX"  # what the conversation layer passes to render once the submission is stored

BOTH = pytest.mark.parametrize("lang", ["fr", "bm"])


def returning(phone, lang, **facts):
    """A person who chose `lang` and accepted the notice on an earlier day, writing again."""
    return phone(language=lang, consent=True, **facts)


def known(phone, lang, **facts):
    """A returning person who has just said hello and is looking at the main menu."""
    person = returning(phone, lang, **facts)
    assert person.send("Bonjour") == MAIN_MENU[lang]
    return person


# ---------------------------------------------------------------------------------------------
# First contact: language, then consent.


def test_a_number_never_seen_before_is_greeted_with_the_language_menu_in_both_languages(phone):
    person = phone()

    assert person.send("Bonjour") == WELCOME
    assert person.waiting_at == "welcome.language"
    assert person.actions == []


def test_a_first_message_of_1_does_not_skip_the_language_menu(phone):
    # Posters say "send 1 to report a problem", but someone new must first pick a language.
    person = phone()

    assert person.send("1") == WELCOME
    assert person.waiting_at == "welcome.language"
    assert person.actions == []


@pytest.mark.parametrize(("answer", "lang"), [("1", "fr"), ("2", "bm")])
def test_choosing_a_language_remembers_it_and_shows_the_consent_notice_in_it(phone, answer, lang):
    person = phone()
    person.send("Bonjour")

    assert person.send(answer) == CONSENT[lang]
    assert person.actions == ["set_language"]
    assert person.action("set_language").values["language"] == lang
    assert person.waiting_at == "welcome.consent"


@BOTH
def test_accepting_the_notice_thanks_the_person_and_shows_the_main_menu(phone, lang):
    person = phone()
    person.send("Bonjour")
    person.send("1" if lang == "fr" else "2")

    assert person.send("1") == THANKS[lang] + "\n" + MAIN_MENU[lang]
    assert person.actions == ["accept_consent"]
    assert person.action("accept_consent").values["language"] == lang
    assert person.waiting_at == "main.menu"


def test_the_main_menu_offers_six_numbered_choices(phone):
    person = phone()
    person.send("Bonjour")
    person.send("1")
    lines = person.send("1").splitlines()

    assert lines[1] == "Envoyez le numéro de votre choix :"
    assert [line.split(" ", 1)[0] for line in lines[2:]] == ["1", "2", "3", "4", "5", "6"]


@BOTH
def test_refusing_the_notice_says_goodbye_in_the_chosen_language_and_ends_the_conversation(phone, lang):
    person = phone()
    person.send("Bonjour")
    person.send("1" if lang == "fr" else "2")

    assert person.send("2") == REFUSED[lang]
    assert person.actions == ["refuse_consent"]
    assert person.action("refuse_consent").values["language"] == lang
    assert person.session is None


def test_after_refusing_and_writing_again_the_person_is_asked_for_a_language_again(phone):
    person = phone()
    person.send("Bonjour")
    person.send("1")
    person.send("2")

    assert person.send("Bonjour") == WELCOME


def test_someone_who_chose_a_language_but_never_accepted_sees_only_the_notice(phone):
    person = phone(language="bm")

    assert person.send("I ni ce") == CONSENT["bm"]
    assert person.waiting_at == "welcome.consent"


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
    assert turn.session == {"flow": "main", "state": "menu", "vars": {}}
    assert turn.actions == ()


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
    assert person.session is None


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
    person = returning(phone, "bm", site="faladie", session={"flow": "complaint", "state": "description", "vars": {"category": "food"}})

    person.send("  Dumuni tɛ sɔrɔ  \n", reference=REFERENCE)

    assert person.action("submit").values["text"] == "Dumuni tɛ sɔrɔ"


def test_the_confirmation_leaves_the_placeholder_visible_if_no_reference_was_given(phone):
    person = returning(phone, "fr", session={"flow": "complaint", "state": "description", "vars": {"category": "food"}})

    assert person.send("Rien à manger") == COMPLAINT_DONE["fr"].format("{reference}")


# ---------------------------------------------------------------------------------------------
# 2 Tell a need.


@BOTH
def test_a_need_asks_site_then_category_including_work_and_income_then_words(phone, lang):
    person = known(phone, lang)

    assert person.send("2") == SITE_MENU[lang]
    assert person.send("1") == NEED_CATEGORIES[lang]
    assert person.action("set_site").values["site"] == "niamana"
    assert person.send("8") == NEED_DESCRIPTION[lang]

    said = person.send("Je cherche du travail de maçon", reference=REFERENCE)
    assert said == NEED_DONE[lang].format(REFERENCE)
    submit = person.action("submit")
    assert (submit.arg, submit.values["category"], submit.values["site"], submit.values["text"]) == (
        "need",
        "livelihoods",
        "niamana",
        "Je cherche du travail de maçon",
    )
    assert person.session is None


def test_a_need_does_not_ask_the_site_again_when_it_is_known(phone):
    person = known(phone, "bm", site="senou")

    assert person.send("2") == NEED_CATEGORIES["bm"]
    assert person.send("9") == NEED_DESCRIPTION["bm"]
    person.send("Mago bɛ ...", reference=REFERENCE)
    assert (person.action("submit").values["category"], person.action("submit").values["site"]) == ("other", "senou")


# ---------------------------------------------------------------------------------------------
# 6 Language, and 3 4 5 not open yet.


def test_changing_language_shows_the_language_menu_then_the_main_menu_in_the_new_language(phone):
    person = known(phone, "fr")

    assert person.send("6") == LANGUAGE_MENU
    assert person.waiting_at == "main.language"

    assert person.send("2") == MAIN_MENU["bm"]
    assert person.actions == ["set_language"]
    assert person.action("set_language").values["language"] == "bm"
    assert person.waiting_at == "main.menu"


def test_after_changing_language_the_next_question_is_in_the_new_language(phone):
    person = known(phone, "bm", site="niamana")
    person.send("6")
    person.send("1")

    assert person.send("1") == COMPLAINT_CATEGORIES["fr"]


@BOTH
@pytest.mark.parametrize("choice", ["3", "4", "5"])
def test_services_not_open_yet_say_so_and_end_the_conversation(phone, lang, choice):
    person = known(phone, lang)

    assert person.send(choice) == NOT_OPEN[lang]
    assert person.actions == []
    assert person.session is None


# ---------------------------------------------------------------------------------------------
# Answers that are not answers.


@BOTH
@pytest.mark.parametrize("answer", ["9", "0", "oui", "12"])
def test_an_answer_not_in_the_main_menu_repeats_it_with_a_hint(phone, lang, answer):
    person = known(phone, lang)

    assert person.send(answer) == PICK_A_NUMBER[lang] + "\n" + MAIN_MENU[lang]
    assert person.actions == []
    assert person.waiting_at == "main.menu"


@BOTH
def test_an_answer_not_in_a_category_menu_repeats_it_and_keeps_what_was_answered(phone, lang):
    person = known(phone, lang)
    person.send("1")
    person.send("3")  # Faladié

    assert person.send("10") == PICK_A_NUMBER[lang] + "\n" + COMPLAINT_CATEGORIES[lang]
    assert person.waiting_at == "complaint.category"
    assert person.session["vars"]["site"] == "faladie"

    person.send("1")
    person.send("Le toit fuit", reference=REFERENCE)
    assert person.action("submit").values["site"] == "faladie"


def test_an_answer_not_in_the_language_menu_repeats_it_with_the_hint_in_both_languages(phone):
    person = phone()
    person.send("Bonjour")

    assert person.send("3") == PICK_A_NUMBER["fr"] + "\n" + PICK_A_NUMBER["bm"] + "\n" + WELCOME
    assert person.waiting_at == "welcome.language"
    assert person.actions == []


@BOTH
def test_an_answer_not_in_the_consent_menu_repeats_the_notice(phone, lang):
    person = phone(language=lang)
    person.send("Bonjour")

    assert person.send("ok") == PICK_A_NUMBER[lang] + "\n" + CONSENT[lang]
    assert person.waiting_at == "welcome.consent"
    assert person.actions == []


@BOTH
@pytest.mark.parametrize("empty", ["", "   ", "\n\t "])
def test_an_empty_description_asks_for_words_and_waits_for_them(phone, lang, empty):
    person = known(phone, lang, site="niamana")
    person.send("1")
    person.send("4")

    assert person.send(empty) == WRITE_IN_WORDS[lang] + "\n" + COMPLAINT_DESCRIPTION[lang]
    assert person.actions == []
    assert person.waiting_at == "complaint.description"
    assert person.session["vars"]["category"] == "food"


@pytest.mark.parametrize("empty", ["", "  "])
def test_an_empty_answer_to_a_menu_repeats_the_menu(phone, empty):
    person = known(phone, "fr")

    assert person.send(empty) == PICK_A_NUMBER["fr"] + "\n" + MAIN_MENU["fr"]
    assert person.waiting_at == "main.menu"


# ---------------------------------------------------------------------------------------------
# Forgiving answers.


@pytest.mark.parametrize("answer", ["1", "1.", " 1) ", "1 )", "1-", "1:", "１"])
def test_a_number_with_punctuation_or_spaces_around_it_is_that_number(phone, answer):
    person = known(phone, "fr")

    assert person.send(answer) == SITE_MENU["fr"]
    assert person.waiting_at == "complaint.site"


@pytest.mark.parametrize("answer", ["2.", " 2) "])
def test_the_language_menu_takes_a_number_with_punctuation(phone, answer):
    person = phone()
    person.send("Bonjour")

    assert person.send(answer) == CONSENT["bm"]
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
    ("answer", "lang"), [("Français", "fr"), ("francais", "fr"), ("FRANCAIS", "fr"), ("Bamanankan", "bm"), ("bamanankan", "bm")]
)
def test_the_language_menu_takes_the_language_name_as_written_on_the_screen(phone, answer, lang):
    person = phone()
    person.send("Bonjour")

    assert person.send(answer) == CONSENT[lang]


# ---------------------------------------------------------------------------------------------
# Keywords: MENU, STOP, START.


@pytest.mark.parametrize("word", ["MENU", "menu", "Menu.", "SEGIN", "segin", " Segin "])
def test_menu_returns_to_the_main_menu_from_the_middle_of_a_complaint(phone, word):
    person = known(phone, "bm")
    person.send("1")
    person.send("1")

    assert person.send(word) == MAIN_MENU["bm"]
    assert person.actions == []
    assert person.session == {"flow": "main", "state": "menu", "vars": {}}


def test_menu_written_as_the_description_returns_to_the_menu_instead_of_submitting(phone):
    person = known(phone, "fr", site="niamana")
    person.send("1")
    person.send("1")

    assert person.send("menu") == MAIN_MENU["fr"]
    assert person.actions == []


def test_menu_from_a_number_never_seen_before_shows_the_language_menu(phone):
    assert phone().send("MENU") == WELCOME


@BOTH
@pytest.mark.parametrize("word", ["STOP", "stop", "Arrêt", "ARRET", "arrêter", "JƆ", "jo", "A JƆ", "a jɔ"])
def test_stop_opts_out_with_a_confirmation_and_ends_the_conversation(phone, lang, word):
    person = known(phone, lang, site="niamana")
    person.send("1")

    assert person.send(word) == OPTED_OUT[lang]
    assert person.turn.actions == (Action("opt_out", None, {}),)
    assert person.session is None


@pytest.mark.parametrize("message", ["Bonjour", "1", "6", "MENU", "SEGIN", "", "Je veux signaler un problème"])
def test_an_opted_out_number_is_sent_nothing_and_nothing_is_done(phone, message):
    person = returning(phone, "fr", opted_out=True, session={"flow": "main", "state": "menu", "vars": {}})

    assert person.send(message) == ""
    assert person.turn.replies == ()
    assert person.turn.actions == ()
    assert person.session is None


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
# Sessions left behind by an older version of the flows.


@pytest.mark.parametrize(
    "stale",
    [
        {"flow": "survey", "state": "q1", "vars": {"answer": "3"}},
        {"flow": "complaint", "state": "photo", "vars": {"category": "health"}},
        {"flow": "complaint"},
        {},
    ],
)
def test_a_session_in_a_flow_or_state_that_no_longer_exists_starts_again_cleanly(phone, stale):
    person = returning(phone, "bm", session=stale)

    assert person.send("I ni ce") == MAIN_MENU["bm"]
    assert person.session == {"flow": "main", "state": "menu", "vars": {}}
    assert person.actions == []


def test_an_answer_to_a_question_that_no_longer_exists_is_not_guessed_into_another_flow(phone):
    person = returning(phone, "fr", session={"flow": "complaint", "state": "photo", "vars": {"category": "food"}})

    assert person.send("1") == MAIN_MENU["fr"]
    assert person.waiting_at == "main.menu"
    assert person.actions == []


def test_a_stale_session_of_a_new_number_shows_the_language_menu(phone):
    assert phone(session={"flow": "onboarding", "state": "ask", "vars": {}}).send("Salut") == WELCOME


def test_a_session_without_vars_is_still_answered(phone):
    person = returning(phone, "fr", session={"flow": "main", "state": "menu"})

    assert person.send("1") == SITE_MENU["fr"]


def test_a_session_left_at_a_message_that_no_longer_waits_starts_again(phone):
    person = returning(phone, "fr", session={"flow": "complaint", "state": "done", "vars": {}})

    assert person.send("Bonjour") == MAIN_MENU["fr"]


# ---------------------------------------------------------------------------------------------
# A loop of messages in a flow is refused, not spun forever.


def test_a_loop_of_plain_messages_raises_instead_of_hanging(tmp_path, make_context):
    for name, body in {
        "welcome": "start: a\nstates:\n  a:\n    prompt: A\n    next: b\n  b:\n    prompt: B\n    next: a\n",
        "main": "start: menu\nstates:\n  menu:\n    prompt: M\n    options:\n      - {label: X, next: menu}\n",
    }.items():
        (tmp_path / f"{name}.yaml").write_text(body, encoding="utf-8")

    with pytest.raises(RuntimeError, match="flow loop"):
        step(load_flows(tmp_path), None, make_context(), "hello")


# ---------------------------------------------------------------------------------------------
# The engine is pure.

SCENARIOS = [
    pytest.param(None, {}, "Bonjour", id="first-contact"),
    pytest.param({"flow": "welcome", "state": "language", "vars": {}}, {}, "2", id="choose-language"),
    pytest.param({"flow": "welcome", "state": "consent", "vars": {"language": "fr"}}, {"language": "fr"}, "1", id="accept"),
    pytest.param({"flow": "main", "state": "menu", "vars": {}}, {"language": "fr", "consent": True}, "9", id="invalid"),
    pytest.param(None, {"language": "fr", "consent": True}, "1", id="returning-first-message-1"),
    pytest.param({"flow": "complaint", "state": "site", "vars": {}}, {"language": "fr", "consent": True}, "2", id="site"),
    pytest.param(
        {"flow": "complaint", "state": "description", "vars": {"site": "senou", "category": "food"}},
        {"language": "bm", "consent": True},
        "Dumuni tɛ",
        id="submit",
    ),
    pytest.param({"flow": "main", "state": "language", "vars": {}}, {"language": "fr", "consent": True}, "2", id="relanguage"),
    pytest.param({"flow": "main", "state": "menu", "vars": {}}, {"language": "fr", "consent": True}, "STOP", id="stop"),
    pytest.param(None, {"language": "fr", "consent": True, "opted_out": True}, "START", id="opt-in"),
]


@pytest.mark.parametrize(("session", "facts", "text"), SCENARIOS)
def test_the_same_message_in_the_same_situation_gives_the_same_turn(flows, make_context, session, facts, text):
    session, context = copy.deepcopy(session), make_context(**facts)

    first = step(flows, session, context, text)
    second = step(flows, session, context, text)

    assert first == second
    assert first.replies or first.actions  # a real turn, not two empty ones


@pytest.mark.parametrize(("session", "facts", "text"), SCENARIOS)
def test_the_engine_does_not_change_the_session_or_the_facts_it_is_given(flows, make_context, session, facts, text):
    session, context = copy.deepcopy(session), make_context(**facts)
    session_before, facts_before = copy.deepcopy(session), copy.deepcopy(dict(context.facts))

    turn = step(flows, session, context, text)

    assert session == session_before
    assert dict(context.facts) == facts_before
    if session is not None and turn.session is not None:
        turn.session["vars"]["later"] = "changed by the caller"
        assert "later" not in session.get("vars", {})
