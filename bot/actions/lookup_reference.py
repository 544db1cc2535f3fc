"""`lookup_reference`: the status of one of the person's own references (variable `reference`), in words.

Someone else's reference is simply not found: a reference reveals nothing to whoever holds another phone.
Look-alikes typed (GAPNSV for GAPN5V) are forgiven among the person's own references only (bot.references.match).
Following a confidential report is as confidential as the report: the exchange is kept like its own.
"""

from sqlalchemy import select

from bot import references, samples
from bot.actions.base import ActionContext, ActionUnit
from bot.actions.status_texts import ASSEMBLY_CALLED_OFF, NOT_FOUND, SIGNUP_STATUS, STATUS, STATUS_WITH_OUTCOME
from bot.engine.actions import ActionSpec
from bot.engine.interpreter import Action
from bot.i18n import Filled
from bot.models import Feedback, Signup
from bot.vocabulary import AssemblyStatus, CaseStatus, Kind, SignupStatus


def _own(context: ActionContext, typed: str) -> Feedback | None:
    """The person's case `typed` names, exactly or with look-alikes (S for 5...): never anyone else's."""
    if references.fold(typed) is None:
        return None
    mine = select(Feedback).where(Feedback.contact_id == context.contact.id)
    reference = references.match(typed, context.db.scalars(mine.with_only_columns(Feedback.reference)))
    return context.db.scalar(mine.where(Feedback.reference == reference)) if reference else None


def lookup_reference(context: ActionContext, action: Action) -> None:
    typed = str(action.values.get("reference", ""))
    found = _own(context, typed)
    values = context.outcome.values
    # The reply quotes the reference as it is written, so a person who typed a look-alike learns its spelling.
    values["reference"] = found.reference if found is not None else references.clean(typed)
    context.outcome.confidential |= found is not None and found.confidential
    if found is None:
        values["status"] = NOT_FOUND
    elif found.kind == Kind.ASSEMBLY:
        # A sign-up has its own statuses, never the complaint's ("resolved" would mean nothing to them).
        signup = context.db.scalar(select(Signup).where(Signup.feedback_id == found.id))
        if signup is None:
            values["status"] = STATUS[CaseStatus.NEW]
        elif signup.assembly.status == AssemblyStatus.CANCELLED:
            values["status"] = ASSEMBLY_CALLED_OFF
        else:
            values["status"] = SIGNUP_STATUS.get(signup.status, SIGNUP_STATUS[SignupStatus.CONFIRMED])
    elif found.outcome and found.status in STATUS_WITH_OUTCOME and not found.confidential:
        # "resolved: <what was done>". Never for a confidential report: whoever holds the phone could ask.
        values["status"] = Filled(STATUS_WITH_OUTCOME[found.status], {"outcome": found.outcome})
    else:
        values["status"] = STATUS.get(found.status, STATUS[CaseStatus.NEW])


ACTION = ActionUnit(
    ActionSpec("lookup_reference"),
    lookup_reference,
    samples=lambda catalogues, lang: {
        "reference": samples.REFERENCE,
        # Staff write what was done: its length is theirs, so the sample is the longest fixed status.
        "status": catalogues.longest((*STATUS.values(), *SIGNUP_STATUS.values(), ASSEMBLY_CALLED_OFF, NOT_FOUND), lang),
    },
)
