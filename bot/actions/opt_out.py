"""`opt_out` (the STOP keyword): nothing more is sent to the person until they send START."""

from bot.actions.base import ActionContext, ActionUnit
from bot.engine.actions import OPT_OUT, ActionSpec
from bot.engine.interpreter import Action
from bot.models import utcnow


def opt_out(context: ActionContext, action: Action) -> None:
    context.contact.opted_out_at = utcnow()


ACTION = ActionUnit(ActionSpec(OPT_OUT, facts=lambda values: {"opted_out": True}), opt_out)
