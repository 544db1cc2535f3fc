"""Realistic sample data, to cost every screen before anyone has used it (bot.screens).

Long enough that a screen that fits with them fits in use: a data menu's length is the organizers'
data, so menus get one entry, and placeholders the longest plausible values.
"""

from datetime import UTC, datetime

SITE = "sogoniko"
REFERENCE = "K7MP3X"
REFERENCES = ("K7MP3X", "R4TW9N", "H2CQ8Z", "M9XF4K", "T3NB7W")
ASSEMBLY_TITLE = "Assemblée citoyenne de Sogoniko"
ASSEMBLY_PLACE = "Espace communautaire de Sogoniko"
# Candidate assembly dates, two-digit days of every weekday in every month, at 10:00 (Bamako is on UTC):
# each language gets the one whose written-out day and month are longest.
WHEN_CANDIDATES = tuple(
    datetime(2030, month, day, 10, 0, tzinfo=UTC) for month in range(1, 13) for day in range(22, 29)
)
# The line's own settings at their longest (bot/line.py): bot/config.py refuses longer ones.
ORG_NAME = "Association Femmes et Paix Gao"
SAFETY_LINE = "+223 80 00 11 15"
