"""The jobs that run on a schedule, in one table; `baro cron` registers each with RQ's cron scheduler."""

from collections.abc import Callable
from dataclasses import dataclass

from bot.config import Settings
from bot.handover import INTAKE_QUEUE, LANE_QUEUES
from bot.vocabulary import Lane
from workers.jobs import (
    purge_expired_state,
    refresh_database_statistics,
    remind_overdue_reports,
    send_assembly_reminders,
    start_due_broadcasts,
    sweep_intake,
)


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
    # Scheduled broadcasts whose time has come start sending (on the bulk queue, behind replies).
    Periodic(start_due_broadcasts, LANE_QUEUES[Lane.BULK], lambda settings: settings.sweep_interval_seconds),
    # Assembly reminders due now (ASSEMBLY_REMINDER_HOURS before each), stored once per person and reminder.
    Periodic(send_assembly_reminders, INTAKE_QUEUE, lambda settings: settings.sweep_interval_seconds),
    # Confidential reports past their deadline and still not acknowledged: the focal points are told again, once.
    Periodic(remind_overdue_reports, INTAKE_QUEUE, lambda settings: settings.sweep_interval_seconds),
    # SQLite's planner statistics, as the data grows (an hour is plenty: they describe shapes, not rows).
    Periodic(refresh_database_statistics, INTAKE_QUEUE, lambda settings: 3600),
)
