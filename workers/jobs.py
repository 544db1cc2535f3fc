"""The jobs RQ workers run: thin entry points into the domain, each idempotent (running it twice does no harm).

Jobs are queued by name (`workers.jobs.<name>`, see bot.handover) with a row id: the row is the
work, so a job that is lost is found again by the sweep.
"""

from bot.broadcasts.control import start_due
from bot.cases.intake import take_in
from bot.cases.protection import alert_protection as _alert_protection
from bot.cases.protection import remind_overdue
from bot.conversation.state import purge_expired
from bot.db import refresh_statistics, transaction
from bot.media.fetch import fetch_attachments as _fetch_attachments
from bot.outbound.drain import drain
from bot.outbound.sending import expire_leases, send
from bot.runtime import get_runtime


def intake_feedback(feedback_id: int) -> bool:
    """Put a submission in the triage queue (and queue the alert of a confidential one)."""
    return take_in(get_runtime(), feedback_id)


def alert_protection(feedback_id: int) -> int:
    """Alert the protection focal points of a confidential report, once: store its messages and mark it done."""
    return _alert_protection(get_runtime(), feedback_id)


def fetch_attachments(message_id: int) -> int:
    """Fetch a message's files from Twilio, keep them encrypted, delete them there; how many were stored."""
    return _fetch_attachments(get_runtime(), message_id)


def remind_overdue_reports() -> int:
    """Alert the focal points again of each confidential report not acknowledged in time, once per report."""
    return remind_overdue(get_runtime())


def send_message(message_id: int) -> str:
    """Send one stored message through its channel's provider, at most once."""
    return send(get_runtime(), message_id) or "nothing to send"


def call_back(call_sid: str) -> str:
    """Call back, once, the person whose missed call has this CallSid (VOICE_CALLBACK)."""
    from bot.channels.voice import call_back as _call_back

    return _call_back(get_runtime(), call_sid)


def drain_bulk(channel: str) -> str:
    """Send the channel's pending bulk messages for one slice of time, then queue the next slice."""
    return drain(get_runtime(), channel)


def start_due_broadcasts() -> int:
    """Start the scheduled broadcasts whose time has come."""
    return start_due(get_runtime())


def send_assembly_reminders() -> object:
    """Store and hand over the assembly reminders that are due (each person once per reminder)."""
    # Imported here: the assemblies' domain is not needed by any other job of this module.
    from bot.assemblies.reminders import send_due_reminders

    return send_due_reminders(get_runtime())


def sweep_intake() -> int:
    """Queue what a Redis outage or a dead worker left behind; mark `unknown` the sends a dead worker left claimed."""
    runtime = get_runtime()
    expire_leases(runtime)
    return runtime.transactions.sweep()


def purge_expired_state() -> int:
    """Forget conversations and USSD sessions past their expiry: nothing of them is kept longer than needed."""
    with transaction(get_runtime().database) as db:
        return purge_expired(db)


def refresh_database_statistics() -> bool:
    """Keep SQLite's query planner informed of the data (PostgreSQL does it itself)."""
    return refresh_statistics(get_runtime().engine)
