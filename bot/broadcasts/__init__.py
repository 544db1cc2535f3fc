"""Broadcasts: one text per language to many people at once, on the bulk lane.

`audience` says who a broadcast reaches and what it costs, `plan` stores it with one message per
recipient, `control` pauses, resumes and cancels it and counts its progress. Sending is the bulk
lane's (bot.outbound.bulk).
"""
