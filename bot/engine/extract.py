"""Babel extractor for flow documents: every prompt and option label, with its state as context."""

from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from bot.engine.flow import FlowError, load_flow


def extract_flows(fileobj: IO[bytes], keywords: Any, comment_tags: Any, options: dict) -> Iterator[tuple]:
    """Yield (line, funcname, (context, msgid), comments) as Babel's extractors do."""
    path = Path(fileobj.name)
    try:
        flow = load_flow(path)
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
            yield state.line, "pgettext", (option.label.context, option.label.msgid), [
                f"{where}: menu option {option.key}."
            ]
