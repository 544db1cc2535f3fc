"""`confirm_site`: the person says they still live at their remembered site; it is not asked again for a while."""

from bot.actions.base import ActionContext, ActionUnit
from bot.engine.actions import ActionSpec
from bot.engine.interpreter import Action
from bot.models import utcnow


def confirm_site(context: ActionContext, action: Action) -> None:
    context.contact.site_confirmed_at = utcnow()


ACTION = ActionUnit(ActionSpec("confirm_site", facts=lambda values: {"site_confirmed": True}), confirm_site)
