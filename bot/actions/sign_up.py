"""`sign_up: confirmed | waiting`: a place at the chosen assembly (variable `assembly`), or on its waiting list.

The menu showed whether it was full, but it may have filled since: the count decides. The sign-up
is also a submission (kind `assembly`), so it has a reference and staff see it in their queue.
"""

from sqlalchemy import func, select

from bot import samples
from bot.actions.base import ActionContext, ActionUnit
from bot.actions.status_texts import SIGNUP_STATUS
from bot.engine.actions import ActionSpec
from bot.engine.interpreter import Action
from bot.engine.texts import N_
from bot.models import Assembly, Signup
from bot.vocabulary import Kind, SignupStatus

SIGNED_UP = N_("assembly", "You are signed up.")
WAITINGED = N_("assembly", "You are on the waiting list: we will tell you if a place opens.")


def sign_up(context: ActionContext, action: Action) -> None:
    db, contact = context.db, context.contact
    assembly = db.get(Assembly, int(action.values["assembly"]))
    existing = db.scalar(select(Signup).where(Signup.assembly_id == assembly.id, Signup.contact_id == contact.id))
    if existing is not None:  # the same person confirming twice (two phones, a retry): one sign-up
        context.outcome.values.update(reference=existing.feedback.reference, signup=SIGNUP_STATUS[existing.status])
        return
    taken = db.scalar(
        select(func.count()).where(Signup.assembly_id == assembly.id, Signup.status == SignupStatus.CONFIRMED)
    )
    full = assembly.capacity is not None and taken >= assembly.capacity
    status = SignupStatus.WAITING if action.arg == SignupStatus.WAITING or full else SignupStatus.CONFIRMED
    feedback = context.new_feedback(kind=Kind.ASSEMBLY, category=status, site_id=assembly.site_id, text=assembly.title)
    db.add(Signup(assembly_id=assembly.id, contact_id=contact.id, feedback_id=feedback.id, status=status))
    context.outcome.values["signup"] = WAITINGED if status == SignupStatus.WAITING else SIGNED_UP


ACTION = ActionUnit(
    ActionSpec("sign_up", arguments=frozenset({SignupStatus.CONFIRMED, SignupStatus.WAITING})),
    sign_up,
    samples=lambda catalogues, lang: {
        "reference": samples.REFERENCE,
        "signup": catalogues.longest((SIGNED_UP, WAITINGED), lang),
    },
)
