"""What people read on their phone about an assembly (the `messages` catalogue), each short enough for an SMS.

{title} is the assembly's title in the person's language, {when} its day and time written out, {place}
where it is held. The cancel keyword each text names is the catalogue's own (bot.engine.texts: CANCEL_KEYWORDS):
a translation must name one of its words.
"""

from bot.engine.texts import N_

# Translators: sent to people who asked to hear of the next assembly at their site. "3" is the main menu's
# number for assemblies; keep it.
ANNOUNCED = N_("assembly-notice", "New assembly: {title}, {when}, {place}. To sign up, send 3.")
# Translators: the answer to a sign-up; {reference} is its reference. Name the cancel keyword.
SIGNED_UP = N_("assembly", "Signed up: {title}, {when}, {place}. Ref. {reference}. To cancel, send CANCEL.")
# Translators: the answer to a sign-up when the assembly is full.
WAITING = N_(
    "assembly", "{title} is full: you are on the waiting list, we will tell you if a place opens. Ref. {reference}."
)
# Translators: sent before the assembly. Name the cancel keyword.
REMINDER = N_("assembly-notice", "Reminder: {title}, {when}, {place}. To cancel, send CANCEL.")
# Translators: sent to everyone signed up or waiting when the assembly's day, time or place changes.
MOVED = N_("assembly-notice", "Change: {title} is now {when}, {place}. To cancel, send CANCEL.")
# Translators: sent to everyone signed up or waiting when the assembly is called off.
CANCELLED = N_("assembly-notice", "{title} of {when} is cancelled. Sorry.")
# Translators: sent to the first person waiting when someone gives up their place.
PLACE_GIVEN = N_(
    "assembly-notice", "A place opened: you now have a place at {title}, {when}, {place}. To cancel, send CANCEL."
)
# Translators: the answer to the cancel keyword (or to cancelling from menu 3).
SIGNUP_CANCELLED = N_("assembly", "Cancelled: you are no longer signed up for {title}, {when}. Ref. {reference}.")
# Translators: the answer to the cancel keyword when there is no recent sign-up to cancel.
NOTHING_TO_CANCEL = N_("assembly", "You have no sign-up to cancel now. Send 3 for the assemblies, MENU for the menu.")
# Translators: the answer to a sign-up for an assembly cancelled or started since the person saw the list.
NOT_OPEN = N_("assembly", "This assembly is no longer open for sign-up. Send 3 to see the others.")
