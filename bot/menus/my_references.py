"""`choose: my_references`: the person's most recent references, newest first, to follow one by its number.

Never a confidential report's: the menu is on the phone's screen and in its messages, where others
may read that one was made. Its author can still type its reference.
"""

from sqlalchemy import select

from bot import samples
from bot.engine.interpreter import Choice
from bot.menus.base import DataMenu, MenuContext
from bot.models import Feedback

SHOWN = 5


def load(context: MenuContext) -> tuple[Choice, ...]:
    recent = context.db.scalars(
        select(Feedback.reference)
        .where(Feedback.contact_id == context.contact.id, Feedback.confidential.is_(False))
        .order_by(Feedback.created_at.desc(), Feedback.id.desc())
        .limit(SHOWN)
    )
    return tuple(Choice(reference, reference) for reference in recent)


MENU = DataMenu(
    "my_references",
    load,
    sample=lambda catalogues, lang: tuple(Choice(reference, reference) for reference in samples.REFERENCES),
)
