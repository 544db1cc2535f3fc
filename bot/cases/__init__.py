"""Cases at the triage desk: who may see what, their lifecycle, the queries behind every list, deadlines.

The domain of the staff side, with no HTTP: the staff pages (bot.admin) and the JSON API (bot.api)
are thin layers over it.
"""
