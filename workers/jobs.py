"""The jobs RQ workers run: thin entry points into the domain, each idempotent (running it twice does no harm).

Jobs are queued by name (`workers.jobs.<name>`, see bot.handover) with a row id: the row is the
work, so a job that is lost is found again by the sweep.
"""

from bot.cases.intake import take_in
from bot.cases.protection import alert_protection as _alert_protection
from bot.outbound.sending import send
from bot.runtime import get_runtime


def intake_feedback(feedback_id: int) -> bool:
    """Put a submission in the triage queue (and alert protection of a confidential one)."""
    return take_in(get_runtime(), feedback_id)


def alert_protection(feedback_id: int) -> int:
    """Alert the protection focal points of a confidential report, once."""
    return _alert_protection(get_runtime(), feedback_id)


def send_message(message_id: int) -> str:
    """Send one stored message through its channel's provider, at most once."""
    return send(get_runtime(), message_id) or "nothing to send"


def sweep_intake() -> int:
    """Queue what a Redis outage left behind."""
    return get_runtime().transactions.sweep()
