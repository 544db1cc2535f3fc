"""`refuse_consent`: keep the refusal itself and nothing else about the person."""

from sqlalchemy import update

from bot.actions.base import ActionContext, ActionUnit
from bot.engine.actions import ActionSpec
from bot.engine.interpreter import Action
from bot.models import Message, utcnow
from bot.vocabulary import Consent, Direction


def refuse_consent(context: ActionContext, action: Action) -> None:
    contact = context.contact
    contact.consent, contact.consent_at = Consent.REFUSED, utcnow()
    contact.phone_encrypted = contact.language = contact.site_id = contact.site_confirmed_at = None
    context.db.flush()
    context.db.execute(
        update(Message)
        .where(Message.contact_id == contact.id, Message.direction == Direction.IN)
        .values(text=None, text_encrypted=None, media=None, redacted=True)
    )


# What the rest of the turn knows of someone who refused: nothing, their site included.
FORGOTTEN = {"consent": False, "language": None, "site": None, "site_name": None, "site_confirmed": False}

ACTION = ActionUnit(ActionSpec("refuse_consent", facts=lambda values: FORGOTTEN), refuse_consent)
