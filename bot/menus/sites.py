"""`choose: sites`: the active sites, in the organizers' order."""

from sqlalchemy import select

from bot.engine.interpreter import Choice
from bot.menus.base import DataMenu, MenuContext
from bot.models import Site
from bot.seed import SITES


def load(context: MenuContext) -> tuple[Choice, ...]:
    rows = context.db.execute(select(Site.slug, Site.name).where(Site.active).order_by(Site.position, Site.name))
    return tuple(Choice(slug, name) for slug, name in rows)


# The seeded five: a deployment's realistic size.
MENU = DataMenu("sites", load, sample=lambda catalogues, lang: tuple(Choice(slug, name) for slug, name, _ in SITES))
