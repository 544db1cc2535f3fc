"""The flow interpreter: (flows, position, context, input) -> (position, replies, actions).

Pure: no I/O, no clock, no randomness. Everything it may know about the person
and the world comes in through `Context`; everything it wants done goes out as
`Action`s for the conversation layer to carry out.

A position is where a conversation waits, as a plain dict the conversation layer keeps between
messages: `{"flow", "state", "vars"}`, and `"parked": True` at the main menu after a flow's end.
"""

import copy
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.engine.actions import OPT_IN, OPT_OUT
from bot.engine.flow import ActionCall, FlowSet, Option, State, Text
from bot.engine.matching import answer_key
from bot.engine.texts import (
    EMPTY_TEXT_HINT,
    HELP,
    INVALID_CHOICE_HINT,
    MEDIA_HINT,
    OPTED_IN,
    OPTED_OUT,
    SEND_STOP,
    WAY_BACK,
)

# A chain of message states longer than this is a loop in a flow, not a conversation.
MAX_HOPS = 32
# Keywords answered with a text alone: HELP, and a word that may mean stop but also something else (FIN is
# also "faim" misspelt), which says how to stop rather than stopping everything by accident.
_SAID_BACK = {"help": HELP, "maybe_stop": SEND_STOP}


@dataclass(frozen=True)
class Choice:
    """An option built from data. `params` fill its label; `attrs` are saved beside the value when chosen."""

    value: str
    label: Text | str
    group: str | None = None
    params: Mapping[str, Any] = field(default_factory=dict)
    attrs: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Context:
    """What the engine may read: facts about the person, data-driven menus, keywords."""

    facts: Mapping[str, Any] = field(default_factory=dict)
    choices: Mapping[str, tuple[Choice, ...]] = field(default_factory=dict)
    # Folded keyword spellings, by meaning (e.g. "menu").
    keywords: Mapping[str, frozenset[str]] = field(default_factory=dict)
    # Every way an option label may be written (its text in each language), so "Santé" answers "Health".
    spellings: Callable[[Text], Iterable[str]] = lambda text: (text.msgid,)


@dataclass(frozen=True)
class Reply:
    prompt: Text
    # (key, label, params to fill the label with)
    options: tuple[tuple[str, Text | str, Mapping[str, Any]], ...] = ()
    params: Mapping[str, Any] = field(default_factory=dict)
    hint: Text | None = None
    all_languages: bool = False
    # The way back to the menu under a conversation's last message: a screen that closes (USSD) leaves it out.
    way_back: bool = False


@dataclass(frozen=True)
class Action:
    """An action to carry out, with the values known when it was triggered."""

    name: str
    arg: str | None
    values: Mapping[str, Any]


@dataclass(frozen=True)
class Turn:
    # Where the next message is read. None when nothing waits (a refusal, an opt-out); a finished
    # flow parks at the main menu.
    position: dict | None
    replies: tuple[Reply, ...]
    actions: tuple[Action, ...]


class _Run:
    """One turn in progress."""

    def __init__(self, flows: FlowSet, context: Context, variables: dict):
        self.flows = flows
        self.context = context
        self.facts = dict(context.facts)
        self.vars = dict(variables)
        self.replies: list[Reply] = []
        self.actions: list[Action] = []

    def values(self) -> dict:
        return {**self.facts, **self.vars}

    def options(self, state: State) -> tuple[tuple[str, Option | Choice], ...]:
        """(key, option) for every option the state offers now, numbered from 1 for data menus."""
        if state.choose:
            choices = self.context.choices.get(state.choose, ())
            if state.filter:
                choices = [c for c in choices if c.group == self.values().get(state.filter)]
            return tuple((str(i), choice) for i, choice in enumerate(choices, start=1))
        return tuple((o.key, o) for o in state.options)

    def apply(self, calls: tuple[ActionCall, ...]) -> None:
        for call in calls:
            self.actions.append(Action(call.name, call.arg, self.values()))
            # What the action will change of the person, the rest of the turn already sees.
            self.facts.update(self.flows.registry.actions[call.name].facts(self.values()))

    def show(self, state: State, hint: Text | None = None) -> None:
        self.replies.append(
            Reply(
                prompt=state.prompt,
                options=tuple((key, o.label, getattr(o, "params", {})) for key, o in self.options(state)),
                params=self.values(),
                hint=hint,
                all_languages=state.all_languages,
            )
        )

    def following(self, state: State, chosen: Option | Choice | None = None) -> str | None:
        """Where to go after `state`: the option's own target, the first branch that holds, or `next`."""
        if isinstance(chosen, Option) and chosen.next:
            return chosen.next
        values = self.values()
        return next((target for variable, target in state.branch if values.get(variable)), state.next)

    def end(self) -> dict | None:
        """After a flow's last message, wait quietly at the main menu: the confirmation's "send 5" then works.

        Someone who has not consented is not parked there: their next message starts over.
        """
        if not self.facts.get("consent"):
            return None
        if self.replies:  # under the last message, how to get the menu: any answer that is no option brings it
            self.replies.append(Reply(WAY_BACK, way_back=True))
        main, menu = self.flows.home
        return {"flow": main, "state": menu, "vars": {}, "parked": True}

    def enter(self, flow: str, state_id: str) -> dict | None:
        """Walk from a state to the next one that waits for input, or to the end of the conversation."""
        for _ in range(MAX_HOPS):
            state = self.flows.state(flow, state_id)
            if (flow, state_id) == self.flows.home:
                self.vars = {}  # home: a flow left half-way leaves nothing behind (a held text, a half answer)
            if state.skip_if and self.values().get(state.skip_if):
                target = state.next
            elif state.choose and state.if_empty and not self.options(state):
                target = state.if_empty
            elif state.answer_with and self.vars.get(state.answer_with):
                return self.answer(flow, state, self.vars.pop(state.answer_with))
            else:
                self.show(state)
                if state.waits:
                    return {"flow": flow, "state": state_id, "vars": self.vars}
                self.apply(state.actions)
                target = self.following(state)
            if not target:
                return self.end()
            flow, state_id = self.flows.resolve(flow, target)
        raise RuntimeError(f"flow loop at {flow}.{state_id}")

    def match(self, state: State, text: str) -> Option | Choice | None:
        key = answer_key(text)
        for option_key, option in self.options(state):
            names = (option.label,) if isinstance(option.label, str) else self.context.spellings(option.label)
            if key == option_key or any(key == answer_key(name) for name in names):
                return option
        return None

    def takes_text(self, state: State, text: str) -> bool:
        """Whether `text` answers `state` as free text (not as one of its options).

        Where a few words are needed (`min_words`), greetings do not count: "I ni ce" is no problem typed out.
        """
        words = text.split()
        if state.min_words:
            greetings = self.context.keywords.get("greeting", frozenset())
            words = [word for word in words if answer_key(word) not in greetings]
        return state.text_input and len(words) >= max(state.min_words, 1)

    def answer(self, flow: str, state: State, text: str, attached: int = 0) -> dict | None:
        """Take `text` (and `attached` files) as the answer to `state`; repeat the question with a hint if not one.

        A file answers a question that takes media (`media: true`), its caption as the text; elsewhere the
        hint says where files are taken, rather than asking for words or a number.
        """
        chosen = self.match(state, text) if state.is_menu else None
        if chosen is not None:
            if state.save and chosen.value is not None:
                self.vars[state.save] = chosen.value
                for name, value in getattr(chosen, "attrs", {}).items():
                    self.vars[f"{state.save}_{name}"] = value
            leaves = isinstance(chosen, Option) and chosen.next  # a way out: the state's own actions do not run
            self.apply(getattr(chosen, "actions", ()) + (() if leaves else state.actions))
        elif self.takes_text(state, text) or (attached and state.media):
            if state.save:
                self.vars[state.save] = text.strip()
            self.apply(state.actions)
        else:
            hint = EMPTY_TEXT_HINT if state.asks_for_words or not state.is_menu else INVALID_CHOICE_HINT
            hint = MEDIA_HINT if attached else hint
            self.show(state, hint=hint)
            return {"flow": flow, "state": state.id, "vars": self.vars}
        target = self.following(state, chosen)
        return self.enter(*self.flows.resolve(flow, target)) if target else self.end()

    def turn(self, position: dict | None) -> Turn:
        return Turn(position, tuple(self.replies), tuple(self.actions))


def question(flows: FlowSet, state: State, context: Context) -> Reply:
    """The Reply the engine shows when it reaches `state` (for costing screens without a conversation)."""
    run = _Run(flows, context, {})
    run.show(state)
    return run.replies[-1]


def start(flows: FlowSet, context: Context) -> Turn:
    """Open a conversation at the entry flow; states already answered (language, consent) are skipped."""
    run = _Run(flows, context, {})
    return run.turn(run.enter(flows.entry, flows.flows[flows.entry].start))


def step(flows: FlowSet, position: dict | None, context: Context, text: str, attached: int = 0) -> Turn:
    """Advance a conversation by one inbound message, from where it waits (None: nowhere).

    `attached`: how many files (a voice note, a photo) came with it that baro can keep.
    """
    said = answer_key(text)
    keyword = next((meaning for meaning, words in context.keywords.items() if said in words), None)
    if context.facts.get("opted_out"):
        if keyword != "start":
            return Turn(None, (), ())  # an opted-out number is sent nothing, not even a second confirmation
        turn = start(flows, context)
        return Turn(turn.position, (Reply(OPTED_IN), *turn.replies), (Action(OPT_IN, None, {}), *turn.actions))
    if keyword == "stop":
        return Turn(None, (Reply(OPTED_OUT),), (Action(OPT_OUT, None, {}),))
    if keyword in _SAID_BACK:  # the question being asked stays open
        said_back = Reply(_SAID_BACK[keyword], all_languages=not context.facts.get("language"))
        return Turn(copy.deepcopy(position), (said_back,), ())
    if keyword in ("menu", "start"):
        return start(flows, context)
    if keyword == "cancel" and context.facts.get("consent") and flows.cancel in flows.flows:
        # Whatever was asked is dropped: the cancel flow's actions find what to give up, and say so.
        run = _Run(flows, context, {})
        return run.turn(run.enter(flows.cancel, flows.flows[flows.cancel].start))
    state = flows.state(position["flow"], position["state"]) if _waiting(flows, position) else None
    if state is None or (position.get("parked") and _Run(flows, context, {}).match(state, text) is None):
        # No conversation (new, or expired), one left where an edited flow no longer asks anything, or one
        # parked after a flow's end ("merci" after a confirmation). The message is not read as a menu answer:
        # its question is unknown, so guessing could misfile it. A problem written out in words is not a
        # guess: a person who has consented is asked what it is, rather than to type it again later.
        return _home(flows, context, text, attached) or start(flows, context)
    run = _Run(flows, context, position.get("vars", {}))
    return run.turn(run.answer(position["flow"], state, text, attached))


def _home(flows: FlowSet, context: Context, text: str, attached: int = 0) -> Turn | None:
    """`text` taken as free text at the main menu, if the person would be there and the menu takes it; a file
    there gets the menu with the hint saying where files are taken."""
    state = flows.state(*flows.home)
    run = _Run(flows, context, {})
    if not context.facts.get("consent") or not context.facts.get("language"):
        return None
    if not run.takes_text(state, text) and not attached:
        return None
    return run.turn(run.answer(flows.main, state, text, attached))


def _waiting(flows: FlowSet, position: dict | None) -> bool:
    return (
        position is not None
        and flows.has(position.get("flow"), position.get("state"))
        and flows.state(position["flow"], position["state"]).waits
    )
