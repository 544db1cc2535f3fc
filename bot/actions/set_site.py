"""`set_site`: the site the person chose (variable `site`, a slug) is remembered for their next reports."""

from bot.actions.base import ActionContext, ActionUnit
from bot.engine.actions import ActionSpec
from bot.engine.interpreter import Action


def set_site(context: ActionContext, action: Action) -> None:
    context.contact.site_id = context.site_id(action.values.get("site"))


ACTION = ActionUnit(ActionSpec("set_site", facts=lambda values: {"site": values.get("site")}), set_site)
