"""What the engine knows of the actions and data menus a flow may name.

The engine carries nothing out: it emits each action, with the values known at that moment, for the
conversation layer. It only needs to know, per action, whether it takes an argument, how it changes
the facts the rest of the turn sees, and which variables its values must come from a vocabulary
(for `baro flows check`). The units that carry actions out and load menus register these specs
(bot.actions, bot.menus); a flow naming anything else does not load.
"""

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

# Actions the engine emits on its own, for the STOP and START keywords: every deployment registers them.
OPT_OUT = "opt_out"
OPT_IN = "opt_in"
KEYWORD_ACTIONS = (OPT_OUT, OPT_IN)


def _no_facts(values: Mapping[str, Any]) -> Mapping[str, Any]:
    return {}


def _reads_nothing(argument: str | None) -> Mapping[str, Collection[str]]:
    return {}


@dataclass(frozen=True)
class ActionSpec:
    name: str
    # The arguments it takes (`submit: complaint`), or None when it takes none.
    arguments: frozenset[str] | None = None
    # The facts the rest of the turn (and, once carried out, the contact) have after it, from the turn's values.
    facts: Callable[[Mapping[str, Any]], Mapping[str, Any]] = _no_facts
    # For an argument: the variables it reads whose values must be codes of a vocabulary, e.g. a
    # complaint's `category`. A menu saving one of them may only offer those codes.
    reads: Callable[[str | None], Mapping[str, Collection[str]]] = _reads_nothing


@dataclass(frozen=True)
class Registry:
    """The actions and data menus a deployment can carry out and load, by name."""

    actions: Mapping[str, ActionSpec] = field(default_factory=dict)
    menus: frozenset[str] = frozenset()

    def missing(self) -> list[str]:
        """Keyword actions the engine emits that nothing is registered to carry out."""
        return [name for name in KEYWORD_ACTIONS if name not in self.actions]
