"""The data menus flows may `choose` (bot.menus), each loaded from the real database.

`CASES` maps every registered menu to the cases that specify what it offers a person: the active
sites in the organizers' order; the upcoming assemblies, soonest first, each saying whether it is
full and whether the person is already signed up (with their reference); the person's last five
references, newest first; the languages, each named in itself. Each menu's `sample`, which costs the
screens before anyone has used them, offers at least one option that reads whole in every language.

Registering a menu without a case here fails `test_every_registered_menu_has_a_case`.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot import samples
from bot.config import Settings
from bot.db import transaction
from bot.engine.flow import Text
from bot.engine.interpreter import Choice
from bot.i18n import Catalogues
from bot.menus import MENUS
from bot.menus.assemblies import ASSEMBLY_LABEL
from bot.menus.base import MenuContext
from bot.menus.sites import choice as site_choice
from bot.models import Assembly, Contact, Signup, utcnow
from tests import domain_support as rows


@dataclass
class Scene:
    """A person about to be shown the menu under test."""

    name: str
    db: Any
    vault: Any
    contact: Contact
    catalogues: Catalogues

    def load(self) -> tuple[Choice, ...]:
        self.db.flush()
        return MENUS[self.name].load(MenuContext(self.db, self.contact, self.catalogues))

    def someone_else(self) -> Contact:
        return rows.person(self.db, self.vault, "+22370000099")


# --- sites -----------------------------------------------------------------------------------------


def the_active_sites_in_the_organizers_order(scene: Scene):
    assert scene.load() == (
        site_choice("niamana", "Niamana"),
        site_choice("sogoniko", "Sogoniko"),
        site_choice("senou", "Sénou"),
        site_choice("mopti", "Mopti"),
        site_choice("gao", "Gao"),
    )
    assert scene.load()[2].attrs == {"name": "Sénou"}  # saved as `site_name` when chosen: "Still at Sénou?"
    rows.site(scene.db, "mopti").active = False
    rows.site(scene.db, "gao").position = -1
    assert [choice.value for choice in scene.load()] == ["gao", "niamana", "sogoniko", "senou"]


# --- languages -------------------------------------------------------------------------------------


def each_language_named_in_itself(scene: Scene):
    choices = scene.load()
    assert [choice.value for choice in choices] == ["fr", "bm"]
    for lang in ("fr", "bm"):  # whatever language the person reads, each language keeps its own name
        assert [scene.catalogues.format(choice.label, lang) for choice in choices] == ["Français", "Bamanankan"]


# --- assemblies ------------------------------------------------------------------------------------


def add_assembly(scene: Scene, site: str, title: str, in_days: float, capacity: int | None) -> Assembly:
    assembly = Assembly(
        site_id=rows.site(scene.db, site).id,
        title=title,
        place=f"Place of {title}",
        starts_at=utcnow() + timedelta(days=in_days),
        capacity=capacity,
    )
    scene.db.add(assembly)
    scene.db.flush()
    return assembly


def sign_up(scene: Scene, contact: Contact, assembly: Assembly, status: str = "confirmed") -> str:
    feedback = rows.case(scene.db, contact, assembly.title, kind="assembly", category=status, site_slug=None)
    scene.db.add(Signup(assembly_id=assembly.id, contact_id=contact.id, feedback_id=feedback.id, status=status))
    return feedback.reference


def seeded(scene: Scene, site: str) -> Assembly:
    """The demo assembly of a Bamako site, a week or so ahead."""
    name = rows.site(scene.db, site).name
    return scene.db.scalars(select(Assembly).where(Assembly.title == f"Assemblée citoyenne de {name}")).one()


def the_upcoming_assemblies_soonest_first(scene: Scene):
    add_assembly(scene, "niamana", "Assemblée passée", -1, None)  # over: not offered
    gao = add_assembly(scene, "gao", "Assemblée de Gao", 8, 1)
    niamana, sogoniko, senou = seeded(scene, "niamana"), seeded(scene, "sogoniko"), seeded(scene, "senou")

    choices = scene.load()

    assert [(choice.value, choice.group) for choice in choices] == [
        (str(niamana.id), "niamana"),  # the seeded ones are a week ahead, three days apart
        (str(gao.id), "gao"),
        (str(sogoniko.id), "sogoniko"),
        (str(senou.id), "senou"),
    ]
    first = choices[0]
    assert first.label == ASSEMBLY_LABEL
    assert first.params == {"title": niamana.title, "when": niamana.starts_at, "place": niamana.place}
    assert first.attrs == {
        "title": niamana.title,
        "when": niamana.starts_at,
        "full": False,
        "mine": False,
        "reference": None,
    }
    written = scene.catalogues.fill("fr", first.label, first.params)
    assert written.startswith("Assemblée citoyenne de Niamana, ")
    assert written.endswith(", Espace communautaire de Niamana")


def a_full_assembly_and_the_persons_own_sign_up_are_marked(scene: Scene):
    gao = add_assembly(scene, "gao", "Assemblée de Gao", 8, 1)
    open_ended = add_assembly(scene, "gao", "Assemblée ouverte", 9, None)
    sign_up(scene, scene.someone_else(), gao)
    sign_up(scene, scene.someone_else(), open_ended)
    mine = sign_up(scene, scene.contact, seeded(scene, "sogoniko"), "waiting")

    attrs = {choice.attrs["title"]: choice.attrs for choice in scene.load()}

    assert (attrs["Assemblée de Gao"]["full"], attrs["Assemblée de Gao"]["mine"]) == (True, False)
    assert attrs["Assemblée ouverte"]["full"] is False  # no capacity: never full
    sogoniko = attrs["Assemblée citoyenne de Sogoniko"]
    assert (sogoniko["full"], sogoniko["mine"], sogoniko["reference"]) == (False, True, mine)
    assert not any(a["mine"] for title, a in attrs.items() if title != "Assemblée citoyenne de Sogoniko")


def a_place_on_the_waiting_list_does_not_fill_an_assembly(scene: Scene):
    gao = add_assembly(scene, "gao", "Assemblée de Gao", 8, 1)
    sign_up(scene, scene.someone_else(), gao, "waiting")
    (choice,) = [choice for choice in scene.load() if choice.group == "gao"]
    assert choice.attrs["full"] is False


# --- my_references ---------------------------------------------------------------------------------


def the_persons_last_five_references_newest_first(scene: Scene):
    start = utcnow() - timedelta(days=7)
    theirs = [rows.case(scene.db, scene.contact, created_at=start + timedelta(days=n)).reference for n in range(7)]
    rows.case(scene.db, scene.someone_else(), created_at=utcnow())  # someone else's, newer still
    assert scene.load() == tuple(Choice(reference, reference) for reference in theirs[::-1][:5])


def no_references_before_the_first_report(scene: Scene):
    rows.case(scene.db, scene.someone_else())
    assert scene.load() == ()


CASES: dict[str, tuple[Callable[[Scene], None], ...]] = {
    "sites": (the_active_sites_in_the_organizers_order,),
    "languages": (each_language_named_in_itself,),
    "assemblies": (
        the_upcoming_assemblies_soonest_first,
        a_full_assembly_and_the_persons_own_sign_up_are_marked,
        a_place_on_the_waiting_list_does_not_fill_an_assembly,
    ),
    "my_references": (the_persons_last_five_references_newest_first, no_references_before_the_first_report),
}


def test_every_registered_menu_has_a_case():
    assert set(CASES) == set(MENUS)
    assert all(CASES.values())


@pytest.mark.parametrize(
    ("name", "case"),
    [(name, case) for name, cases in CASES.items() for case in cases],
    ids=[f"{name}: {case.__name__}" for name, cases in CASES.items() for case in cases],
)
def test_menu_case(runtime, name, case):
    with transaction(runtime.database) as db:
        contact = rows.person(db, runtime.vault)
        case(Scene(name, db, runtime.vault, contact, runtime.catalogues))


# --- samples ---------------------------------------------------------------------------------------


def written(catalogues: Catalogues, choice: Choice, lang: str | None) -> str:
    label = choice.label
    return catalogues.fill(lang, label, choice.params) if isinstance(label, Text) else label


@pytest.fixture(scope="module")
def catalogues(environment) -> Catalogues:
    """The phone catalogues of the configured languages, as the runtime loads them (no database needed)."""
    settings = Settings()
    return Catalogues.load(settings.locales_dir, settings.languages, ZoneInfo(settings.timezone))


@pytest.mark.parametrize("name", sorted(MENUS))
def test_a_sample_offers_an_option_that_reads_whole_in_every_language(catalogues, name):
    assert set(catalogues.languages) == {"fr", "bm"}
    for lang in (*catalogues.languages, None):  # None: a screen in every language at once
        choices = MENUS[name].sample(catalogues, lang)
        assert len(choices) >= 1, lang
        for choice in choices:
            text = written(catalogues, choice, lang)
            assert choice.value and text.strip() and "{" not in text, (lang, text)


def test_the_sample_assembly_is_at_the_sample_site_so_a_screen_filtered_by_site_shows_it(catalogues):
    (choice,) = MENUS["assemblies"].sample(catalogues, "fr")
    assert choice.group == samples.SITE
    assert samples.SITE in {choice.value for choice in MENUS["sites"].sample(catalogues, "fr")}
