"""What a data menu is: a menu whose options come from data (sites, assemblies...), not from the document."""

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from bot.contacts import ContactRecord
from bot.engine.interpreter import Choice
from bot.i18n import Catalogues


@dataclass(frozen=True)
class MenuContext:
    """What a menu's loader may read: the database, who is asking, and the catalogues."""

    db: Session
    contact: ContactRecord
    catalogues: Catalogues


@dataclass(frozen=True)
class DataMenu:
    """`choose: <name>` in a flow: its options, loaded only when a state of the turn shows it."""

    name: str
    load: Callable[[MenuContext], tuple[Choice, ...]]
    # Realistic options as they read in a language (None: every language at once), to cost the
    # screens that show the menu before anyone has used it (bot.screens).
    sample: Callable[[Catalogues, str | None], tuple[Choice, ...]]
