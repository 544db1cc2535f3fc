"""Open confidential reports and when their next step is due, on screen, for the staff who may see them.

When a report is due is its `Feedback.due_at` (bot.cases.targets), the same as everywhere else:
acknowledging it within PROTECTION_DEADLINE_HOURS of its arrival, then resolving it by its
`resolve_by`. Only roles that may read confidential reports get anything here (`protection_alerts`
answers None for the others), and the query itself goes through `visible`, like every other list
and count. Pages show it with `{% include "dashboard_alerts.html" %}` and
`protection_alerts=protection_alerts(db, user, settings)`. The phone alerts sent to the focal
points are bot.cases.protection.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.cases.access import reads_confidential, visible
from bot.config import Settings
from bot.models import Feedback, StaffUser, utcnow
from bot.vocabulary import DONE

# At most this many are listed; the count says how many there are in all.
SHOWN = 50


@dataclass(frozen=True)
class Countdown:
    """How far a due date is, as the pages say it (the `due` macro of `_due.html`)."""

    due_at: datetime
    overdue: bool
    hours: int  # whole hours left, or past the deadline; 0 means less than one

    @property
    def days(self) -> int | None:
        """Whole days, when hours would be hard to read (two days or more)."""
        return self.hours // 24 if self.hours >= 48 else None


def countdown(due_at: datetime | None, now: datetime) -> Countdown | None:
    if due_at is None:
        return None
    left = due_at - now
    # Whole hours, rounded down: "due in 4 h" with 4 h 50 left is the safe side, and
    # "overdue by 2 h" is said only once two full hours have passed.
    return Countdown(due_at, left <= timedelta(0), int(abs(left) // timedelta(hours=1)))


@dataclass(frozen=True)
class Deadline:
    """One open report on the list: its next step, and how far that is (`due` of `_due.html` reads it)."""

    id: int
    reference: str
    category: str | None
    created_at: datetime
    acknowledged: bool  # the next step is resolving it; until then, acknowledging it
    due_at: datetime | None  # None: a report without targets (not yet taken in)
    overdue: bool
    hours: int  # whole hours left, or past the deadline; 0 means less than one

    @property
    def days(self) -> int | None:
        """Whole days, when hours would be hard to read (two days or more)."""
        return self.hours // 24 if self.hours >= 48 else None

    @property
    def url(self) -> str:
        return f"/admin/cases/{self.reference}"

    def __bool__(self) -> bool:
        # The `due` macro shows nothing for a report without a due date.
        return self.due_at is not None


@dataclass(frozen=True)
class ProtectionAlerts:
    items: list[Deadline]
    total: int
    overdue: int
    deadline_hours: int


def deadline(
    feedback_id: int,
    reference: str,
    category: str | None,
    created_at: datetime,
    due_at: datetime | None,
    acknowledged: bool,
    now: datetime,
) -> Deadline:
    due = countdown(due_at, now)
    overdue, hours = (due.overdue, due.hours) if due else (False, 0)
    return Deadline(feedback_id, reference, category, created_at, bool(acknowledged), due_at, overdue, hours)


def protection_alerts(
    db: Session, user: StaffUser, settings: Settings, now: datetime | None = None
) -> ProtectionAlerts | None:
    """Open confidential reports, the first due first; None for a user who may not know of them."""
    if not reads_confidential(user):
        return None
    now = now or utcnow()
    rows = db.execute(
        visible(
            select(
                Feedback.id,
                Feedback.reference,
                Feedback.category,
                Feedback.created_at,
                Feedback.due_at,
                Feedback.first_response_at.is_not(None),
            ).where(Feedback.confidential.is_(True), Feedback.status.not_in(DONE)),
            user,
        ).order_by(Feedback.due_at.is_(None), Feedback.due_at, Feedback.id)
    ).all()
    items = [deadline(*row, now) for row in rows]
    return ProtectionAlerts(
        items=items[:SHOWN],
        total=len(items),
        overdue=sum(item.overdue for item in items),
        deadline_hours=settings.protection_deadline_hours,
    )
