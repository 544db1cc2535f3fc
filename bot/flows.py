"""The deployment's flows: the documents in flows/, bound to the actions and data menus registered here.

`REGISTRY` is what a flow may name (bot.actions, bot.menus); `check` is `baro flows check` and the
check every process runs before it takes a message; `extract` is the Babel extractor that puts
every prompt and option label in the `messages` catalogue, with its state as context.
"""

from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from bot.actions import ACTIONS
from bot.engine.actions import Registry
from bot.engine.check import load_and_check
from bot.engine.flow import FlowError, FlowSet, load_flow
from bot.i18n import Catalogues
from bot.menus import MENUS

REGISTRY = Registry(actions={name: unit.spec for name, unit in ACTIONS.items()}, menus=frozenset(MENUS))


def unregistered() -> list[str]:
    """What the engine would ask for that nothing carries out or loads: empty, or the process must not start."""
    problems = [f"the engine emits `{name}`, which no action unit carries out" for name in REGISTRY.missing()]
    problems += [f"action `{unit.name}` has no handler" for unit in ACTIONS.values() if not callable(unit.carry_out)]
    problems += [
        f"data menu `{menu.name}` has no loader or no sample"
        for menu in MENUS.values()
        if not (callable(menu.load) and callable(menu.sample))
    ]
    return problems


def check(directory: Path, catalogues: Catalogues) -> tuple[FlowSet | None, list[str]]:
    """The flows of `directory` and every problem with them, one line each (see bot.engine.check)."""
    flows, problems = load_and_check(directory, REGISTRY, catalogues)
    return flows, unregistered() + problems


def extract(fileobj: IO[bytes], keywords: Any, comment_tags: Any, options: dict) -> Iterator[tuple]:
    """Yield (line, funcname, (context, msgid), comments) as Babel's extractors do."""
    path = Path(fileobj.name)
    try:
        flow = load_flow(path, REGISTRY)
    except FlowError as error:
        raise SystemExit(f"cannot extract from a broken flow: {error}") from error
    for state in flow.states.values():
        where = f"{flow.name}.yaml, state `{state.id}`"
        notes = [f"{where}: prompt."]
        if "{" in state.prompt.msgid:
            notes.append("Keep the {placeholders} as they are.")
        if state.all_languages:
            notes.append("Shown in every language at once, before the person has chosen one.")
        yield state.line, "pgettext", (state.prompt.context, state.prompt.msgid), notes
        for option in state.options:
            yield (
                state.line,
                "pgettext",
                (option.label.context, option.label.msgid),
                [f"{where}: menu option {option.key}."],
            )
