"""What an inbound request becomes while the database is down: kept on local disk, replayed once it is back.

`files` is the spool itself (atomic, ordered, encrypted, private files), `languages` what lets the
person be answered in their language without the database, and `replay` the replay through the
adapters' routes, with the flusher the web process runs. The web layer (bot/web/providers.py)
decides when a request is kept and answers it through its adapter's `spooled`.
"""
