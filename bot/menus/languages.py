"""`choose: languages`: each configured language, named in itself by its own catalogue."""

from bot.menus.base import DataMenu

MENU = DataMenu(
    "languages",
    load=lambda context: context.catalogues.language_choices(),
    sample=lambda catalogues, lang: catalogues.language_choices(),
)
