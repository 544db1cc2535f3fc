"""`submit: <kind>`: a complaint, a need or a confidential report, with a fresh reference to quote.

Reads `text`, `category`, `site`, and for a confidential report `callback` and `callback_details`.
A confidential report's text and call-back details are encrypted at rest.
"""

from collections.abc import Collection, Mapping

from bot import samples
from bot.actions.base import ActionContext, ActionUnit
from bot.engine.actions import ActionSpec
from bot.engine.interpreter import Action
from bot.vocabulary import CATEGORIES, Callback, Kind


def submit(context: ActionContext, action: Action) -> None:
    values = action.values
    text, details = values.get("text") or None, values.get("callback_details")
    confidential = action.arg == Kind.CONFIDENTIAL
    vault = context.vault
    context.new_feedback(
        kind=Kind(action.arg),
        category=values.get("category"),
        site_id=context.site_id(values.get("site")),
        confidential=confidential,
        text=None if confidential else text,
        text_encrypted=vault.encrypt(text) if confidential and text else None,
        callback=values.get("callback"),
        callback_details_encrypted=vault.encrypt(details) if details else None,
    )


def reads(kind: str | None) -> Mapping[str, Collection[str]]:
    """A kind's categories are the vocabulary's; a confidential report also asks whether to call back."""
    codes: dict[str, Collection[str]] = {"category": CATEGORIES[Kind(kind)]}
    if kind == Kind.CONFIDENTIAL:
        codes["callback"] = Callback.values()
    return codes


ACTION = ActionUnit(
    ActionSpec("submit", arguments=frozenset(CATEGORIES), reads=reads),
    submit,
    samples=lambda catalogues, lang: {"reference": samples.REFERENCE},
)
