"""`accept_consent`: the person accepts that baro keeps what they send."""

from bot.actions.base import ActionContext, ActionUnit
from bot.engine.actions import ActionSpec
from bot.engine.interpreter import Action
from bot.models import utcnow
from bot.vocabulary import Consent


def accept_consent(context: ActionContext, action: Action) -> None:
    context.contact.consent, context.contact.consent_at = Consent.ACCEPTED, utcnow()


ACTION = ActionUnit(ActionSpec("accept_consent", facts=lambda values: {"consent": True}), accept_consent)
