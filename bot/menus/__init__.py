"""The data menus flows may `choose`, one module each, registered here: adding one is a module and a line."""

from bot.menus import assemblies, languages, my_references, sites
from bot.menus.base import DataMenu

UNITS: tuple[DataMenu, ...] = (sites.MENU, languages.MENU, assemblies.MENU, my_references.MENU)
MENUS: dict[str, DataMenu] = {menu.name: menu for menu in UNITS}
