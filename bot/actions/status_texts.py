"""How a reference's status reads on the phone (the `messages` catalogue): the follow-up's answer."""

from bot.engine.texts import N_
from bot.vocabulary import CaseStatus, SignupStatus

# Translators: completes "Reference K7MP3X: ..." in the follow-up reply.
STATUS = {
    CaseStatus.NEW: N_("status", "received, the team will read it soon."),
    CaseStatus.ACKNOWLEDGED: N_("status", "read by the team."),
    CaseStatus.IN_PROGRESS: N_("status", "the team is working on it."),
    CaseStatus.REFERRED: N_("status", "passed to a partner organisation that can help."),
    CaseStatus.RESOLVED: N_("status", "resolved."),
    CaseStatus.CLOSED: N_("status", "closed."),
}
SIGNUP_STATUS = {
    SignupStatus.CONFIRMED: N_("status", "you are signed up for the assembly."),
    SignupStatus.WAITING: N_("status", "you are on the waiting list for the assembly."),
    SignupStatus.CANCELLED: N_("status", "your sign-up for the assembly is cancelled."),
    SignupStatus.ATTENDED: N_("status", "you took part in the assembly. Thank you."),
}
# Translators: the follow-up of a sign-up for an assembly the organizers called off.
ASSEMBLY_CALLED_OFF = N_("status", "the assembly was cancelled.")
NOT_FOUND = N_("status", "we find no such reference sent from your number. Check it and send 5 to try again.")

# Translators: the follow-up for a case staff resolved or closed; {outcome} is what was done, as staff wrote it
# to the person. Completes "Reference K7MP3X: ...".
STATUS_WITH_OUTCOME = {
    CaseStatus.RESOLVED: N_("status", "resolved: {outcome}"),
    CaseStatus.CLOSED: N_("status", "closed: {outcome}"),
}
