"""`cancel_signup`: the person gives up their place at an assembly, or their turn on its waiting list.

From menu 3 (variable `assembly`, one they are signed up for) it is that assembly's. From the cancel keyword,
anywhere, it is the sign-up they were last told of (confirmation, reminder, a place given, a change) if that
was within SIGNUP_CANCEL_HOURS: a bare "ANNULER" days later may mean something else, and must not cost a place.
A place freed goes at once to the first person waiting, who is told (after the webhook's commit).
"""

from datetime import timedelta

from sqlalchemy import select

from bot import samples
from bot.actions.base import ActionContext, ActionUnit
from bot.assemblies import texts
from bot.assemblies.notices import title_in
from bot.assemblies.signups import CONCERNED, cancel, open_for_changes
from bot.engine.actions import ActionSpec
from bot.engine.interpreter import Action
from bot.i18n import Catalogues, Filled
from bot.models import Assembly, Signup, utcnow
from bot.vocabulary import AssemblyStatus

DEFAULT_CANCEL_HOURS = 24.0


def _find(context: ActionContext, assembly_id: str | None) -> Signup | None:
    now = utcnow()
    query = (
        select(Signup)
        .join(Assembly, Assembly.id == Signup.assembly_id)
        .where(
            Signup.contact_id == context.contact.id,
            Signup.status.in_(CONCERNED),
            Assembly.status == AssemblyStatus.PLANNED,
            Assembly.starts_at > now,
        )
    )
    if assembly_id is not None:
        return context.db.scalar(query.where(Signup.assembly_id == int(assembly_id)))
    hours = context.desk.settings.signup_cancel_hours if context.desk else DEFAULT_CANCEL_HOURS
    recent = query.where(Signup.told_at >= now - timedelta(hours=hours))
    return context.db.scalar(recent.order_by(Signup.told_at.desc(), Signup.id.desc()).limit(1))


def cancelled(assembly: Assembly, reference: str, lang: str | None, default: str | None) -> Filled:
    params = {"title": title_in(assembly, lang, default), "when": assembly.starts_at, "reference": reference}
    return Filled(texts.SIGNUP_CANCELLED, params)


def cancel_signup(context: ActionContext, action: Action) -> None:
    chosen = action.values.get("assembly")
    signup = _find(context, str(chosen) if chosen else None)
    values = context.outcome.values
    now = utcnow()
    if signup is None or not open_for_changes(signup.assembly, now):
        values["cancelled"] = texts.NOTHING_TO_CANCEL
        return
    if context.desk is None:
        raise RuntimeError("cancel_signup tells whoever waits next: it needs the desk (bot.actions.base)")
    context.outcome.messages += cancel(context.db, context.desk, signup, now)
    reference = signup.feedback.reference
    values["reference"] = reference
    values["cancelled"] = cancelled(
        signup.assembly, reference, context.contact.language, context.desk.catalogues.default
    )


def _samples(catalogues: Catalogues, lang: str | None) -> dict:
    sample = Assembly(title=samples.ASSEMBLY_TITLE, starts_at=catalogues.longest(samples.WHEN_CANDIDATES, lang))
    done = cancelled(sample, samples.REFERENCE, lang, catalogues.default)
    return {"cancelled": catalogues.longest((done, texts.NOTHING_TO_CANCEL), lang)}


ACTION = ActionUnit(ActionSpec("cancel_signup"), cancel_signup, samples=_samples)
