"""What a person on the phone sees, message by message, in French and in Bambara.

Each test sends SMS through the pure engine (`step`), renders the replies with the real
catalogues, and checks the text on the screen, the question the next message answers and
the actions handed to the conversation layer.
"""

import copy
from datetime import UTC, datetime, timedelta, timezone

import pytest
from babel.dates import format_datetime

from bot.actions.sign_up import SIGNED_UP, WAITLISTED
from bot.actions.status_texts import NOT_FOUND, STATUS
from bot.engine.flow import Text, load_flows
from bot.engine.interpreter import Action, Choice, start, step
from bot.engine.texts import HELP
from bot.flows import REGISTRY

# ---------------------------------------------------------------------------------------------
# The screens, as the person reads them.
#
# Pinned word for word here, except the texts whose wording is tuned to fit (at most 2 SMS parts,
# a 182-character USSD screen, and in French no ê, ô or ç, which force the costlier UCS-2 encoding):
# those are read from the translators' catalogues by the `screen` fixture below, so that the next
# rewording is a change to the .po files alone. Around them the tests still pin which screen comes,
# in which language, with which options and which values filled in.

LANGUAGE_OPTIONS = "1 Français\n2 Bamanankan"
LANGUAGE_MENU = "Choisissez votre langue :\nAw ye kan sugandi:\n" + LANGUAGE_OPTIONS
CONSENT_OPTIONS = {"fr": "1 J'accepte\n2 Je refuse", "bm": "1 N sɔnna\n2 N ma sɔn"}
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
PICK_A_NUMBER = {"fr": "Répondez avec un des numéros, svp.", "bm": "Aw ye nimɔrɔ dɔ ci, a ɲɛsinnen."}
WRITE_IN_WORDS = {"fr": "Écrivez votre message en mots, svp.", "bm": "Aw ye aw ka cikan sɛbɛn kumaw la."}
OPTED_OUT = {
    "fr": "Vous ne recevrez plus de messages de baro. Pour revenir, envoyez START.",
    "bm": "Cikan si tɛna bɔ baro la ka na aw ma tugun. Ka segin, aw ye START ci.",
}
WELCOME_BACK = {"fr": "Bon retour sur baro.", "bm": "Aw bisimila baro la tugun."}

REFERENCE = "K7Q2MX"  # what the conversation layer passes to render once the submission is stored

BOTH = pytest.mark.parametrize("lang", ["fr", "bm"])

# After a flow's last message (a confirmation, a status), a person who has consented waits quietly at
# the main menu, so that the confirmation's "send 5" is read as a main-menu answer at once.
PARKED = {"flow": "main", "state": "menu", "vars": {}, "parked": True}


class Screens:
    """The screens whose wording is tuned for length, as the person reads them, from the real catalogues."""

    def __init__(self, flows, catalogues):
        self.flows = flows
        self.catalogues = catalogues

    def text(self, lang: str, text: Text) -> str:
        """`text` translated into `lang`; a missing translation fails here instead of matching the English."""
        translated = self.catalogues.translated(lang, text)
        assert translated, f"no `{lang}` translation of {text}"
        return translated

    def prompt(self, lang: str, name: str) -> str:
        """The prompt of the state `flow.state` in `lang`, its {placeholders} left in."""
        flow, state = name.split(".")
        return self.text(lang, self.flows.state(flow, state).prompt)

    @property
    def welcome(self) -> str:
        """The first screen of a number never seen before: the greeting in every language, then the languages."""
        greetings = [self.prompt(lang, "welcome.language") for lang in self.catalogues.languages]
        return "\n".join([*greetings, LANGUAGE_OPTIONS])

    def consent(self, lang: str) -> str:
        return f"{self.prompt(lang, 'welcome.consent')}\n{CONSENT_OPTIONS[lang]}"

    def help(self, lang: str | None) -> str:
        """HELP in the person's language; in every language before one is chosen."""
        languages = (lang,) if lang else self.catalogues.languages
        return "\n".join(self.text(language, HELP) for language in languages)

    def assemblies(self, lang: str, *lines: str) -> str:
        """The assembly list: the question, then one numbered line per assembly of the person's site."""
        numbered = (f"{number} {line}" for number, line in enumerate(lines, start=1))
        return "\n".join([self.prompt(lang, "assembly.pick"), *numbered])

    def niamana_assemblies(self, lang: str) -> str:
        return self.assemblies(
            lang,
            f"Assemblée des femmes, {written(FEMMES, lang)}, Centre de santé",
            f"Assemblée des jeunes, {written(JEUNES, lang)}, Terrain",
            f"Assemblée générale, {written(GENERALE, lang)}, Mosquée",
        )

    def senou_assemblies(self, lang: str) -> str:
        return self.assemblies(lang, f"Assemblée de Sénou, {written(SENOU_DAY, lang)}, École B")

    def signed(self, lang: str, outcome: Text, reference: str) -> str:
        """The end of a sign-up: what it did (signed up, or on the waiting list), then its reference."""
        return SIGNED[lang].format(signup=self.text(lang, outcome), reference=reference)

    def already(self, lang: str, reference: str) -> str:
        return self.prompt(lang, "assembly.already").format(assembly_reference=reference)

    def confidential_what(self, lang: str) -> str:
        return f"{self.prompt(lang, 'confidential.what')}\n{WHAT_HAPPENED_OPTIONS[lang]}"

    def followup_menu(self, lang: str, *references: str) -> str:
        numbered = (f"{number} {reference}" for number, reference in enumerate(references, start=1))
        return "\n".join([self.prompt(lang, "followup.reference"), *numbered])

    def status(self, lang: str, reference: str, status: Text) -> str:
        """The follow-up's answer: the reference, then what became of it, in the person's language."""
        return STATUS_REPLY[lang].format(reference, self.text(lang, status))


@pytest.fixture(scope="session")
def screen(flows, catalogues) -> Screens:
    return Screens(flows, catalogues)


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
    assert person.position == PARKED


def test_a_need_does_not_ask_the_site_again_when_it_is_known(phone):
    person = known(phone, "bm", site="senou")

    assert person.send("2") == NEED_CATEGORIES["bm"]
    assert person.send("9") == NEED_DESCRIPTION["bm"]
    person.send("Mago bɛ ...", reference=REFERENCE)
    assert (person.action("submit").values["category"], person.action("submit").values["site"]) == ("other", "senou")


# ---------------------------------------------------------------------------------------------
# 3 Citizen assembly: the assemblies of the person's site, a confirmation, a sign-up.
# The conftest's ASSEMBLIES: Sénou has one; Niamana three (the 2nd full, the 3rd already theirs);
# Faladié none.

FEMMES = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)
JEUNES = datetime(2026, 12, 5, 9, 30, tzinfo=UTC)
GENERALE = datetime(2026, 12, 12, 15, 0, tzinfo=UTC)
SENOU_DAY = datetime(2026, 11, 28, 16, 0, tzinfo=UTC)


def written(when: datetime, lang: str) -> str:
    """A date as the person reads it: day and month names of their language, from Babel's CLDR data."""
    return format_datetime(when, "EEEE d MMMM, HH:mm", tzinfo=UTC, locale=lang)


YES_NO = {"fr": "\n1 Oui\n2 Non", "bm": "\n1 Ɔwɔ\n2 Ayi"}
CONFIRM = {
    "fr": "Vous inscrire à {}, {} ?" + YES_NO["fr"],
    "bm": "Aw bɛ aw tɔgɔ sɛbɛn {} la, {} wa?" + YES_NO["bm"],
}
# {signup} is what the sign-up did (bot/outcomes.py SIGNED_UP or WAITLISTED), passed in by the conversation layer.
SIGNED = {"fr": "{signup} Référence : {reference}.", "bm": "{signup} Nimɔrɔ: {reference}."}
FULL = {
    "fr": "Cette assemblée est complète. Rejoindre la liste d'attente ?" + YES_NO["fr"],
    "bm": "Nin lajɛ fara. Aw bɛ aw tɔgɔ sɛbɛn makɔnɔli lisi kan wa?" + YES_NO["bm"],
}
NONE_COMING = {
    "fr": (
        "Aucune assemblée n'est prévue sur votre site pour l'instant. "
        "Voulez-vous un message quand la prochaine sera annoncée ?" + YES_NO["fr"]
    ),
    "bm": (
        "Lajɛ si ma labɛn aw ka sigida la fɔlɔ. "
        "Aw b'a fɛ an ka lajɛ nata kibaru di aw ma wa?" + YES_NO["bm"]
    ),
}
NOTED = {
    "fr": "C'est noté : nous vous écrirons quand la prochaine assemblée sera annoncée.",
    "bm": "A sɛbɛnna: ni lajɛ nata fɔra, an bɛna cikan ci aw ma.",
}
SIGNUP_REFERENCE = "W8N4TC"


def test_assembly_dates_are_written_out_in_each_language():
    # The French is pinned word for word; the Bambara names come from Babel's `bm` locale.
    assert written(FEMMES, "fr") == "dimanche 29 novembre, 10:00"
    assert written(JEUNES, "fr") == "samedi 5 décembre, 09:30"
    bambara = written(FEMMES, "bm")
    assert bambara.startswith(format_datetime(FEMMES, "EEEE", locale="bm") + " 29 ")
    assert bambara.endswith(", 10:00")
    assert "dimanche" not in bambara and "novembre" not in bambara


@BOTH
def test_an_assembly_sign_up_lists_the_sites_assemblies_then_confirms_and_signs_up(phone, screen, lang):
    person = known(phone, lang, site="niamana")

    assert person.send("3") == screen.niamana_assemblies(lang)  # the site is known: not asked again
    assert person.actions == []
    assert person.waiting_at == "assembly.pick"

    assert person.send("1") == CONFIRM[lang].format("Assemblée des femmes", written(FEMMES, lang))
    assert person.actions == []
    assert person.waiting_at == "assembly.confirm"

    said = person.send("1", reference=SIGNUP_REFERENCE, signup=SIGNED_UP)
    assert said == screen.signed(lang, SIGNED_UP, SIGNUP_REFERENCE)
    assert person.actions == ["sign_up"]
    sign_up = person.action("sign_up")
    assert sign_up.arg == "confirmed"
    assert {
        key: sign_up.values.get(key) for key in ("assembly", "site", "language", "assembly_title", "assembly_when")
    } == {
        "assembly": "11",
        "site": "niamana",
        "language": lang,
        "assembly_title": "Assemblée des femmes",
        "assembly_when": FEMMES,
    }
    assert person.position == PARKED


@BOTH
def test_an_assembly_sign_up_asks_the_site_first_when_it_is_not_known(phone, screen, lang):
    person = known(phone, lang)

    assert person.send("3") == SITE_MENU[lang]
    assert person.waiting_at == "assembly.site"

    assert person.send("2") == screen.senou_assemblies(lang)
    assert person.actions == ["set_site"]
    assert person.action("set_site").values["site"] == "senou"

    assert person.send("1") == CONFIRM[lang].format("Assemblée de Sénou", written(SENOU_DAY, lang))
    person.send("1", reference=SIGNUP_REFERENCE, signup=SIGNED_UP)
    assert (person.action("sign_up").arg, person.action("sign_up").values["assembly"]) == ("confirmed", "21")


@BOTH
def test_the_list_is_numbered_from_1_among_the_sites_assemblies_only(phone, lang):
    # In the data, Sénou's assembly comes first and Niamana's full one third: at Niamana it is 2.
    person = known(phone, lang, site="niamana")
    person.send("3")

    assert person.send("2") == FULL[lang]
    assert person.position["vars"]["assembly"] == "12"


@BOTH
def test_saying_no_to_the_confirmation_returns_to_the_main_menu_without_signing_up(phone, screen, lang):
    person = known(phone, lang, site="niamana")
    person.send("3")
    person.send("1")

    assert person.send("2") == MAIN_MENU[lang]
    assert person.actions == []
    assert person.waiting_at == "main.menu"
    assert person.send("4").startswith(screen.confidential_what(lang))  # and the menu answers as usual


@BOTH
def test_a_full_assembly_offers_its_waiting_list_and_yes_puts_the_person_on_it(phone, screen, lang):
    person = known(phone, lang, site="niamana")
    person.send("3")

    assert person.send("2") == FULL[lang]
    assert person.actions == []
    assert person.waiting_at == "assembly.full"

    said = person.send("1", reference=SIGNUP_REFERENCE, signup=WAITLISTED)
    assert said == screen.signed(lang, WAITLISTED, SIGNUP_REFERENCE)
    assert person.actions == ["sign_up"]
    assert (person.action("sign_up").arg, person.action("sign_up").values["assembly"]) == ("waitlist", "12")
    assert person.position == PARKED


@BOTH
def test_no_to_the_waiting_list_returns_to_the_main_menu(phone, lang):
    person = known(phone, lang, site="niamana")
    person.send("3")
    person.send("2")

    assert person.send("2") == MAIN_MENU[lang]
    assert person.actions == []
    assert person.waiting_at == "main.menu"


@BOTH
def test_an_assembly_the_person_is_already_signed_up_for_says_so_with_its_reference(phone, screen, lang):
    person = known(phone, lang, site="niamana")
    person.send("3")

    assert person.send("3", reference="OTHER1") == screen.already(lang, "M4RX7Q")  # the sign-up's own reference
    assert person.actions == []
    assert person.position == PARKED


@BOTH
def test_already_signed_up_wins_over_full(phone, screen, lang, make_assembly):
    mine_and_full = make_assembly(
        31, "niamana", "Assemblée du marché", JEUNES, "Marché", full=True, mine=True, reference="H3JK9P"
    )
    person = known(phone, lang, site="niamana", choices={"assemblies": (mine_and_full,)})
    person.send("3")

    assert person.send("1") == screen.already(lang, "H3JK9P")
    assert person.actions == []


@BOTH
def test_a_site_without_assemblies_says_so_and_yes_asks_to_be_told_of_the_next(phone, lang):
    person = known(phone, lang, site="faladie")

    assert person.send("3") == NONE_COMING[lang]
    assert person.waiting_at == "assembly.none_coming"

    assert person.send("1") == NOTED[lang]
    assert person.actions == ["notify_assemblies"]
    assert person.action("notify_assemblies").values["site"] == "faladie"
    assert person.position == PARKED


@BOTH
def test_no_assembly_anywhere_and_no_to_being_told_returns_to_the_main_menu(phone, lang):
    person = known(phone, lang, site="niamana", choices={"assemblies": ()})

    assert person.send("3") == NONE_COMING[lang]
    assert person.send("2") == MAIN_MENU[lang]
    assert person.actions == []


@BOTH
def test_choosing_a_site_with_no_assembly_goes_straight_to_the_offer_to_be_told(phone, lang):
    person = known(phone, lang)
    person.send("3")

    assert person.send("3") == NONE_COMING[lang]  # Faladié
    assert person.actions == ["set_site"]
    assert person.send("1") == NOTED[lang]
    assert person.action("notify_assemblies").values["site"] == "faladie"


@BOTH
def test_an_assembly_of_another_site_is_never_listed_nor_selectable(phone, screen, lang):
    person = known(phone, lang, site="senou")

    said = person.send("3")
    assert said == screen.senou_assemblies(lang)
    assert "Niamana" not in said and "femmes" not in said and "jeunes" not in said

    # Sénou has one assembly: "2" is no answer, even though the data holds four.
    assert person.send("2") == PICK_A_NUMBER[lang] + "\n" + screen.senou_assemblies(lang)
    assert person.waiting_at == "assembly.pick"
    # Nor is an assembly's id (the Niamana one is 11), nor its title.
    assert person.send("11") == PICK_A_NUMBER[lang] + "\n" + screen.senou_assemblies(lang)
    assert person.send("Assemblée des femmes") == PICK_A_NUMBER[lang] + "\n" + screen.senou_assemblies(lang)
    assert person.actions == []


@BOTH
def test_only_other_sites_assemblies_count_as_none_at_the_persons_site(phone, lang, make_assembly):
    elsewhere = (make_assembly(41, "senou", "Assemblée de Sénou", SENOU_DAY, "École B"),)
    person = known(phone, lang, site="niamana", choices={"assemblies": elsewhere})

    assert person.send("3") == NONE_COMING[lang]


@BOTH
def test_an_answer_not_in_the_assembly_list_repeats_it_with_the_hint(phone, screen, lang):
    person = known(phone, lang, site="niamana")
    person.send("3")

    assert person.send("4") == PICK_A_NUMBER[lang] + "\n" + screen.niamana_assemblies(lang)
    assert person.waiting_at == "assembly.pick"
    assert person.send("1") == CONFIRM[lang].format("Assemblée des femmes", written(FEMMES, lang))


def test_an_assembly_time_is_written_in_the_deployments_timezone(phone, screen, make_assembly):
    # Stored at 11:00 in UTC+1, it is 10:00 in Bamako (UTC, the catalogues' timezone here).
    at = datetime(2026, 11, 29, 11, 0, tzinfo=timezone(timedelta(hours=1)))
    person = known(
        phone, "fr", site="niamana", choices={"assemblies": (make_assembly(51, "niamana", "AG", at, "Ici"),)}
    )

    assert person.send("3") == screen.assemblies("fr", "AG, dimanche 29 novembre, 10:00, Ici")
    assert person.send("1") == CONFIRM["fr"].format("AG", "dimanche 29 novembre, 10:00")


def test_the_sign_up_reply_leaves_its_placeholders_visible_if_nothing_was_passed(phone):
    person = known(phone, "fr", site="niamana")
    person.send("3")
    person.send("1")

    assert person.send("1") == SIGNED["fr"]


# ---------------------------------------------------------------------------------------------
# 4 Confidential report: what happened, more words if wished, whether and how to call back.

WHAT_HAPPENED_OPTIONS = {
    "fr": "1 Violence\n2 Abus ou exploitation\n3 Menace\n4 Autre chose",
    "bm": "1 Fariyakɛ\n2 Tɔɔrɔli walima nafaɲini\n3 Bagabagali\n4 Fɛn wɛrɛ",
}
CONFIDENTIAL_DETAILS = {
    "fr": "Si vous le souhaitez, dites-en plus en quelques mots.\n0 Continuer sans rien ajouter",
    "bm": "Ni aw b'a fɛ, aw ye a ɲɛfɔ kuma dama dɔ la.\n0 Taa ɲɛ, fɛn wɛrɛ fɔbali",
}
CALLBACK = {
    "fr": (
        "Pouvons-nous vous rappeler sans danger ?\n"
        "1 Oui, à ce numéro\n2 Oui, à un autre numéro ou à une heure précise\n3 Non, ne m'appelez pas"
    ),
    "bm": (
        "An bɛ se ka aw wele lakana la wa?\n"
        "1 Ɔwɔ, nin nimɔrɔ in kan\n2 Ɔwɔ, nimɔrɔ wɛrɛ kan walima waati dɔ la\n3 Ayi, aw kana n wele"
    ),
}
CALLBACK_HOW = {
    "fr": "Écrivez le numéro et l'heure où l'on peut appeler sans danger.",
    "bm": "Nimɔrɔ ni waati sɛbɛn, min na welekan ka lakana.",
}
CONFIDENTIAL_DONE = {
    "fr": "Merci de votre confiance. Seul le responsable de la protection lira ceci, et agira vite. Référence : {}.",
    "bm": (
        "Aw ni ce aw ka dannaya la. Lakanali baarakɛla dɔrɔn de bɛna nin kalan, a bɛna a ɲɛnabɔ joona. "
        "Nimɔrɔ: {}."
    ),
}


class Transcript:
    """Every action a conversation triggered, message after message."""

    def __init__(self, person):
        self.person = person
        self.actions = []

    def send(self, text: str, **outcome) -> str:
        said = self.person.send(text, **outcome)
        self.actions.extend(self.person.turn.actions)
        return said


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

    assert chat.send("1", reference=REFERENCE) == CONFIDENTIAL_DONE[lang].format(REFERENCE)
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
    assert chat.send("3", reference=REFERENCE) == CONFIDENTIAL_DONE[lang].format(REFERENCE)

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
    assert said == CONFIDENTIAL_DONE[lang].format(REFERENCE)
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
# 5 Follow a reference: one of the person's own, by its number in the list, or typed.

MY_REFERENCES = {"my_references": (Choice("K7Q2MX", "K7Q2MX"), Choice("P3HW9A", "P3HW9A"))}
TYPE_REFERENCE = {
    "fr": "Envoyez votre référence (6 lettres et chiffres) :",
    "bm": "Aw ka nimɔrɔ ci (sɛbɛnden ni jateden 6):",
}
STATUS_REPLY = {"fr": "Référence {} : {}", "bm": "Nimɔrɔ {}: {}"}  # then the status, from bot/outcomes.py


@BOTH
def test_follow_up_lists_the_persons_references_and_a_number_picks_one(phone, screen, lang):
    person = known(phone, lang, choices=MY_REFERENCES)

    assert person.send("5") == screen.followup_menu(lang, "K7Q2MX", "P3HW9A")
    assert person.waiting_at == "followup.reference"
    assert person.actions == []

    said = person.send("2", reference="P3HW9A", status=STATUS["in_progress"])
    assert said == screen.status(lang, "P3HW9A", STATUS["in_progress"])
    assert person.actions == ["lookup_reference"]
    assert person.action("lookup_reference").values["reference"] == "P3HW9A"
    assert person.position == PARKED


@BOTH
def test_follow_up_takes_a_reference_typed_instead_of_a_number(phone, screen, lang):
    person = known(phone, lang, choices=MY_REFERENCES)
    person.send("5")

    # The conversation layer cleans what was typed (bot/effects.py) and passes it back to quote.
    said = person.send(" k7mp3x ", reference="K7MP3X", status=STATUS["in_progress"])
    assert said == screen.status(lang, "K7MP3X", STATUS["in_progress"])
    assert person.actions == ["lookup_reference"]
    assert person.action("lookup_reference").values["reference"] == "k7mp3x"  # as typed, spaces around dropped
    assert person.position == PARKED


def test_a_listed_reference_typed_in_lower_case_is_that_choice(phone):
    person = known(phone, "fr", choices=MY_REFERENCES)
    person.send("5")
    person.send("p3hw9a")

    assert person.action("lookup_reference").values["reference"] == "P3HW9A"


@BOTH
def test_follow_up_without_references_asks_to_type_one(phone, screen, lang):
    person = known(phone, lang, choices={"my_references": ()})

    assert person.send("5") == TYPE_REFERENCE[lang]
    assert person.waiting_at == "followup.type_reference"
    assert person.actions == []

    said = person.send("K7Q2MX", reference="K7Q2MX", status=STATUS["in_progress"])
    assert said == screen.status(lang, "K7Q2MX", STATUS["in_progress"])
    assert person.actions == ["lookup_reference"]
    assert person.action("lookup_reference").values["reference"] == "K7Q2MX"
    assert person.position == PARKED


@BOTH
def test_follow_up_status_quotes_the_not_found_text_in_the_persons_language(phone, screen, lang):
    person = known(phone, lang)
    person.send("5")

    said = person.send("ZZZZZZ", reference="ZZZZZZ", status=NOT_FOUND)
    assert said == screen.status(lang, "ZZZZZZ", NOT_FOUND)


@BOTH
def test_an_empty_reference_asks_for_it_again(phone, lang):
    person = known(phone, lang)
    person.send("5")

    assert person.send("  ") == WRITE_IN_WORDS[lang] + "\n" + TYPE_REFERENCE[lang]
    assert person.actions == []
    assert person.waiting_at == "followup.type_reference"


# ---------------------------------------------------------------------------------------------
# 6 Language.


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
        "5": TYPE_REFERENCE[lang],  # the conftest's person has sent nothing yet: no reference to list
    }

    assert person.send(choice) == first_screen[choice]
    assert person.actions == []
    assert person.waiting_at == waiting_at


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
    assert person.position["vars"]["site"] == "faladie"

    person.send("1")
    person.send("Le toit fuit", reference=REFERENCE)
    assert person.action("submit").values["site"] == "faladie"


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
    assert said == screen.signed(lang, SIGNED_UP, SIGNUP_REFERENCE)
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
    assert person.action("sign_up").arg == "waitlist"

    person = known(phone, lang, site="faladie")
    person.send("3")
    assert person.send(answer) == NOTED[lang]
    assert person.actions == ["notify_assemblies"]


@BOTH
@pytest.mark.parametrize(("answer", "callback"), [("1.", "this_number"), ("3)", "no"), (" 3 ", "no")])
def test_the_new_menus_take_a_number_with_punctuation(phone, lang, answer, callback):
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
    pytest.param(["3", "3"], None, id="already-signed-up"),
    pytest.param(["3", "1"], {"assemblies": ()}, id="told-of-the-next"),
    pytest.param(["4", "1", "0", "3"], None, id="confidential"),
    pytest.param(["5", "1"], MY_REFERENCES, id="follow-up"),
]


def to_the_end(phone, lang, answers, choices=None):
    """A person at Niamana who has gone from the main menu through `answers` to a flow's last message;
    `person.said` is that message."""
    person = known(phone, lang, site="niamana", choices=choices)
    for answer in answers:
        person.said = person.send(answer, reference=REFERENCE, signup=SIGNED_UP, status=STATUS["new"])
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
def test_right_after_a_confirmation_5_opens_the_follow_up_as_the_confirmation_says(
    phone, screen, lang, choice, done
):
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
@pytest.mark.parametrize("thanks", ["merci", "Merci beaucoup !", "Aw ni ce", "ok", "9", "Le toit fuit aussi", ""])
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


# Nothing of one flow's answers is carried into the next: after MENU or a finished flow the session
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
@pytest.mark.parametrize("word", ["STOP", "stop", "Arrêt", "ARRET", "arrêter", "JƆ", "jo", "A JƆ", "a jɔ"])
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
    assert person.position["vars"] == {"site": "faladie", "category": "water_sanitation"}


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
def test_help_in_the_new_flows_keeps_their_question_open(phone, screen, lang):
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


def test_help_returns_a_copy_of_the_session_not_the_callers_own(flows, make_context):
    session = {"flow": "complaint", "state": "category", "vars": {"site": "senou"}}

    turn = step(flows, session, make_context(language="fr", consent=True), "AIDE")
    assert turn.position == session
    turn.position["vars"]["later"] = "changed by the caller"

    assert session == {"flow": "complaint", "state": "category", "vars": {"site": "senou"}}


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
    person = returning(phone, "bm", position=stale)

    assert person.send("I ni ce") == MAIN_MENU["bm"]
    assert person.position == {"flow": "main", "state": "menu", "vars": {}}
    assert person.actions == []


def test_an_answer_to_a_question_that_no_longer_exists_is_not_guessed_into_another_flow(phone):
    person = returning(phone, "fr", position={"flow": "complaint", "state": "photo", "vars": {"category": "food"}})

    assert person.send("1") == MAIN_MENU["fr"]
    assert person.waiting_at == "main.menu"
    assert person.actions == []


def test_a_stale_session_of_a_new_number_shows_the_language_menu(phone, screen):
    assert phone(position={"flow": "onboarding", "state": "ask", "vars": {}}).send("Salut") == screen.welcome


def test_a_session_without_vars_is_still_answered(phone):
    person = returning(phone, "fr", position={"flow": "main", "state": "menu"})

    assert person.send("1") == SITE_MENU["fr"]


def test_a_session_left_at_a_message_that_no_longer_waits_starts_again(phone):
    person = returning(phone, "fr", position={"flow": "complaint", "state": "done", "vars": {}})

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
        step(load_flows(tmp_path, REGISTRY), None, make_context(), "hello")


# ---------------------------------------------------------------------------------------------
# The engine is pure.

FR = {"language": "fr", "consent": True}
AT_NIAMANA = {**FR, "site": "niamana"}
SCENARIOS = [
    pytest.param(None, {}, "Bonjour", id="first-contact"),
    pytest.param({"flow": "welcome", "state": "language", "vars": {}}, {}, "2", id="choose-language"),
    pytest.param(
        {"flow": "welcome", "state": "consent", "vars": {"language": "fr"}},
        {"language": "fr"},
        "1",
        id="accept",
    ),
    pytest.param({"flow": "main", "state": "menu", "vars": {}}, {"language": "fr", "consent": True}, "9", id="invalid"),
    pytest.param(None, {"language": "fr", "consent": True}, "1", id="returning-first-message-1"),
    pytest.param(
        {"flow": "complaint", "state": "site", "vars": {}},
        {"language": "fr", "consent": True},
        "2",
        id="site",
    ),
    pytest.param(
        {"flow": "complaint", "state": "description", "vars": {"site": "senou", "category": "food"}},
        {"language": "bm", "consent": True},
        "Dumuni tɛ",
        id="submit",
    ),
    pytest.param(
        {"flow": "main", "state": "language", "vars": {}},
        {"language": "fr", "consent": True},
        "2",
        id="relanguage",
    ),
    pytest.param({"flow": "main", "state": "menu", "vars": {}}, {"language": "fr", "consent": True}, "STOP", id="stop"),
    pytest.param(None, {"language": "fr", "consent": True, "opted_out": True}, "START", id="opt-in"),
    pytest.param(None, {"language": "bm", "consent": True, "site": "niamana"}, "MENU", id="menu"),
    pytest.param({"flow": "main", "state": "menu", "vars": {}}, AT_NIAMANA, "3", id="assemblies"),
    pytest.param({"flow": "assembly", "state": "pick", "vars": {}}, AT_NIAMANA, "2", id="full"),
    pytest.param(
        {
            "flow": "assembly",
            "state": "confirm",
            "vars": {"site": "senou", "assembly": "21", "assembly_when": SENOU_DAY},
        },
        {"language": "bm", "consent": True, "site": "senou"},
        "1",
        id="sign-up",
    ),
    pytest.param(
        {"flow": "main", "state": "menu", "vars": {}},
        {**AT_NIAMANA, "site": "faladie"},
        "3",
        id="none-coming",
    ),
    pytest.param(
        {"flow": "confidential", "state": "details", "vars": {"category": "threat"}},
        FR,
        "0",
        id="no-details",
    ),
    pytest.param(
        {"flow": "confidential", "state": "how", "vars": {"category": "threat", "text": "", "callback": "other"}},
        FR,
        "après 18h",
        id="confidential",
    ),
    pytest.param({"flow": "followup", "state": "type_reference", "vars": {}}, FR, "k7q2mx", id="follow-up"),
    pytest.param(PARKED, FR, "5", id="parked-5"),
    pytest.param(PARKED, FR, "merci", id="parked-merci"),
    pytest.param(PARKED, FR, "AIDE", id="parked-help"),
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
    if session is not None and turn.position is not None:
        turn.position["vars"]["later"] = "changed by the caller"
        assert "later" not in session.get("vars", {})
