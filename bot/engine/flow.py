"""Flow documents: the conversations as data, parsed from YAML into frozen objects.

A flow is a set of states with stable ids. A state shows a prompt and then either
waits for a menu choice (`options`, or `choose` for a menu built from data), waits
for free text (`input: text`; with a menu, text that is no option is taken as such, if it
has at least `min_words` words), or is a plain message that moves on (or ends the conversation).
A text question with `answer_with: variable` is not asked when that variable holds text already
given (a problem typed at the main menu): the text answers it. A text question with `media: true` also
takes a voice note or a photo as its answer, its caption (if any) as the text. After a state, the first `branch`
whose variable is set decides where to go, else `next`; an option with its own `next` leaves the
state's path, and only its own actions run. Targets are a state of the same flow, or `@flow` for
another flow's start. Entering the main menu drops what a flow gathered: it is home.
"""

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.engine.actions import Registry


class FlowError(ValueError):
    """A flow document that cannot be loaded; the message names the file and the state."""


@dataclass(frozen=True)
class Text:
    """A text a person reads: a gettext message id with its context, optionally in a fixed language."""

    context: str
    msgid: str
    lang: str | None = None


@dataclass(frozen=True)
class ActionCall:
    """An action a document names under `do`, with its argument (`submit: complaint`)."""

    name: str
    arg: str | None = None


@dataclass(frozen=True)
class Option:
    key: str
    label: Text
    # Saved under the state's `save`: its key unless given; None (nothing saved) for an option that leads
    # elsewhere without a value of its own, such as the main menu's numbers beside the problem it may keep.
    value: str | None
    next: str | None = None
    actions: tuple[ActionCall, ...] = ()


@dataclass(frozen=True)
class State:
    id: str
    prompt: Text
    options: tuple[Option, ...] = ()
    choose: str | None = None
    # Only the data choices whose group equals this variable (e.g. the assemblies of the person's site).
    filter: str | None = None
    # Where to go instead of showing a data menu that has no choice.
    if_empty: str | None = None
    text_input: bool = False
    # Text shorter than this is no answer to a menu that also takes text ("bonjour" at the main menu).
    min_words: int = 0
    answer_with: str | None = None
    # A voice note or a photo answers it too (its caption as the text, if any): a description, not a reference.
    media: bool = False
    # What is said here is sealed like a confidential flow's messages: it may become a confidential report.
    confidential: bool = False
    save: str | None = None
    skip_if: str | None = None
    branch: tuple[tuple[str, str], ...] = ()
    next: str | None = None
    actions: tuple[ActionCall, ...] = ()
    all_languages: bool = False
    line: int = 0

    @property
    def is_menu(self) -> bool:
        return bool(self.options) or self.choose is not None

    @property
    def asks_for_words(self) -> bool:
        """A text question whose options, if any, are only ways out of it ("0 Menu")."""
        return self.text_input and not self.choose and not self.min_words and all(o.next for o in self.options)

    @property
    def waits(self) -> bool:
        return self.is_menu or self.text_input

    @property
    def targets(self) -> tuple[str, ...]:
        """Every target this state names, for the validator."""
        found = [self.next, self.if_empty, *(t for _, t in self.branch), *(o.next for o in self.options)]
        return tuple(t for t in found if t)


@dataclass(frozen=True)
class Flow:
    name: str
    start: str
    states: dict[str, State]
    path: Path
    version: int = 1
    # Its messages are personal data of the most sensitive kind: stored encrypted, shown to protection staff only.
    confidential: bool = False


@dataclass(frozen=True)
class FlowSet:
    flows: dict[str, Flow] = field(default_factory=dict)
    # What the documents may name; the interpreter reads each action's effect on the facts from it.
    registry: Registry = field(default_factory=Registry)
    entry: str = "welcome"
    main: str = "main"
    # The flow the cancel keyword opens from anywhere, when the deployment has one (cancel.yaml).
    cancel: str = "cancel"

    def is_confidential(self, position: dict | None) -> bool:
        """Whether what is said at this position is sealed: a confidential flow, or a state that may lead to one."""
        flow = self.flows.get((position or {}).get("flow"))
        state = flow.states.get((position or {}).get("state")) if flow else None
        return bool(flow and (flow.confidential or (state and state.confidential)))

    @property
    def home(self) -> tuple[str, str]:
        """(flow, state) of the main menu."""
        return self.main, self.flows[self.main].start

    def has(self, flow: str | None, state: str | None) -> bool:
        return flow in self.flows and state in self.flows[flow].states

    def state(self, flow: str, state: str) -> State:
        return self.flows[flow].states[state]

    def resolve(self, flow: str, target: str) -> tuple[str, str]:
        """(flow, state) for a target written in `flow`'s document."""
        if target.startswith("@"):
            name = target[1:]
            return name, self.flows[name].start
        return flow, target


def _actions(raw: Any, where: str, registry: Registry) -> tuple[ActionCall, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise FlowError(f"{where}: `do` must be a list")
    calls = []
    for item in raw:
        if isinstance(item, str):
            name, arg = item, None
        elif isinstance(item, dict) and len(item) == 1:
            name, arg = next(iter(item.items()))
            arg = str(arg)
        else:
            raise FlowError(f"{where}: an action is a name or a one-key mapping, not {item!r}")
        spec = registry.actions.get(name)
        if spec is None:
            raise FlowError(f"{where}: unknown action `{name}` (known: {', '.join(sorted(registry.actions))})")
        takes = spec.arguments is not None
        if takes != (arg is not None):
            raise FlowError(f"{where}: action `{name}` {'needs' if takes else 'takes no'} argument")
        if takes and arg not in spec.arguments:
            raise FlowError(f"{where}: action `{name}` takes one of {sorted(map(str, spec.arguments))}, not `{arg}`")
        calls.append(ActionCall(name, arg))
    return tuple(calls)


def _target(raw: Any) -> str | None:
    return None if raw is None else str(raw)


def _state(flow: str, state_id: str, raw: Any, where: str, line: int, registry: Registry) -> State:
    if not isinstance(raw, dict):
        raise FlowError(f"{where}: a state is a mapping")
    unknown = set(raw) - {
        "prompt", "options", "choose", "filter", "if_empty", "input", "save", "skip_if", "branch", "next", "do",
        "all_languages", "min_words", "answer_with", "confidential", "media",
    }
    if unknown:
        raise FlowError(f"{where}: unknown keys {sorted(unknown)}")
    if not isinstance(raw.get("prompt"), str) or not raw["prompt"].strip():
        raise FlowError(f"{where}: needs a `prompt` text")
    context = f"{flow}.{state_id}"
    options = []
    for index, item in enumerate(raw.get("options") or [], start=1):
        if not isinstance(item, dict) or "label" not in item:
            raise FlowError(f"{where}: option {index} needs a `label`")
        key = str(item.get("key", index))
        options.append(
            Option(
                key=key,
                label=Text(context, str(item["label"])),
                value=str(item["value"]) if "value" in item else (None if item.get("next") else key),
                next=_target(item.get("next")),
                actions=_actions(item.get("do"), f"{where} option {key}", registry),
            )
        )
    choose = raw.get("choose")
    if choose is not None and choose not in registry.menus:
        raise FlowError(f"{where}: `choose` must be one of {sorted(registry.menus)}")
    if options and choose:
        raise FlowError(f"{where}: use `options` or `choose`, not both")
    text_input = raw.get("input") == "text"
    if raw.get("input") not in (None, "text"):
        raise FlowError(f"{where}: `input` can only be `text`")
    if (raw.get("min_words") or raw.get("answer_with") or raw.get("media")) and not text_input:
        raise FlowError(f"{where}: `min_words`, `answer_with` and `media` go with `input: text`")
    min_words = raw.get("min_words", 0)
    if not isinstance(min_words, int) or min_words < 0:
        raise FlowError(f"{where}: `min_words` must be a whole number")
    if (raw.get("filter") or raw.get("if_empty")) and not choose:
        raise FlowError(f"{where}: `filter` and `if_empty` go with `choose`")
    branch = []
    for item in raw.get("branch") or []:
        if not isinstance(item, dict) or set(item) != {"if", "next"}:
            raise FlowError(f"{where}: each `branch` is {{if: variable, next: target}}")
        branch.append((str(item["if"]), str(item["next"])))
    return State(
        id=state_id,
        prompt=Text(context, raw["prompt"].strip()),
        options=tuple(options),
        choose=choose,
        filter=raw.get("filter"),
        if_empty=_target(raw.get("if_empty")),
        text_input=text_input,
        min_words=min_words,
        answer_with=raw.get("answer_with"),
        media=raw.get("media") is True,
        confidential=raw.get("confidential") is True,
        save=raw.get("save"),
        skip_if=raw.get("skip_if"),
        branch=tuple(branch),
        next=_target(raw.get("next")),
        actions=_actions(raw.get("do"), where, registry),
        all_languages=bool(raw.get("all_languages", False)),
        line=line,
    )


def _state_lines(source: str) -> dict[str, int]:
    """Line numbers of each state's key, so errors can point into the file."""
    node = yaml.compose(source)
    lines: dict[str, int] = {}
    if not isinstance(node, yaml.MappingNode):
        return lines
    for key, value in node.value:
        if key.value == "states" and isinstance(value, yaml.MappingNode):
            for state_key, _ in value.value:
                lines[state_key.value] = state_key.start_mark.line + 1
    return lines


def load_flow(path: Path, registry: Registry) -> Flow:
    """One document, its actions and data menus checked against `registry`; FlowError names what is wrong."""
    source = path.read_text(encoding="utf-8")
    try:
        raw = yaml.safe_load(source)
        lines = _state_lines(source)
    except yaml.YAMLError as error:
        raise FlowError(f"{path.name}: not valid YAML: {error}") from error
    if not isinstance(raw, dict) or not isinstance(raw.get("states"), dict) or not raw["states"]:
        raise FlowError(f"{path.name}: needs `flow`, `start` and a mapping of `states`")
    name = raw.get("flow") or path.stem
    if name != path.stem:
        raise FlowError(f"{path.name}: `flow: {name}` must match the file name")
    states = {
        str(sid): _state(name, str(sid), body, f"{path.name}: state `{sid}`", lines.get(str(sid), 0), registry)
        for sid, body in raw["states"].items()
    }
    start = raw.get("start")
    if start not in states:
        raise FlowError(f"{path.name}: `start: {start}` is not a state of this flow")
    version = raw.get("version", 1)
    if not isinstance(version, int):
        raise FlowError(f"{path.name}: `version` must be a whole number")
    return Flow(
        name=name, start=start, states=states, path=path, version=version, confidential=raw.get("confidential") is True
    )


def load_flows(directory: Path, registry: Registry) -> FlowSet:
    flows = {flow.name: flow for flow in (load_flow(path, registry) for path in sorted(directory.glob("*.yaml")))}
    return FlowSet(flows=flows, registry=registry)
