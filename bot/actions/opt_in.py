"""`opt_in` (the START keyword after STOP): messages to the person resume."""

from bot.actions.base import ActionContext, ActionUnit
from bot.engine.actions import OPT_IN, ActionSpec
from bot.engine.interpreter import Action


def opt_in(context: ActionContext, action: Action) -> None:
    context.contact.opted_out_at = None


ACTION = ActionUnit(ActionSpec(OPT_IN, facts=lambda values: {"opted_out": False}), opt_in)
