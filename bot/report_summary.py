"""The monthly report's summary as people read it on their phones (the `messages` catalogue).

Organizers broadcast it to a site from the report page ("you said, we did"). Every number in it is a count
as the report shows it: "<5" for a count from 1 to 4, so that no one can be told apart.
"""

from bot.engine.texts import N_

# Translators: an SMS broadcast to everyone at a site about last month. {month} is the month written out
# (e.g. "mars 2026"), {site} the site's name, {received} how many messages came, {resolved} how many were
# resolved, {referred} how many were handed to partner organisations, {open} how many are still in hand.
# A number may be "<5". Keep it short: one SMS.
SITE = N_(
    "report",
    "baro {month}, {site}: you sent {received} messages. {resolved} resolved, {referred} sent to partners, "
    "{open} in progress. Thank you.",
)
# Translators: the same, for every site at once: no site's name.
ALL_SITES = N_(
    "report",
    "baro {month}: you sent {received} messages. {resolved} resolved, {referred} sent to partners, "
    "{open} in progress. Thank you.",
)
