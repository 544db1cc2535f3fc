"""The flow validator: a broken flow is named, with its file and state, before it can load.

It checks what the engine knows: the graph of states, the translations, and that a menu only offers
the codes the actions of its flow accept. How long each screen is on a channel is the channels'
concern (bot.screens).
"""

import re
from collections import deque
from pathlib import Path
from typing import Protocol

from bot.engine.actions import Registry
from bot.engine.flow import FlowError, FlowSet, Text, load_flow

_PLACEHOLDER = re.compile(r"\{(\w+)\}")


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

    # A keyword's flow (cancel) is entered from anywhere, as the entry flow is.
    starts = [name for name in (flows.entry, flows.cancel) if name in flows.flows]
    seen = {(name, flows.flows[name].start) for name in starts}
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


def _vocabulary_problems(flows: FlowSet) -> list[str]:
    """Menus whose options save a code the flow's own actions do not accept (a category no kind has)."""
    problems = []
    for flow in flows.flows.values():
        accepted: dict[str, set[str]] = {}
        for state in flow.states.values():
            for call in (*state.actions, *(call for option in state.options for call in option.actions)):
                for variable, codes in flows.registry.actions[call.name].reads(call.arg).items():
                    accepted[variable] = accepted.get(variable, set(codes)) & set(codes)
        for state in flow.states.values():
            for option in state.options:
                codes = accepted.get(state.save or "")
                if codes is not None and option.value is not None and option.value not in codes:
                    problems.append(
                        f"{flow.path.name}: state `{state.id}`: option {option.key} saves `{option.value}` as"
                        f" `{state.save}`, not one of {', '.join(sorted(codes))}"
                    )
    return problems


def check_flows(flows: FlowSet, texts: TextSource) -> list[str]:
    """Every problem found, one line each; an empty list means the flows can run."""
    return _graph_problems(flows) + _text_problems(flows, texts) + _vocabulary_problems(flows)


def load_and_check(directory: Path, registry: Registry, texts: TextSource) -> tuple[FlowSet | None, list[str]]:
    """Load each document on its own so that one broken file does not hide the others' problems."""
    loaded, problems = {}, []
    for path in sorted(directory.glob("*.yaml")):
        try:
            flow = load_flow(path, registry)
        except FlowError as error:
            problems.append(str(error))
            continue
        loaded[flow.name] = flow
    if problems:
        return None, problems
    flows = FlowSet(flows=loaded, registry=registry)
    return flows, check_flows(flows, texts)
