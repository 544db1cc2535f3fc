"""Texts that report what an action did (a sign-up, a reference's status), for the replies to quote."""

from bot.engine.texts import N_

SIGNED_UP = N_("assembly", "You are signed up.")
WAITLISTED = N_("assembly", "You are on the waiting list: we will tell you if a place opens.")
# Translators: one line of the assembly menu; {when} is the day and time, written out.
ASSEMBLY_LABEL = N_("assembly", "{title}, {when}, {place}")

# Translators: completes "Reference K7MP3X: ..." in the follow-up reply.
STATUS = {
    "new": N_("status", "received, the team will read it soon."),
    "acknowledged": N_("status", "read by the team."),
    "in_progress": N_("status", "the team is working on it."),
    "referred": N_("status", "passed to a partner organisation that can help."),
    "resolved": N_("status", "resolved."),
    "closed": N_("status", "closed."),
}
SIGNUP_STATUS = {
    "confirmed": N_("status", "you are signed up for the assembly."),
    "waitlist": N_("status", "you are on the waiting list for the assembly."),
}
NOT_FOUND = N_("status", "we find no such reference sent from your number. Check it and send 5 to try again.")

# Translators: the follow-up for a case staff resolved or closed; {outcome} is what was done, as staff wrote it
# to the person. Completes "Reference K7MP3X: ...".
STATUS_WITH_OUTCOME = {
    "resolved": N_("status", "resolved: {outcome}"),
    "closed": N_("status", "closed: {outcome}"),
}
