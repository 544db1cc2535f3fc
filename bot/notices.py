"""What baro tells people on its own, outside a conversation, from the phone catalogue (`messages`).

Sent through the outbound pipeline in the person's language (the focal points' in the default one).
"""

from bot.engine.texts import N_

# Translators: the text sent to the person when staff resolve their case ("closing the loop"); {outcome} is
# what was done, written by staff in the person's language. Keep it short: it is an SMS.
RESOLVED = N_("loop", "Your report {reference} is resolved: {outcome}")

# Translators: sent by SMS or WhatsApp to the protection focal points. Say nothing of the
# report itself; {reference} is its reference, {hours} the deadline to act, in hours.
PROTECTION_ALERT = N_("alert", "baro: new confidential report {reference}. Open baro within {hours} h.")
