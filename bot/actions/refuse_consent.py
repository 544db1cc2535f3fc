"""`refuse_consent`: keep the refusal itself and nothing else about the person."""

from sqlalchemy import select, update

from bot.actions.base import ActionContext, ActionUnit
from bot.engine.actions import ActionSpec
from bot.engine.interpreter import Action
from bot.models import Attachment, Message, utcnow
from bot.vocabulary import AttachmentStatus, Consent, Direction

ERASED = "erased"  # why a file is gone, as the case page says


def refuse_consent(context: ActionContext, action: Action) -> None:
    contact = context.contact
    contact.consent, contact.consent_at = Consent.REFUSED, utcnow()
    contact.phone_encrypted = contact.language = contact.site_id = contact.site_confirmed_at = None
    context.db.execute(
        update(Message)
        .where(Message.contact_id == contact.id, Message.direction == Direction.IN)
        .values(text=None, text_encrypted=None, media=None, redacted=True)
    )
    # Their files too: erased here, and those still at Twilio deleted there unread by the fetch job (its URL kept).
    sent = select(Message.id).where(Message.contact_id == contact.id, Message.direction == Direction.IN)
    context.db.execute(
        update(Attachment)
        .where(Attachment.message_id.in_(sent))
        .values(status=AttachmentStatus.REFUSED, error=ERASED, content_encrypted=None, size=None)
        .execution_options(synchronize_session=False)
    )


# What the rest of the turn knows of someone who refused: nothing, their site included.
FORGOTTEN = {"consent": False, "language": None, "site": None, "site_name": None, "site_confirmed": False}

ACTION = ActionUnit(ActionSpec("refuse_consent", facts=lambda values: FORGOTTEN), refuse_consent)
