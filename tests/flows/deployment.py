"""The deployment's own documents as session fixtures: the real flows/ and the translators' catalogues.

Both tests/flows (what each flow does for a person) and tests/engine (the checks of the real documents)
import these fixtures into their conftest: sibling conftests do not see each other's fixtures.

The catalogues are compiled from the translators' `locales/*/LC_MESSAGES/messages.po` into a
temporary directory once per run (what `pybabel compile` does), so the suite neither depends on
nor writes the `.mo` files in `locales/`, which other people rebuild while we run.
"""

from pathlib import Path

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from bot.engine.flow import FlowSet, load_flows
from bot.flows import REGISTRY
from bot.i18n import DOMAIN, Catalogues

ROOT = Path(__file__).resolve().parents[2]
FLOWS_DIR = ROOT / "flows"
LOCALES_DIR = ROOT / "locales"
LANGUAGES = ["fr", "bm"]


@pytest.fixture(scope="session")
def flows_dir() -> Path:
    return FLOWS_DIR


@pytest.fixture(scope="session")
def flows() -> FlowSet:
    return load_flows(FLOWS_DIR, REGISTRY)


@pytest.fixture(scope="session")
def catalogues(tmp_path_factory) -> Catalogues:
    compiled = tmp_path_factory.mktemp("locales")
    for lang in LANGUAGES:
        source = LOCALES_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
        with source.open("rb") as po:
            catalog = read_po(po, locale=lang)
        target = compiled / lang / "LC_MESSAGES"
        target.mkdir(parents=True)
        with (target / f"{DOMAIN}.mo").open("wb") as mo:
            write_mo(mo, catalog)
    return Catalogues.load(compiled, LANGUAGES)
