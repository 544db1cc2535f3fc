"""Every screen a person may read, rendered with sample data, and what it costs on each channel.

Pure: no I/O. A screen is what the engine shows for one state (its prompt and options), in one
language, as the catalogues write it. Data menus and placeholders get the samples their units
declare (bot.menus, bot.actions): realistic menus, and the longest plausible values, so that a
screen that fits here fits in use. Each channel says how long a screen may be on it (`ScreenLimit`,
declared by the channel adapters); `flows check` refuses a screen over one, `flows report` shows them.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from bot.actions.base import ActionUnit
from bot.engine.flow import FlowSet
from bot.engine.interpreter import Choice, Context, question
from bot.i18n import Catalogues
from bot.line import sample_facts
from bot.menus.base import DataMenu
from bot.outbound.gsm7 import ALPHABETS, cost, prepare
from bot.samples import SITE

ALL_LANGUAGES = "all"  # the language of a screen shown in every language at once (the language menu)


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
    """One screen sent by SMS under one alphabet setting (see bot.outbound.gsm7.prepare)."""

    screen: Screen
    alphabet: str
    characters: int
    encoding: str
    parts: int

    @classmethod
    def of(cls, screen: Screen, alphabet: str) -> "Costing":
        sms = cost(prepare(screen.text, alphabet))
        return cls(screen, alphabet, sms.characters, sms.encoding, sms.parts)


class ScreenLimit(Protocol):
    """How long a screen may be on a channel; a channel adapter declares its own."""

    def summary(self) -> str:
        """The limit in a sentence, for the report's introduction."""

    def problem(self, screen: Screen, alphabet: str) -> str | None:
        """Why `screen` is over the limit when SMS is written in `alphabet`, as a check problem; None if within."""

    def note(self, screen: Screen, alphabet: str) -> str | None:
        """The same, in a few words for the report's last column."""


def sample_data(
    flows: FlowSet,
    catalogues: Catalogues,
    lang: str | None,
    actions: Iterable[ActionUnit],
    menus: Mapping[str, DataMenu],
) -> tuple[dict[str, tuple[Choice, ...]], dict[str, Any]]:
    """(data menus, placeholder values) for screens in `lang` (None: every language at once)."""
    choices = {name: menu.sample(catalogues, lang) for name, menu in menus.items()}
    # The line's own facts (who runs it, what a message costs, a safety line), as long as they may read.
    placeholders: dict[str, Any] = sample_facts(catalogues, lang)
    for unit in actions:
        placeholders.update(unit.samples(catalogues, lang))
    # What choosing from a data menu saves beside its value, as `<save>_<attribute>` (e.g. assembly_title).
    for flow in flows.flows.values():
        for state in flow.states.values():
            if state.choose and state.save and choices[state.choose]:
                for name, value in choices[state.choose][0].attrs.items():
                    placeholders[f"{state.save}_{name}"] = value
    return choices, placeholders


def screens(
    flows: FlowSet, catalogues: Catalogues, actions: Iterable[ActionUnit], menus: Mapping[str, DataMenu]
) -> list[Screen]:
    """Every screen a person may read: each state of each flow, in each configured language."""
    actions = tuple(actions)
    by_language = {lang: sample_data(flows, catalogues, lang, actions, menus) for lang in (*catalogues.languages, None)}
    found = []
    for flow in flows.flows.values():
        for state in flow.states.values():
            languages: Sequence[str | None] = (None,) if state.all_languages else catalogues.languages
            for lang in languages:
                choices, placeholders = by_language[lang]
                reply = question(flows, state, Context(facts={"site": SITE}, choices=choices))
                text = catalogues.render(reply, lang, placeholders)
                found.append(Screen(flow.name, state.id, lang or ALL_LANGUAGES, text))
    return found


def screen_problems(
    flows: FlowSet, all_screens: Iterable[Screen], limits: Sequence[ScreenLimit], alphabet: str
) -> list[str]:
    """Screens over a channel's limit, with SMS written in `alphabet` (the SMS_ALPHABET setting)."""
    problems = []
    for screen in all_screens:
        where = f"{flows.flows[screen.flow].path.name}: state `{screen.state}`"
        for limit in limits:
            problem = limit.problem(screen, alphabet)
            if problem:
                problems.append(f"{where}: {problem}")
    return problems


def table(rows: list[list[str]], right: set[int], groups: dict[int, str]) -> list[str]:
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


def _over(screen: Screen, limits: Sequence[ScreenLimit]) -> str:
    notes = (limit.note(screen, alphabet) for alphabet in ALPHABETS for limit in limits)
    return "; ".join(dict.fromkeys(note for note in notes if note))


def report(all_screens: list[Screen], limits: Sequence[ScreenLimit]) -> list[str]:
    """The cost of every screen under each SMS alphabet setting, side by side, with totals per language."""
    header = ["screen", *(["characters", "encoding", "parts"] * len(ALPHABETS)), "over the limits"]
    groups = {1 + 3 * index: f"SMS alphabet: {alphabet}" for index, alphabet in enumerate(ALPHABETS)}
    numbers = {column for index in range(len(ALPHABETS)) for column in (1 + 3 * index, 3 + 3 * index)}
    lines = [
        "Every screen as a person reads it, rendered with sample data (the longest plausible values).",
        "; ".join(limit.summary() for limit in limits) + ".",
        "SMS alphabet `unicode` sends the text as written; `gsm` folds it to the cheaper GSM-7 alphabet;"
        " `auto` (the default) sends it as written unless folding needs fewer parts.",
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
            rows.append([*row, _over(screen, limits)])
        title = "all (one screen in every language)" if lang == ALL_LANGUAGES else lang
        lines += ["", f"Language: {title}", *table(rows, numbers, groups)]
        totals.append([lang, str(len(mine)), str(sum(len(s.text) for s in mine)), *(str(parts[a]) for a in ALPHABETS)])
    lines += ["", "Totals per language (characters as written)", *table(totals, set(range(1, len(totals[0]))), {})]
    return lines
