"""Files people send with a message: WhatsApp voice notes and photos, a call's recording.

`bot.media.files` records them and says which are kept; `bot.media.fetch` is the job that fetches them.

Each file is an `Attachment` row written with its message, at the provider's URL (`record`). Once the
message has committed, a job (`workers.jobs.fetch_attachments`) fetches the files from Twilio with the
account's credentials, keeps each encrypted with the vault, and deletes it at Twilio: only the encrypted
copy remains. A file is only ever requested from the configured Twilio API (TWILIO_API_URL), under this
account's path: a URL naming any other host is refused and never requested, so that neither the
credentials nor a request of ours goes where a webhook's form says.

Nothing is lost. A file of a type baro does not keep (MEDIA_TYPES) is refused at once, and the person
told in the same answer. A fetch that fails for a while (the network, a 5xx) leaves the file pending:
RQ tries again, then the sweep, until MEDIA_FETCH_ATTEMPTS tries mark it failed. A file larger than
MEDIA_MAX_BYTES is only found so when fetched, after the conversation went on: it is refused, and the
person told by a text on the channel they wrote from, unless it belongs to a confidential report
(nothing about one goes out by text). Staff see every state on the case page.
"""
