"""`set_site`: the site the person chose (variable `site`, a slug) is remembered for their next reports.

Choosing is confirming: the site is not asked about again before SITE_CONFIRM_DAYS have passed.
"""

from collections.abc import Mapping
from typing import Any

from bot.actions.base import ActionContext, ActionUnit
from bot.engine.actions import ActionSpec
from bot.engine.interpreter import Action
from bot.models import utcnow


def set_site(context: ActionContext, action: Action) -> None:
    context.contact.site_id = context.site_id(action.values.get("site"))
    context.contact.site_confirmed_at = utcnow()


def facts(values: Mapping[str, Any]) -> dict[str, Any]:
    """The chosen site, its name (saved beside it by the `sites` menu), and confirmed."""
    return {"site": values.get("site"), "site_name": values.get("site_name"), "site_confirmed": True}


ACTION = ActionUnit(ActionSpec("set_site", facts=facts), set_site)
