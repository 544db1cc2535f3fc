"""Response-time targets: how soon a case must be acknowledged and resolved, and when its next step is due.

The targets are fixed when a case enters the queue (`set_targets`, from the settings of the day) so a
later change of settings never makes yesterday's cases overdue. `due_at` is the next one to meet:
acknowledging until the case is answered, resolving until it is done, none after; the inbox sorts
by it, along an index. A confidential report must be acknowledged within PROTECTION_DEADLINE_HOURS.
Assembly sign-ups have no targets: organizers handle them.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.config import Settings
from bot.models import Feedback
from bot.vocabulary import DONE, Kind


@dataclass(frozen=True)
class Target:
    acknowledge: timedelta
    resolve: timedelta


def target(settings: Settings, kind: str) -> Target | None:
    """The targets of a kind of case; None for a kind without any (assembly sign-ups)."""
    if kind == Kind.ASSEMBLY:
        return None
    own = settings.response_targets.get(kind, {})
    acknowledge = own.get("acknowledge_hours", settings.acknowledge_hours)
    if kind == Kind.CONFIDENTIAL:
        acknowledge = settings.protection_deadline_hours
    return Target(timedelta(hours=acknowledge), timedelta(days=own.get("resolve_days", settings.resolve_days)))


def next_due(feedback: Feedback) -> datetime | None:
    """When the case's next step is due: None once it is done, or for a case without targets."""
    if feedback.status in DONE:
        return None
    if feedback.first_response_at is None:
        return feedback.acknowledge_by
    return feedback.resolve_by


def set_targets(feedback: Feedback, settings: Settings) -> None:
    """Fix the case's targets from when it came in, and what is due next."""
    wanted = target(settings, feedback.kind)
    if wanted is None:
        feedback.acknowledge_by = feedback.resolve_by = None
    else:
        feedback.acknowledge_by = feedback.created_at + wanted.acknowledge
        feedback.resolve_by = feedback.created_at + wanted.resolve
    refresh(feedback)


def refresh(feedback: Feedback) -> None:
    """Keep `due_at` in step after the case moved."""
    feedback.due_at = next_due(feedback)


def is_overdue(feedback: Feedback, now: datetime) -> bool:
    return feedback.due_at is not None and feedback.due_at <= now


def on_time(done_at: datetime | None, due: datetime | None) -> bool | None:
    """Whether a step was done by its target: None when it is not done or had no target."""
    if done_at is None or due is None:
        return None
    return done_at <= due
