"""`notify_assemblies`: the person asks to be told when the next assembly at their site is announced."""

from sqlalchemy import select

from bot.actions.base import ActionContext, ActionUnit
from bot.engine.actions import ActionSpec
from bot.engine.interpreter import Action
from bot.models import AssemblyInterest


def notify_assemblies(context: ActionContext, action: Action) -> None:
    contact = context.contact
    site_id = contact.site_id
    exists = context.db.scalar(
        select(AssemblyInterest.id).where(
            AssemblyInterest.contact_id == contact.id, AssemblyInterest.site_id == site_id
        )
    )
    if site_id and not exists:
        context.db.add(AssemblyInterest(contact_id=contact.id, site_id=site_id))


ACTION = ActionUnit(ActionSpec("notify_assemblies"), notify_assemblies)
