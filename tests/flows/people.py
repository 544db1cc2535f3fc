"""The people who write to baro in these specifications, and the world they write from.

The sites and the upcoming assemblies a deployment has configured, a `Phone` that keeps one person's
conversation between messages as the conversation layer does, and the people the specifications
start from: someone `returning` on a later day, someone `known` already looking at the main menu.
"""

from datetime import UTC, datetime

from bot.engine.flow import FlowSet
from bot.engine.interpreter import Choice, Turn, step
from bot.flows import REGISTRY
from bot.i18n import Catalogues
from bot.menus.assemblies import choice as assembly_choice
from bot.menus.sites import choice as site_choice
from tests.flows.screens import MAIN_MENU

# The sites a deployment has configured, in menu order; labels are plain names, not translated.
SITES = (site_choice("niamana", "Niamana"), site_choice("senou", "Sénou"), site_choice("faladie", "Faladié"))
SITE_NAMES = {site.value: site.label for site in SITES}


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

# Two references of the person's own, as the `my_references` data menu lists them.
MY_REFERENCES = {"my_references": (Choice("K7Q2MX", "K7Q2MX"), Choice("P3HW9A", "P3HW9A"))}

# After a flow's last message (a confirmation, a status), a person who has consented waits quietly at
# the main menu, so that the confirmation's "send 5" is read as a main-menu answer at once.
PARKED = {"flow": "main", "state": "menu", "vars": {}, "parked": True}


class Phone:
    """One person writing to baro: keeps where the conversation waits between messages, remembers
    what the actions change about the contact (each action's registered `facts`), and shows each
    answer the way the person reads it, rendered by the Catalogues in the contact's language.

    A site given is known by its name too, and was chosen or confirmed recently (the conversation layer's
    `site_confirmed`), unless `site_confirmed=False`: longer ago than SITE_CONFIRM_DAYS."""

    def __init__(self, flows: FlowSet, catalogues: Catalogues, make_context, position=None, choices=None, **facts):
        self.flows = flows
        self.choices = choices
        self.catalogues = catalogues
        self.make_context = make_context
        self.facts = {"language": None, "consent": False, "site": None, "opted_out": False, **facts}
        self.facts.setdefault("site_name", SITE_NAMES.get(self.facts["site"]))
        self.facts.setdefault("site_confirmed", self.facts["site"] is not None)
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


class Transcript:
    """Every action a conversation triggered, message after message."""

    def __init__(self, person):
        self.person = person
        self.actions = []

    def send(self, text: str, **outcome) -> str:
        said = self.person.send(text, **outcome)
        self.actions.extend(self.person.turn.actions)
        return said


def returning(phone, lang, **facts):
    """A person who chose `lang` and accepted the notice on an earlier day, writing again."""
    return phone(language=lang, consent=True, **facts)


def known(phone, lang, **facts):
    """A returning person who has just said hello and is looking at the main menu."""
    person = returning(phone, lang, **facts)
    assert person.send("Bonjour") == MAIN_MENU[lang]
    return person
