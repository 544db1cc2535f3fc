"""What baro tells people on its own, outside a conversation, from the phone catalogue (`messages`).

Sent through the outbound pipeline in the person's language (the focal points' in the default one),
except RECEIVED: the webhook's own answer while the database is down (bot/spool).
"""

from bot.engine.texts import N_

# Translators: the text sent to the person when staff resolve their case ("closing the loop"); {outcome} is
# what was done, written by staff in the person's language. Keep it short: it is an SMS.
RESOLVED = N_("loop", "Your report {reference} is resolved: {outcome}")

# Translators: sent by SMS or WhatsApp to the protection focal points. Say nothing of the
# report itself; {reference} is its reference, {hours} the deadline to act, in hours.
PROTECTION_ALERT = N_("alert", "baro: new confidential report {reference}. Open baro within {hours} h.")

# Translators: sent again to the protection focal points when a confidential report was not acknowledged
# in time. Say nothing of the report itself; {reference} is its reference.
PROTECTION_OVERDUE = N_("alert", "baro: confidential report {reference} is overdue. Open baro now.")

# Translators: the immediate answer to a message that came while baro could not reach its database: the
# message is kept and handled as soon as it can be, and the real answer follows by SMS. It is also a whole
# USSD screen, and someone whose language is not known gets it in every language: keep it very short.
RECEIVED = N_("spool", "Message received, thank you. We will answer you soon.")

# Translators: every text staff write to a person starts with the case it is about (a person may have several);
# {reference} is the case's reference, {text} what staff wrote. Keep it short: it is part of an SMS.
REPLY = N_("reply", "{reference}: {text}")

# Translators: sent to the person when staff refer their case to a partner organisation; {reference} is the case's
# reference, {partner} the organisation's name (as written in the directory). Keep it short: it is an SMS.
REFERRED = N_("referral", "{reference}: your case was passed to {partner}, who can help you.")

# Translators: sent to the person when a voice note or photo they sent turned out too large to keep (it is
# fetched after the conversation went on). Keep it short: it is an SMS.
FILE_TOO_LARGE = N_(
    "media", "The file you sent is too large for us to keep. Send a shorter voice note or a smaller photo."
)
