"""The jobs that run on a schedule, in one table; `baro cron` registers each with RQ's cron scheduler."""

from collections.abc import Callable
from dataclasses import dataclass

from bot.config import Settings
from bot.handover import INTAKE_QUEUE
from workers.jobs import sweep_intake


@dataclass(frozen=True)
class Periodic:
    job: Callable[[], object]
    queue: str
    # Seconds between two runs, read from the settings.
    every: Callable[[Settings], int]


PERIODIC = (
    # What a Redis outage left behind: submissions not in triage, messages not sent.
    Periodic(sweep_intake, INTAKE_QUEUE, lambda settings: settings.sweep_interval_seconds),
)
