"""`choose: sites`: the active sites, in the organizers' order; choosing one also saves its name (`site_name`)."""

from sqlalchemy import select

from bot.engine.interpreter import Choice
from bot.i18n import Catalogues
from bot.menus.base import DataMenu, MenuContext
from bot.models import Site
from bot.seed import SITES


def choice(slug: str, name: str) -> Choice:
    """A site as the menu offers it; its name is kept beside the slug, for "Still at {site_name}?"."""
    return Choice(slug, name, attrs={"name": name})


# Built once: most conversations show this menu.
_ACTIVE = select(Site.slug, Site.name).where(Site.active).order_by(Site.position, Site.name)


def load(context: MenuContext) -> tuple[Choice, ...]:
    return tuple(choice(slug, name) for slug, name in context.db.connection().execute(_ACTIVE))


def _sample(catalogues: Catalogues, lang: str | None) -> tuple[Choice, ...]:
    """The seeded five, a deployment's realistic size; the longest name first, as screens quote the first's."""
    return tuple(choice(slug, name) for slug, name, _ in sorted(SITES, key=lambda site: -len(site[1])))


MENU = DataMenu("sites", load, sample=_sample)
