"""Fixtures for the specifications of the real flows: the real flows and catalogues, a context as the
conversation layer builds it, a phone, and the screens as the person reads them.

The helpers the specifications import live beside this file: tests/flows/screens.py (the texts) and
tests/flows/people.py (the phone, the sites and assemblies, returning and known people).
"""

import pytest

from bot.engine.interpreter import Context
from bot.journeys import NEW
from tests.flows import deployment
from tests.flows.people import ASSEMBLIES, SITES, Phone
from tests.flows.screens import LINE, Screens

# The real flows and catalogues, shared with tests/engine.
flows, catalogues = deployment.flows, deployment.catalogues


@pytest.fixture(scope="session")
def make_context(catalogues):
    """A Context as the conversation layer builds it, for a person with the given facts."""

    def make(choices=None, **facts) -> Context:
        """`choices` replaces data menus by name, e.g. {"assemblies": ()} for a site with none planned."""
        return Context(
            # What baro knows of someone who never wrote, as the journeys start from it; then the line's own
            # facts (who runs it, what a message costs: bot/line.py).
            facts={**NEW, **LINE.facts(), **facts},
            choices={
                "sites": SITES,
                "languages": catalogues.language_choices(),
                "assemblies": ASSEMBLIES,
                "my_references": (),
                **(choices or {}),
            },
            keywords=catalogues.keywords(),
            spellings=catalogues.spellings,
        )

    return make


@pytest.fixture
def phone(flows, catalogues, make_context):
    """A phone factory: `phone()` is a number baro has never seen; pass facts for a known contact,
    and `choices` to replace data menus (assemblies, my_references) for this person."""

    def make(position=None, choices=None, **facts) -> Phone:
        return Phone(flows, catalogues, make_context, position=position, choices=choices, **facts)

    return make


@pytest.fixture(scope="session")
def screen(flows, catalogues) -> Screens:
    """The screens whose wording is tuned for length, read from the real catalogues."""
    return Screens(flows, catalogues)
