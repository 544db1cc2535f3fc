"""What each screen costs: every text a person may read, measured for USSD and for SMS.

Pure: the real flows and catalogues, or copies of them in a temporary directory; no database.
"""

import shutil
from pathlib import Path

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from bot import channels
from bot.actions import UNITS
from bot.actions.status_texts import NOT_FOUND
from bot.channels.sms import SmsParts
from bot.channels.ussd import UssdScreen
from bot.engine.check import check_flows
from bot.engine.flow import FlowSet, load_flows
from bot.flows import REGISTRY
from bot.i18n import DOMAIN, Catalogues
from bot.line import FREE, PAID
from bot.menus import MENUS
from bot.samples import ASSEMBLY_PLACE, ASSEMBLY_TITLE, ORG_NAME, SAFETY_LINE
from bot.samples import REFERENCE as SAMPLE_REFERENCE
from bot.screens import ALL_LANGUAGES, Costing, Screen, report, screen_problems, screens
from bot.seed import SITES

ROOT = Path(__file__).resolve().parents[1]
FLOWS_DIR = ROOT / "flows"
LOCALES_DIR = ROOT / "locales"
LANGUAGES = ["fr", "bm"]


@pytest.fixture(scope="module")
def catalogues() -> Catalogues:
    # Compiled by `make` (`make locales`).
    return Catalogues.load(LOCALES_DIR, LANGUAGES)


@pytest.fixture(scope="module")
def flows() -> FlowSet:
    return load_flows(FLOWS_DIR, REGISTRY)


def rendered(flows, catalogues) -> list[Screen]:
    return screens(flows, catalogues, UNITS, MENUS)


def problems_of(flows, catalogues, sms_alphabet: str = "unicode") -> list[str]:
    """What `baro flows check` says of the screens, with the channels' limits."""
    return screen_problems(flows, rendered(flows, catalogues), channels.limits(), sms_alphabet)


@pytest.fixture(scope="module")
def real_screens(flows, catalogues) -> list[Screen]:
    return rendered(flows, catalogues)


def screen(all_screens: list[Screen], name: str, language: str) -> Screen:
    [found] = [s for s in all_screens if s.name == name and s.language == language]
    return found


def test_the_real_flows_have_a_screen_for_every_state_in_every_language(flows, real_screens):
    expected = set()
    for flow in flows.flows.values():
        for state in flow.states.values():
            for lang in (ALL_LANGUAGES,) if state.all_languages else LANGUAGES:
                expected.add((flow.name, state.id, lang))

    assert len(real_screens) == len(expected)
    assert {(s.flow, s.state, s.language) for s in real_screens} == expected
    assert all(s.text.strip() for s in real_screens)


def test_a_screen_is_the_prompt_with_its_options_as_the_person_reads_it(catalogues, real_screens):
    menu = screen(real_screens, "main.menu", "fr").text.splitlines()

    assert menu[0] == catalogues.text("fr", load_flows(FLOWS_DIR, REGISTRY).state("main", "menu").prompt)
    assert [line.split(" ", 1)[0] for line in menu[1:]] == ["1", "2", "3", "4", "5", "6"]


def test_data_menus_are_filled_with_samples(real_screens):
    sites = screen(real_screens, "complaint.site", "bm").text.splitlines()
    # The longest name first: "Still at {site_name}?" is measured with the first.
    longest_first = sorted((name for _, name, _ in SITES), key=len, reverse=True)
    assert sites[1:] == [f"{i} {name}" for i, name in enumerate(longest_first, start=1)]
    assert "Sogoniko" in screen(real_screens, "complaint.still_there", "fr").text

    pick = screen(real_screens, "assembly.pick", "fr").text.splitlines()
    assert len(pick) == 2  # the prompt and one assembly: a data menu's length is the data's
    assert pick[1].startswith("1 Assemblée citoyenne de Sogoniko, ")
    assert pick[1].endswith(", Espace communautaire de Sogoniko")
    assert "septembre" in pick[1]  # the date written out, in the language's own month names

    references = screen(real_screens, "followup.reference", "fr").text.splitlines()
    assert len(references) == 6 and all(len(line) == len("1 K7MP3X") for line in references[1:])

    languages = screen(real_screens, "welcome.language", ALL_LANGUAGES).text.splitlines()
    assert languages[-2:] == ["1 Français", "2 Bamanankan"]


def test_placeholders_get_the_longest_plausible_values(catalogues, real_screens):
    status = screen(real_screens, "followup.status", "fr").text
    assert SAMPLE_REFERENCE in status
    assert status.endswith(catalogues.text("fr", NOT_FOUND))  # the longest status, translated
    for lang in LANGUAGES:
        # The sign-up's answer, measured with the assembly it quotes: its title, day, time and place.
        signed = screen(real_screens, "assembly.signed", lang).text
        assert ASSEMBLY_TITLE in signed and ASSEMBLY_PLACE in signed and SAMPLE_REFERENCE in signed
        assert ", 10:00" in signed
        assert ASSEMBLY_TITLE in screen(real_screens, "cancel.done", lang).text
    assert "{" not in "".join(s.text for s in real_screens)


def test_a_bambara_screen_is_ucs2_as_written_and_gsm7_once_folded(real_screens):
    consent = screen(real_screens, "welcome.consent", "bm")
    unicode, gsm = Costing.of(consent, "unicode"), Costing.of(consent, "gsm")

    assert unicode.encoding == "UCS-2"
    assert gsm.encoding == "GSM-7"
    assert gsm.parts < unicode.parts
    assert unicode.characters == len(consent.text)
    for bambara in (s for s in real_screens if s.language == "bm"):
        assert Costing.of(bambara, "gsm").encoding == "GSM-7"
        assert Costing.of(bambara, "gsm").parts <= Costing.of(bambara, "unicode").parts


# ---------------------------------------------------------------------------------------------
# The validator: a screen too long for USSD or for two SMS is named.

DESCRIBE = "Describe the problem in a few words."
LONG_DESCRIBE = (
    "Describe the problem in a few words: what happened, where, when, and who is affected. "
    "A team will read your message and answer you by SMS as soon as possible."
)
LONG_TRANSLATIONS = {
    # 189 characters, 196 on the screen with its way back ("0 Menu"); `ç` and `è` make it UCS-2 as written.
    "fr": "Décrivez le problème en quelques mots : ce qui s'est passé, où, quand, et qui est touché. "
    "Une équipe lira votre message et vous répondra par SMS dès que possible, en français ou en bambara.",
    # 173 characters: fits a USSD screen, but is three UCS-2 parts.
    "bm": "Aw ye gɛlɛya ɲɛfɔ kuma dama dɔw la: min kɛra, a kɛra yɔrɔ min na, a kɛra tuma min na, "
    "ani mɔgɔ minnu bɛ a la. Baarakɛlaw bɛna aw ka cikan kalan ka aw jaabi SMS fɛ ni a sera.",
}


@pytest.fixture
def lengthened(tmp_path) -> tuple[FlowSet, Catalogues]:
    """The real flows and catalogues, with complaint.description's prompt lengthened and translated."""
    flows_dir = tmp_path / "flows"
    shutil.copytree(FLOWS_DIR, flows_dir)
    complaint = flows_dir / "complaint.yaml"
    source = complaint.read_text(encoding="utf-8")
    assert f'"{DESCRIBE}"' in source
    complaint.write_text(source.replace(f'"{DESCRIBE}"', f'"{LONG_DESCRIBE}"'), encoding="utf-8")

    for lang in LANGUAGES:
        with (LOCALES_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po").open("rb") as po:
            catalog = read_po(po, locale=lang)  # every message of the real catalogue
        catalog.add(LONG_DESCRIBE, LONG_TRANSLATIONS[lang], context="complaint.description")
        target = tmp_path / "locales" / lang / "LC_MESSAGES"
        target.mkdir(parents=True)
        with (target / f"{DOMAIN}.mo").open("wb") as mo:
            write_mo(mo, catalog)
    return load_flows(flows_dir, REGISTRY), Catalogues.load(tmp_path / "locales", LANGUAGES)


def test_the_limits_are_the_channels_own():
    assert channels.limits() == (UssdScreen(182), SmsParts(2))


def test_a_prompt_too_long_is_named_with_its_language_and_figures(lengthened):
    flows, catalogues = lengthened
    assert [len(LONG_TRANSLATIONS[lang]) for lang in LANGUAGES] == [189, 173]

    problems = problems_of(flows, catalogues)

    assert [p for p in problems if p.startswith("complaint.yaml: state `description`")] == [
        "complaint.yaml: state `description`: the `fr` screen is 196 characters, over the 182 of a USSD screen",
        "complaint.yaml: state `description`: the `fr` screen needs 3 SMS parts (UCS-2), over 2",
        "complaint.yaml: state `description`: the `bm` screen needs 3 SMS parts (UCS-2), over 2",
    ]


def test_the_sms_parts_follow_the_configured_alphabet_and_ussd_does_not(lengthened):
    flows, catalogues = lengthened

    problems = problems_of(flows, catalogues, sms_alphabet="gsm")

    assert [p for p in problems if p.startswith("complaint.yaml: state `description`")] == [
        "complaint.yaml: state `description`: the `fr` screen is 196 characters, over the 182 of a USSD screen",
    ]


def test_the_engine_check_knows_translations_not_screen_lengths(lengthened):
    flows, catalogues = lengthened

    class Translations:
        languages = catalogues.languages
        translated = staticmethod(catalogues.translated)

    assert check_flows(flows, Translations()) == []
    assert problems_of(flows, catalogues) != []


# ---------------------------------------------------------------------------------------------
# The report for organizers.


def test_the_report_lists_every_screen_under_each_alphabet_with_totals(real_screens):
    lines = report(real_screens, channels.limits())
    text = "\n".join(lines)

    assert "SMS alphabet: unicode" in text and "SMS alphabet: gsm" in text and "SMS alphabet: auto" in text
    consent = next(line for line in lines if line.startswith("welcome.consent ") and "UCS-2" in line)
    assert "GSM-7" in consent  # the same screen, side by side
    totals = lines[lines.index("Totals per language (characters as written)") + 1 :]
    assert totals[0].split() == [
        "language", "screens", "characters", "parts", "(unicode)", "parts", "(gsm)", "parts", "(auto)"
    ]
    rows = {row.split()[0]: row.split()[1:] for row in totals[1:]}
    for lang in (*LANGUAGES, ALL_LANGUAGES):
        mine = [s for s in real_screens if s.language == lang]
        assert rows[lang] == [
            str(len(mine)),
            str(sum(len(s.text) for s in mine)),
            str(sum(Costing.of(s, "unicode").parts for s in mine)),
            str(sum(Costing.of(s, "gsm").parts for s in mine)),
            str(sum(Costing.of(s, "auto").parts for s in mine)),
        ]


def test_auto_costs_each_screen_the_cheaper_way_and_keeps_the_letters_when_that_is_free(real_screens):
    for each in real_screens:
        auto, unicode, gsm = (Costing.of(each, alphabet) for alphabet in ("auto", "unicode", "gsm"))
        assert auto.parts == min(unicode.parts, gsm.parts), each.name
        assert auto.encoding == ("UCS-2" if unicode.parts <= gsm.parts and unicode.encoding == "UCS-2" else "GSM-7")
    # The Bambara main menu is two UCS-2 parts as written, one folded; a short question keeps ɛ ɔ.
    menu = screen(real_screens, "main.menu", "bm")
    assert (Costing.of(menu, "unicode").parts, Costing.of(menu, "auto").parts) == (2, 1)
    assert Costing.of(screen(real_screens, "complaint.description", "bm"), "auto").encoding == "UCS-2"


def test_what_the_line_says_of_itself_is_costed_at_its_longest(catalogues, real_screens):
    # ORG_NAME as long as the settings allow, the longer cost sentence, and a safety line: whatever a deployment
    # configures, its notice and its confidential report's end fit where these fit.
    for lang in LANGUAGES:
        notice = screen(real_screens, "welcome.consent", lang).text
        assert notice.startswith(f"{ORG_NAME} ")
        assert catalogues.text(lang, max((FREE, PAID), key=lambda text: len(catalogues.text(lang, text)))) in notice
        assert SAFETY_LINE in screen(real_screens, "confidential.safety", lang).text
