"""The outbound pipeline: every text that is not a webhook's own answer.

A message is a row first (`store`), then an RQ job (bot.handover) that claims it, waits for its
channel's pace (`pacing`) and hands it to the channel's provider (`sending`, through the interface
in `provider`); delivery reports move its status up the ladder (`status`). `gsm7` is the SMS
alphabet every text is measured and, where set, written in.
"""
