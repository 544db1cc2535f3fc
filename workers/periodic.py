"""The jobs that run on a schedule, in one table; `baro cron` registers each with RQ's cron scheduler."""

from collections.abc import Callable
from dataclasses import dataclass

from bot.config import Settings
from bot.handover import INTAKE_QUEUE
from workers.jobs import purge_expired_state, sweep_intake


@dataclass(frozen=True)
class Periodic:
    job: Callable[[], object]
    queue: str
    # Seconds between two runs, read from the settings.
    every: Callable[[Settings], int]


PERIODIC = (
    # What a Redis outage or a dead worker left behind: submissions not in triage, alerts not done,
    # messages not sent; and sends whose worker died mid-send, marked `unknown` for staff.
    Periodic(sweep_intake, INTAKE_QUEUE, lambda settings: settings.sweep_interval_seconds),
    # Conversations and USSD sessions past their expiry: what a confidential report's answers passed through.
    Periodic(purge_expired_state, INTAKE_QUEUE, lambda settings: settings.sweep_interval_seconds),
)
