"""`lookup_reference`: the status of one of the person's own references (variable `reference`), in words.

Someone else's reference is simply not found: a reference reveals nothing to whoever holds another phone.
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


def lookup_reference(context: ActionContext, action: Action) -> None:
    reference = references.clean(str(action.values.get("reference", "")))
    found = (
        context.db.scalar(
            select(Feedback).where(Feedback.reference == reference, Feedback.contact_id == context.contact.id)
        )
        if reference and set(reference) <= set(references.ALPHABET)
        else None
    )
    values = context.outcome.values
    values["reference"] = reference
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
