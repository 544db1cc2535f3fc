"""`sign_up: confirmed | waiting`: a place at the chosen assembly (variable `assembly`), or on its waiting list.

The menu showed whether it was full, but it may have filled since: the count decides. The sign-up
is also a submission (kind `assembly`), so it has a reference and staff see it in their queue. The answer
quotes the assembly's title, day, time and place, and how to cancel; the cancel keyword works for
SIGNUP_CANCEL_HOURS after it (`told_at`).
"""

from sqlalchemy import select

from bot import samples
from bot.actions.base import ActionContext, ActionUnit
from bot.assemblies import texts
from bot.assemblies.notices import title_in
from bot.assemblies.signups import is_full, open_for_changes, set_status
from bot.engine.actions import ActionSpec
from bot.engine.interpreter import Action
from bot.i18n import Catalogues, Filled
from bot.models import Assembly, Signup, utcnow
from bot.vocabulary import Kind, SignupStatus


def answer(assembly: Assembly, status: str, reference: str, lang: str | None, default: str | None) -> Filled:
    """What the person reads: signed up (with the day, time and place), or waiting."""
    text = texts.WAITING if status == SignupStatus.WAITING else texts.SIGNED_UP
    params = {
        "title": title_in(assembly, lang, default),
        "when": assembly.starts_at,
        "place": assembly.place,
        "reference": reference,
    }
    return Filled(text, params)


def sign_up(context: ActionContext, action: Action) -> None:
    db, contact, values = context.db, context.contact, context.outcome.values
    default = context.desk.catalogues.default if context.desk else None
    now = utcnow()
    assembly = db.get(Assembly, int(action.values["assembly"]))
    if assembly is None or not open_for_changes(assembly, now):  # cancelled or started since the menu showed it
        values["signup"] = texts.NOT_OPEN
        return
    existing = db.scalar(select(Signup).where(Signup.assembly_id == assembly.id, Signup.contact_id == contact.id))
    if existing is not None and existing.status != SignupStatus.CANCELLED:
        # The same person confirming twice (two phones, a retry): one sign-up, the same answer.
        reference = existing.feedback.reference
        values.update(
            reference=reference, signup=answer(assembly, existing.status, reference, contact.language, default)
        )
        return
    full = is_full(db, assembly)
    status = SignupStatus.WAITING if action.arg == SignupStatus.WAITING or full else SignupStatus.CONFIRMED
    if existing is not None:  # someone who gave up their place signs up again: the same sign-up and reference
        set_status(db, existing, status, now)
        signup, reference = existing, existing.feedback.reference
        values["reference"] = reference
    else:
        feedback = context.new_feedback(
            kind=Kind.ASSEMBLY, category=status, site_id=assembly.site_id, text=assembly.title
        )
        signup = Signup(assembly_id=assembly.id, contact_id=contact.id, feedback_id=feedback.id, status=status)
        db.add(signup)
        reference = feedback.reference
    signup.told_at = now
    values["signup"] = answer(assembly, status, reference, contact.language, default)


def _samples(catalogues: Catalogues, lang: str | None) -> dict:
    sample = Assembly(
        title=samples.ASSEMBLY_TITLE,
        place=samples.ASSEMBLY_PLACE,
        starts_at=catalogues.longest(samples.WHEN_CANDIDATES, lang),
    )
    answers = [answer(sample, status, samples.REFERENCE, lang, catalogues.default) for status in SignupStatus]
    return {"reference": samples.REFERENCE, "signup": catalogues.longest((*answers, texts.NOT_OPEN), lang)}


ACTION = ActionUnit(
    ActionSpec("sign_up", arguments=frozenset({SignupStatus.CONFIRMED, SignupStatus.WAITING})),
    sign_up,
    samples=_samples,
)
