"""What each screen costs: every text a person may read, rendered with sample data, in characters and SMS parts.

Pure: no I/O. A screen is what the engine shows for one state (its prompt and options), in one
language, as `Catalogues.render` writes it; data menus get realistic samples and placeholders the
longest plausible values, so that a screen that fits here fits in use.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bot.engine.check import MAX_SMS_PARTS, USSD_SCREEN
from bot.engine.flow import FlowSet
from bot.engine.interpreter import Choice, Context, question
from bot.i18n import Catalogues
from bot.outbound.gsm7 import ALPHABETS, cost, prepare
from bot.outcomes import ASSEMBLY_LABEL, NOT_FOUND, SIGNED_UP, SIGNUP_STATUS, STATUS, WAITLISTED
from bot.seed import SITES

ALL_LANGUAGES = "all"  # the language of a screen shown in every language at once (the language menu)

SAMPLE_SITE = "sogoniko"
SAMPLE_REFERENCE = "K7MP3X"
SAMPLE_REFERENCES = ("K7MP3X", "R4TW9N", "H2CQ8Z", "M9XF4K", "T3NB7W")
SAMPLE_ASSEMBLY_TITLE = "Assemblée citoyenne de Sogoniko"
SAMPLE_ASSEMBLY_PLACE = "Espace communautaire de Sogoniko"
# Candidate assembly dates, two-digit days of every weekday in every month, at 10:00 (Bamako is on UTC):
# each language gets the one whose written-out day and month are longest.
_WHEN_CANDIDATES = tuple(
    datetime(2030, month, day, 10, 0, tzinfo=UTC) for month in range(1, 13) for day in range(22, 29)
)
_STATUSES = (*STATUS.values(), *SIGNUP_STATUS.values(), NOT_FOUND)


@dataclass(frozen=True)
class Screen:
    flow: str
    state: str
    language: str  # a configured language, or "all"
    text: str

    @property
    def name(self) -> str:
        return f"{self.flow}.{self.state}"


@dataclass(frozen=True)
class Costing:
    """One screen sent by SMS under one alphabet setting (see bot.sms.prepare)."""

    screen: Screen
    alphabet: str
    characters: int
    encoding: str
    parts: int

    @classmethod
    def of(cls, screen: Screen, alphabet: str) -> "Costing":
        sms = cost(prepare(screen.text, alphabet))
        return cls(screen, alphabet, sms.characters, sms.encoding, sms.parts)


def _longest(catalogues: Catalogues, lang: str | None, values: Iterable[Any]) -> Any:
    """The value that reads longest in `lang` (in any language, for a screen in every language)."""
    languages = (lang,) if lang else catalogues.languages
    return max(values, key=lambda value: max(len(catalogues.format(value, code)) for code in languages))


def samples(catalogues: Catalogues, lang: str | None) -> tuple[dict[str, tuple[Choice, ...]], dict[str, Any]]:
    """(data menus, placeholder values) for screens in `lang` (None: every language at once)."""
    when = _longest(catalogues, lang, _WHEN_CANDIDATES)
    # One entry: how long a data menu gets is the organizers' data, and USSD pages it; the sites
    # are the seeded five, a deployment's realistic size.
    assemblies = (
        Choice(
            value="1",
            label=ASSEMBLY_LABEL,
            group=SAMPLE_SITE,
            params={"title": SAMPLE_ASSEMBLY_TITLE, "when": when, "place": SAMPLE_ASSEMBLY_PLACE},
        ),
    )
    choices = {
        "sites": tuple(Choice(slug, name) for slug, name, _ in SITES),
        "languages": catalogues.language_choices(),
        "assemblies": assemblies,
        "my_references": tuple(Choice(reference, reference) for reference in SAMPLE_REFERENCES),
    }
    placeholders = {
        "reference": SAMPLE_REFERENCE,
        "status": _longest(catalogues, lang, _STATUSES),  # a Text: Catalogues.format translates it
        "signup": _longest(catalogues, lang, (SIGNED_UP, WAITLISTED)),
        "assembly_title": SAMPLE_ASSEMBLY_TITLE,
        "assembly_when": when,
        "assembly_reference": SAMPLE_REFERENCE,
    }
    return choices, placeholders


def screens(flows: FlowSet, catalogues: Catalogues) -> list[Screen]:
    """Every screen a person may read: each state of each flow, in each configured language."""
    by_language = {lang: samples(catalogues, lang) for lang in (*catalogues.languages, None)}
    found = []
    for flow in flows.flows.values():
        for state in flow.states.values():
            languages: Sequence[str | None] = (None,) if state.all_languages else catalogues.languages
            for lang in languages:
                choices, placeholders = by_language[lang]
                reply = question(flows, state, Context(facts={"site": SAMPLE_SITE}, choices=choices))
                text = catalogues.render(reply, lang, placeholders)
                found.append(Screen(flow.name, state.id, lang or ALL_LANGUAGES, text))
    return found


def _table(rows: list[list[str]], right: set[int], groups: dict[int, str]) -> list[str]:
    """Aligned columns, the `right` ones (numbers) to the right; `groups` names column groups on a line above."""
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    lines = []
    if groups:
        starts = [sum(widths[:column]) + 2 * column for column in range(len(widths))]
        title = ""
        for column, name in sorted(groups.items()):
            title = title.ljust(starts[column]) + name
        lines.append(title)
    for row in rows:
        cells = [
            cell.rjust(width) if column in right else cell.ljust(width)
            for column, (cell, width) in enumerate(zip(row, widths, strict=True))
        ]
        lines.append("  ".join(cells).rstrip())
    return lines


def _over(screen: Screen, costings: dict[str, Costing]) -> str:
    notes = [f"over {USSD_SCREEN} characters (USSD)"] if len(screen.text) > USSD_SCREEN else []
    notes += [
        f"over {MAX_SMS_PARTS} parts ({alphabet})" for alphabet, sms in costings.items() if sms.parts > MAX_SMS_PARTS
    ]
    return "; ".join(notes)


def report(all_screens: list[Screen]) -> list[str]:
    """The cost of every screen under each SMS alphabet setting, side by side, with totals per language."""
    header = ["screen", *(["characters", "encoding", "parts"] * len(ALPHABETS)), "over the limits"]
    groups = {1 + 3 * index: f"SMS alphabet: {alphabet}" for index, alphabet in enumerate(ALPHABETS)}
    numbers = {column for index in range(len(ALPHABETS)) for column in (1 + 3 * index, 3 + 3 * index)}
    lines = [
        "Every screen as a person reads it, rendered with sample data (the longest plausible values).",
        f"A USSD screen holds {USSD_SCREEN} characters; an SMS reply should need at most {MAX_SMS_PARTS} parts.",
        "SMS alphabet `unicode` sends the text as written; `gsm` folds it to the cheaper GSM-7 alphabet.",
    ]
    totals = [["language", "screens", "characters", *(f"parts ({alphabet})" for alphabet in ALPHABETS)]]
    for lang in dict.fromkeys(screen.language for screen in all_screens):
        mine = [screen for screen in all_screens if screen.language == lang]
        rows = [header]
        parts = dict.fromkeys(ALPHABETS, 0)
        for screen in mine:
            costings = {alphabet: Costing.of(screen, alphabet) for alphabet in ALPHABETS}
            row = [screen.name]
            for alphabet, costing in costings.items():
                row += [str(costing.characters), costing.encoding, str(costing.parts)]
                parts[alphabet] += costing.parts
            rows.append([*row, _over(screen, costings)])
        title = "all (one screen in every language)" if lang == ALL_LANGUAGES else lang
        lines += ["", f"Language: {title}", *_table(rows, numbers, groups)]
        totals.append([lang, str(len(mine)), str(sum(len(s.text) for s in mine)), *(str(parts[a]) for a in ALPHABETS)])
    lines += ["", "Totals per language (characters as written)", *_table(totals, {1, 2, 3, 4}, {})]
    return lines
