"""The screens of the real flows, as the person reads them, in French and in Bambara.

Pinned word for word here, except the texts whose wording is tuned to fit (at most 2 SMS parts,
a 182-character USSD screen, and in French no ê, ô or ç, which force the costlier UCS-2 encoding):
those are read from the translators' catalogues by `Screens` (the `screen` fixture), so that the next
rewording is a change to the .po files alone. Around them the specifications still pin which screen
comes, in which language, with which options and which values filled in.
"""

from datetime import UTC, datetime

import pytest
from babel.dates import format_datetime

from bot.assemblies import texts
from bot.engine.flow import Text
from bot.engine.texts import HELP
from bot.i18n import Filled
from bot.line import Line

LANGUAGE_OPTIONS = "1 Français\n2 Bamanankan"
LANGUAGE_MENU = "Choisissez votre langue :\nAw ye kan sugandi:\n" + LANGUAGE_OPTIONS
CONSENT_OPTIONS = {"fr": "1 J'accepte\n2 Je refuse", "bm": "1 N sɔnna\n2 N ma sɔn"}
# The line as these specifications' deployment configures it (ORG_NAME, MESSAGES_FREE, SAFETY_LINE: bot/line.py):
# the consent notice names the organisation and says what a message costs; no safety line unless a test sets one.
LINE = Line("Entraide Sahel", messages_free=False)
USUAL_PRICE = {"fr": "SMS au prix normal.", "bm": "SMS sɔngɔ ma yɛlɛma."}
FREE = {"fr": "Messages gratuits.", "bm": "Cikanw ye fu ye."}
THANKS = {"fr": "Merci.", "bm": "Aw ni ce."}
REFUSED = {
    "fr": "C'est noté : rien sur vous n'est gardé. Écrivez-nous quand vous voulez.",
    "bm": "A faamuyara: foyi tɛ mara aw ko la. Aw bɛ se ka segin ka sɛbɛn tuma o tuma.",
}
MAIN_MENU = {
    "fr": (
        "Envoyez un numéro :\n"
        "1 Signaler un problème\n"
        "2 Dire un besoin\n"
        "3 Assemblée citoyenne\n"
        "4 Signalement confidentiel\n"
        "5 Suivre une référence\n"
        "6 Langue et site"
    ),
    "bm": (
        "Aw ka sugandili nimɔrɔ ci:\n"
        "1 Gɛlɛya dɔ fɔ\n"
        "2 Mago dɔ fɔ\n"
        "3 Sigida lajɛ\n"
        "4 Gundo kunnafoni\n"
        "5 Nimɔrɔ dɔ kibaru\n"
        "6 Kan ni sigida"
    ),
}
SITE_MENU = {
    "fr": "Sur quel site vivez-vous ?\n1 Niamana\n2 Sénou\n3 Faladié",
    "bm": "Aw sigilen bɛ sigida jumɛn na?\n1 Niamana\n2 Sénou\n3 Faladié",
}
# People move: 6 at the main menu changes the site, and a site given long ago is checked before a report.
SETTINGS_MENU = {"fr": "Changer :\n1 Langue\n2 Site", "bm": "Ka mun yɛlɛma?\n1 Kan\n2 Sigida"}
NEW_SITE_MENU = {
    "fr": "Sur quel site vivez-vous maintenant ?\n1 Niamana\n2 Sénou\n3 Faladié",
    "bm": "Aw sigilen bɛ sigida jumɛn na sisan?\n1 Niamana\n2 Sénou\n3 Faladié",
}
SITE_CHANGED = {"fr": "C'est noté. Votre site : {}.", "bm": "A sɛbɛnna. Aw ka sigida: {}."}
STILL_AT = {
    "fr": "Toujours à {} ?\n1 Oui\n2 Non, j'ai déménagé",
    "bm": "Aw sigilen bɛ {} la hali bi wa?\n1 Ɔwɔ\n2 Ayi, n bɔra yen",
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
BACK_TO_MENU = {"fr": "0 Menu", "bm": "0 Segin"}  # the way back a text question, or a last message, offers


def ended(lang: str, text: str) -> str:
    """A conversation's last message as the person reads it: `text`, then the way back to the menu."""
    return f"{text}\n{BACK_TO_MENU[lang]}"


COMPLAINT_DESCRIPTION = {
    "fr": "Décrivez le problème en quelques mots.\n0 Menu",
    "bm": "Aw ye gɛlɛya ɲɛfɔ kuma dama dɔ la.\n0 Segin",
}
NEED_DESCRIPTION = {"fr": "Expliquez en quelques mots.\n0 Menu", "bm": "Aw ye a ɲɛfɔ kuma dama dɔ la.\n0 Segin"}
# A problem written at the main menu: what is it?
WHAT_IS_IT = {
    "fr": "Merci. C'est :\n1 Un problème\n2 Un besoin\n3 Un signalement confidentiel\n0 Menu",
    "bm": "Aw ni ce. O ye:\n1 Gɛlɛya dɔ\n2 Mago dɔ\n3 Gundo kunnafoni\n0 Segin",
}
COMPLAINT_DONE = {
    "fr": "Merci, votre plainte est enregistrée. Référence : {}. Pour la suivre, envoyez 5.\n0 Menu",
    "bm": "Aw ni ce, aw ka gɛlɛya sɛbɛnna. Nimɔrɔ: {}. Ka a kibaru ɲini, aw ye 5 ci.\n0 Segin",
}
NEED_DONE = {
    "fr": "Merci, votre besoin est enregistré. Référence : {}. Pour le suivre, envoyez 5.\n0 Menu",
    "bm": "Aw ni ce, aw mago sɛbɛnna. Nimɔrɔ: {}. Ka a kibaru ɲini, aw ye 5 ci.\n0 Segin",
}
PICK_A_NUMBER = {"fr": "Répondez avec un des numéros, svp.", "bm": "Aw ye nimɔrɔ dɔ ci, a ɲɛsinnen."}
WRITE_IN_WORDS = {"fr": "Écrivez votre message en mots, svp.", "bm": "Aw ye aw ka cikan sɛbɛn kumaw la."}
OPTED_OUT = {
    "fr": "Vous ne recevrez plus de messages de baro. Pour revenir, envoyez START.",
    "bm": "Cikan si tɛna bɔ baro la ka na aw ma tugun. Ka segin, aw ye START ci.",
}
WELCOME_BACK = {"fr": "Bon retour sur baro.", "bm": "Aw bisimila baro la tugun."}
# The answer to a word that may mean stop but also something else (FIN, JƆ alone): how to stop, nothing stopped.
SEND_STOP = {
    "fr": "Pour ne plus recevoir de messages de baro, envoyez STOP.",
    "bm": "Ka baro ka cikanw bɛɛ jɔ, aw ye STOP ci.",
}

REFERENCE = "K7Q2MX"  # what the conversation layer passes to render once the submission is stored

# Most specifications hold in both languages: they run once in French, once in Bambara.
BOTH = pytest.mark.parametrize("lang", ["fr", "bm"])

# ---------------------------------------------------------------------------------------------
# 3 Citizen assembly. The days of tests/flows/people.py's ASSEMBLIES: Sénou has one; Niamana three
# (the 2nd full, the 3rd already the person's); Faladié none.

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
SIGNUP_REFERENCE = "W8N4TC"
ALREADY_OPTIONS = {"fr": "1 Annuler mon inscription\n2 La garder", "bm": "1 N tɔgɔ bɔ a la\n2 A to yen"}
# What the sign-up did, as the action passes it to the `signed` screen (bot/actions/sign_up.py): signed up
# for the women's assembly (with its day, time and place), or on the young people's waiting list.
SIGNED_UP = Filled(
    texts.SIGNED_UP,
    {"title": "Assemblée des femmes", "when": FEMMES, "place": "Centre de santé", "reference": SIGNUP_REFERENCE},
)
WAITING = Filled(texts.WAITING, {"title": "Assemblée des jeunes", "when": JEUNES, "reference": SIGNUP_REFERENCE})
# Giving up the general assembly (Niamana's third, the person's own), as bot/actions/cancel_signup.py passes it.
CANCELLED_FROM_MENU = Filled(
    texts.SIGNUP_CANCELLED, {"title": "Assemblée générale", "when": GENERALE, "reference": "M4RX7Q"}
)
SIGNED_UP_FR = (
    "Inscrit(e) : Assemblée des femmes, dimanche 29 novembre, 10:00, Centre de santé. Réf. W8N4TC."
    " Pour annuler, envoyez ANNULER."
)
FULL = {
    "fr": "Cette assemblée est complète. Rejoindre la liste d'attente ?" + YES_NO["fr"],
    "bm": "Nin lajɛ fara. Aw bɛ aw tɔgɔ sɛbɛn makɔnɔli lisi kan wa?" + YES_NO["bm"],
}
NONE_COMING = {
    "fr": (
        "Aucune assemblée n'est prévue sur votre site pour l'instant. "
        "Voulez-vous un message quand la prochaine sera annoncée ?" + YES_NO["fr"]
    ),
    "bm": ("Lajɛ si ma labɛn aw ka sigida la fɔlɔ. Aw b'a fɛ an ka lajɛ nata kibaru di aw ma wa?" + YES_NO["bm"]),
}
NOTED = {
    "fr": "C'est noté : nous vous écrirons quand la prochaine assemblée sera annoncée.\n0 Menu",
    "bm": "A sɛbɛnna: ni lajɛ nata fɔra, an bɛna cikan ci aw ma.\n0 Segin",
}

# ---------------------------------------------------------------------------------------------
# 4 Confidential report.

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
    "bm": ("Aw ni ce aw ka dannaya la. Lakanali baarakɛla dɔrɔn de bɛna nin kalan, a bɛna a ɲɛnabɔ joona. Nimɔrɔ: {}."),
}
# After the reference, where the deployment has a number to call in danger (SAFETY_LINE).
SAFETY = {"fr": "En danger ? Appelez le {}.", "bm": "Ni aw bɛ farati la, aw ye {} wele."}


# ---------------------------------------------------------------------------------------------
# 5 Follow a reference.

TYPE_REFERENCE = {
    "fr": "Envoyez votre référence (6 lettres et chiffres) :\n0 Je n'ai pas de référence",
    "bm": "Aw ka nimɔrɔ ci (sɛbɛnden ni jateden 6):\n0 Nimɔrɔ tɛ n fɛ",
}
STATUS_REPLY = {"fr": "Référence {} : {}", "bm": "Nimɔrɔ {}: {}"}  # then the status, from bot/outcomes.py


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

    def consent(self, lang: str, line: Line = LINE) -> str:
        """The notice, with who runs the line and what a message costs, then accept or refuse."""
        notice = self.catalogues.fill(lang, self.prompt(lang, "welcome.consent"), line.facts())
        return f"{notice}\n{CONSENT_OPTIONS[lang]}"

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

    def signed(self, lang: str, outcome: Filled) -> str:
        """The end of a sign-up: what it did (signed up, or on the waiting list), with the assembly and reference."""
        return ended(lang, self.filled(lang, outcome))

    def filled(self, lang: str, text: Filled) -> str:
        """A text with its own values, as the person reads it in `lang` (dates written out)."""
        self.text(lang, text.text)  # translated, not the English
        return self.catalogues.fill(lang, text.text, text.params)

    def already(self, lang: str, reference: str) -> str:
        """Already signed up: the reference, then whether to give the place up or keep it."""
        prompt = self.prompt(lang, "assembly.already").format(assembly_reference=reference)
        return f"{prompt}\n{ALREADY_OPTIONS[lang]}"

    def confidential_what(self, lang: str) -> str:
        return f"{self.prompt(lang, 'confidential.what')}\n{WHAT_HAPPENED_OPTIONS[lang]}"

    def followup_menu(self, lang: str, *references: str) -> str:
        numbered = (f"{number} {reference}" for number, reference in enumerate(references, start=1))
        return "\n".join([self.prompt(lang, "followup.reference"), *numbered])

    def status(self, lang: str, reference: str, status: Text) -> str:
        """The follow-up's answer: the reference, then what became of it, in the person's language."""
        return ended(lang, STATUS_REPLY[lang].format(reference, self.text(lang, status)))
