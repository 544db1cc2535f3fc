"""`set_language`: the language the person chose (variable `language`) is theirs from now on."""

from bot.actions.base import ActionContext, ActionUnit
from bot.engine.actions import ActionSpec
from bot.engine.interpreter import Action


def set_language(context: ActionContext, action: Action) -> None:
    context.contact.language = action.values.get("language")


ACTION = ActionUnit(
    ActionSpec("set_language", facts=lambda values: {"language": values.get("language")}),
    set_language,
)
