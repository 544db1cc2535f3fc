"""Shared fixtures for the engine specifications: the real flows, the real catalogues, and a phone.

The catalogues are compiled from the translators' `locales/*/LC_MESSAGES/messages.po` into a
temporary directory once per run (what `pybabel compile` does), so the suite neither depends on
nor writes the `.mo` files in `locales/`, which other people rebuild while we run.
"""

from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from bot.engine.flow import FlowSet, load_flows
from bot.engine.interpreter import Choice, Context, Turn, step
from bot.flows import REGISTRY
from bot.i18n import DOMAIN, Catalogues
from bot.menus.assemblies import choice as assembly_choice

ROOT = Path(__file__).resolve().parents[2]
FLOWS_DIR = ROOT / "flows"
LOCALES_DIR = ROOT / "locales"
LANGUAGES = ["fr", "bm"]

# The sites a deployment has configured, in menu order; labels are plain names, not translated.
SITES = (Choice("niamana", "Niamana"), Choice("senou", "Sénou"), Choice("faladie", "Faladié"))


def assembly(number: int, site: str, title: str, when: datetime, place: str, *, full=False, mine=False, reference=None):
    """One upcoming assembly as a menu choice, built as the `assemblies` data menu builds it."""
    return assembly_choice(number, site, title, when, place, full=full, mine=mine, reference=reference)


# The upcoming assemblies of every site, soonest first (the flow keeps those of the person's site).
# Faladié has none. Times are in UTC, which is also Bamako's time (and the catalogues' timezone here).
ASSEMBLIES = (
    assembly(21, "senou", "Assemblée de Sénou", datetime(2026, 11, 28, 16, 0, tzinfo=UTC), "École B"),
    assembly(11, "niamana", "Assemblée des femmes", datetime(2026, 11, 29, 10, 0, tzinfo=UTC), "Centre de santé"),
    assembly(12, "niamana", "Assemblée des jeunes", datetime(2026, 12, 5, 9, 30, tzinfo=UTC), "Terrain", full=True),
    assembly(
        13, "niamana", "Assemblée générale", datetime(2026, 12, 12, 15, 0, tzinfo=UTC), "Mosquée",
        mine=True, reference="M4RX7Q",
    ),
)


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


@pytest.fixture(scope="session")
def make_context(catalogues):
    """A Context as the conversation layer builds it, for a person with the given facts."""

    def make(choices=None, **facts) -> Context:
        """`choices` replaces data menus by name, e.g. {"assemblies": ()} for a site with none planned."""
        return Context(
            facts={"language": None, "consent": False, "site": None, "opted_out": False, **facts},
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


class Phone:
    """One person writing to baro: keeps where the conversation waits between messages, remembers
    what the actions change about the contact (each action's registered `facts`), and shows each
    answer the way the person reads it, rendered by the Catalogues in the contact's language."""

    def __init__(self, flows: FlowSet, catalogues: Catalogues, make_context, position=None, choices=None, **facts):
        self.flows = flows
        self.choices = choices
        self.catalogues = catalogues
        self.make_context = make_context
        self.facts = {"language": None, "consent": False, "site": None, "opted_out": False, **facts}
        self.position = position
        self.turn: Turn | None = None

    def send(self, text: str, reference: str | None = None, **outcome) -> str:
        """Send one SMS; returns the reply text as it appears on the phone ('' when none).

        `reference` and `outcome` are what the conversation passes to render after carrying out
        the actions (bot.actions.base.Outcome.values: reference, signup, status)."""
        self.turn = step(self.flows, self.position, self.make_context(self.choices, **self.facts), text)
        self.position = self.turn.position
        self._carry_out()
        # As the conversation does: the contact's language, else the one the actions carried
        # (a refusal erases the language, but the goodbye is still in the chosen language).
        lang = self.facts["language"] or next(
            (a.values["language"] for a in self.turn.actions if a.values.get("language")), None
        )
        extra = {**({"reference": reference} if reference else {}), **outcome} or None
        return "\n".join(self.catalogues.render(reply, lang, extra) for reply in self.turn.replies)

    def _carry_out(self) -> None:
        for action in self.turn.actions:
            self.facts.update(REGISTRY.actions[action.name].facts(action.values))

    @property
    def actions(self) -> list[str]:
        """The names of the actions the last message triggered, in order."""
        return [action.name for action in self.turn.actions]

    def action(self, name: str):
        """The one action of that name the last message triggered."""
        found = [action for action in self.turn.actions if action.name == name]
        assert len(found) == 1, f"expected one `{name}` action, got {self.turn.actions}"
        return found[0]

    @property
    def waiting_at(self) -> str | None:
        """`flow.state` the next message will answer (`main.menu` after a flow's last message too),
        or None when nothing waits (a refusal, an opt-out, HELP with no conversation)."""
        return f"{self.position['flow']}.{self.position['state']}" if self.position else None


@pytest.fixture
def phone(flows, catalogues, make_context):
    """A phone factory: `phone()` is a number baro has never seen; pass facts for a known contact,
    and `choices` to replace data menus (assemblies, my_references) for this person."""

    def make(position=None, choices=None, **facts) -> Phone:
        return Phone(flows, catalogues, make_context, position=position, choices=choices, **facts)

    return make


class FlowCopy:
    """A copy of the real flows/ in a temporary directory, to break one document at a time."""

    def __init__(self, directory: Path):
        self.dir = directory
        for source in FLOWS_DIR.glob("*.yaml"):
            (directory / source.name).write_text(source.read_text(encoding="utf-8"), encoding="utf-8")

    def edit(self, name: str, change) -> None:
        """Apply `change(document)` to the parsed `name`.yaml and write it back."""
        path = self.dir / f"{name}.yaml"
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
        change(document)
        path.write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False), encoding="utf-8")

    def write(self, name: str, text: str) -> Path:
        path = self.dir / f"{name}.yaml"
        path.write_text(text, encoding="utf-8")
        return path

    def remove(self, name: str) -> None:
        (self.dir / f"{name}.yaml").unlink()


@pytest.fixture
def flow_copy(tmp_path) -> FlowCopy:
    return FlowCopy(tmp_path)


@pytest.fixture(scope="session")
def make_assembly():
    """`make_assembly(number, site, title, when, place, full=, mine=, reference=)`: one assembly choice."""
    return assembly
