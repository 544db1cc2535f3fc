"""The flow validator: a broken flow is named, with its file and state, before it can load."""

import re
from collections import deque
from pathlib import Path
from typing import Protocol

from bot.engine.flow import FlowError, FlowSet, Text, load_flow

_PLACEHOLDER = re.compile(r"\{(\w+)\}")

# A USSD screen shows at most this many characters of the text as written.
USSD_SCREEN = 182
# An SMS reply needing more parts than this costs too much, and arrives in pieces on older phones.
MAX_SMS_PARTS = 2


class TextSource(Protocol):
    languages: tuple[str, ...]

    def translated(self, lang: str, text: Text) -> str | None: ...


def _exists(flows: FlowSet, flow: str, target: str) -> bool:
    return target[1:] in flows.flows if target.startswith("@") else target in flows.flows[flow].states


def _targets(flows: FlowSet, flow: str, state_id: str) -> list[tuple[str, str]]:
    return [flows.resolve(flow, target) for target in flows.state(flow, state_id).targets]


def _graph_problems(flows: FlowSet) -> list[str]:
    problems = []
    for required in (flows.entry, flows.main):
        if required not in flows.flows:
            problems.append(f"{required}.yaml: missing; every deployment needs it")
    if problems:
        return problems
    for flow in flows.flows.values():
        for state in flow.states.values():
            where = f"{flow.path.name}: state `{state.id}`"
            for target in state.targets:
                if not _exists(flows, flow.name, target):
                    problems.append(f"{where}: goes to unknown target `{target}`")
            if state.skip_if and not state.next:
                problems.append(f"{where}: `skip_if` needs a `next` to skip to")
            if state.is_menu and not state.choose and not state.options:
                problems.append(f"{where}: a menu without options")
            keys = [o.key for o in state.options]
            if len(keys) != len(set(keys)):
                problems.append(f"{where}: two options share a key")
            if state.is_menu and not state.save and not all(o.next for o in state.options) and not state.next:
                problems.append(f"{where}: an option leads nowhere")
    if problems:
        return problems

    nodes = [(f.name, s) for f in flows.flows.values() for s in f.states]
    edges = {node: _targets(flows, *node) for node in nodes}

    seen = {(flows.entry, flows.flows[flows.entry].start)}
    queue = deque(seen)
    while queue:
        for target in edges[queue.popleft()]:
            if target not in seen:
                seen.add(target)
                queue.append(target)
    for flow_name, sid in nodes:
        if (flow_name, sid) not in seen:
            problems.append(f"{flows.flows[flow_name].path.name}: state `{sid}`: unreachable from the start")

    # A way back: from every state, some path ends the conversation or returns to the main menu.
    exits = {(flows.main, flows.flows[flows.main].start)} | {
        node for node in nodes if not edges[node] and not flows.state(*node).waits
    }
    reverse: dict[tuple[str, str], list[tuple[str, str]]] = {node: [] for node in nodes}
    for node, targets in edges.items():
        for target in targets:
            reverse[target].append(node)
    back, queue = set(exits), deque(exits)
    while queue:
        for source in reverse[queue.popleft()]:
            if source not in back:
                back.add(source)
                queue.append(source)
    for flow_name, sid in nodes:
        if (flow_name, sid) not in back:
            problems.append(
                f"{flows.flows[flow_name].path.name}: state `{sid}`: no way back"
                " (never ends, never reaches the main menu)"
            )
    return problems


def _text_problems(flows: FlowSet, texts: TextSource) -> list[str]:
    problems = []
    for flow in flows.flows.values():
        for state in flow.states.values():
            where = f"{flow.path.name}: state `{state.id}`"
            for text in (state.prompt, *(o.label for o in state.options)):
                wanted = set(_PLACEHOLDER.findall(text.msgid))
                for lang in texts.languages:
                    translated = texts.translated(lang, text)
                    if translated is None:
                        problems.append(f"{where}: no `{lang}` text for {text.msgid!r}")
                    elif set(_PLACEHOLDER.findall(translated)) != wanted:
                        problems.append(f"{where}: the `{lang}` text of {text.msgid!r} changes its {{placeholders}}")
    return problems


def _screen_problems(flows: FlowSet, texts: TextSource, sms_alphabet: str) -> list[str]:
    """Screens too long for USSD, or for an SMS of MAX_SMS_PARTS, once rendered with the longest sample data."""
    # Rendering needs the real catalogues (bot.i18n), which sit above the engine: imported here, not at the top.
    from bot.costs import Costing, screens
    from bot.i18n import Catalogues

    if not isinstance(texts, Catalogues):
        return []  # a bare TextSource knows translations, not how a reply is written out
    problems = []
    for screen in screens(flows, texts):
        where = f"{flows.flows[screen.flow].path.name}: state `{screen.state}`"
        if len(screen.text) > USSD_SCREEN:
            problems.append(
                f"{where}: the `{screen.language}` screen is {len(screen.text)} characters,"
                f" over the {USSD_SCREEN} of a USSD screen"
            )
        sms = Costing.of(screen, sms_alphabet)
        if sms.parts > MAX_SMS_PARTS:
            problems.append(
                f"{where}: the `{screen.language}` screen needs {sms.parts} SMS parts ({sms.encoding}),"
                f" over {MAX_SMS_PARTS}"
            )
    return problems


def check_flows(flows: FlowSet, texts: TextSource, *, sms_alphabet: str = "unicode") -> list[str]:
    """Every problem found, one line each; an empty list means the flows can load.

    With the real Catalogues, every screen is also rendered and measured against a USSD screen and
    against MAX_SMS_PARTS under `sms_alphabet` (see bot.sms.prepare).
    """
    return _graph_problems(flows) + _text_problems(flows, texts) + _screen_problems(flows, texts, sms_alphabet)


def load_and_check(
    directory: Path, texts: TextSource, *, sms_alphabet: str = "unicode"
) -> tuple[FlowSet | None, list[str]]:
    """Load each document on its own so that one broken file does not hide the others' problems."""
    loaded, problems = {}, []
    for path in sorted(directory.glob("*.yaml")):
        try:
            flow = load_flow(path)
        except FlowError as error:
            problems.append(str(error))
            continue
        loaded[flow.name] = flow
    if problems:
        return None, problems
    flows = FlowSet(flows=loaded)
    return flows, check_flows(flows, texts, sms_alphabet=sms_alphabet)
