"""Response-time targets: how soon a case must be acknowledged and resolved, and when its next step is due.

The targets are fixed when a case enters the queue (`set_targets`, from the settings of the day) so a
later change of settings never makes yesterday's cases overdue. `due_at` is the next one to meet:
acknowledging until the case is answered, resolving until it is done, none after; the inbox sorts
by it, along an index. A confidential report must be acknowledged within PROTECTION_DEADLINE_HOURS.
Assembly sign-ups have no targets: organizers handle them. `timeliness` measures how the targets
were met, per month of arrival and site, through the access rules (the dashboard shows it).
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.cases.access import visible
from bot.config import Settings
from bot.models import Feedback, StaffUser
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


# --- how the targets were met: per site and month, for the dashboard -------------------------------


@dataclass
class Tally:
    """How one site's cases of one month met their targets.

    A step counts once it is settled: done (on time or late), or past its target without being done
    (late). A step whose target is still ahead is in no share yet, so a young case never lowers one.
    """

    cases: int = 0
    acknowledged_on_time: int = 0
    acknowledgements: int = 0  # settled acknowledgements: what `acknowledged_on_time` is a share of
    resolved_on_time: int = 0
    resolutions: int = 0  # settled resolutions: what `resolved_on_time` is a share of
    open: int = 0
    overdue: int = 0  # open, and its next step is past due now

    def count(self, row, now: datetime) -> None:
        self.cases += 1
        acknowledged = _settled(row.first_response_at, row.acknowledge_by, now)
        if acknowledged is not None:
            self.acknowledgements += 1
            self.acknowledged_on_time += acknowledged
        resolved = _settled(row.resolved_at, row.resolve_by, now)
        if resolved is not None:
            self.resolutions += 1
            self.resolved_on_time += resolved
        if row.status not in DONE:
            self.open += 1
            self.overdue += row.due_at is not None and row.due_at <= now

    def __add__(self, other: "Tally") -> "Tally":
        return Tally(*(getattr(self, name) + getattr(other, name) for name in self.__dataclass_fields__))


def _settled(done_at: datetime | None, due: datetime, now: datetime) -> bool | None:
    """On time, late, or None while the step is not done and its target is still ahead."""
    if done_at is not None:
        return on_time(done_at, due)
    return False if due <= now else None


@dataclass(frozen=True)
class MonthTally:
    first_day: date
    sites: dict[int | None, Tally]  # by site id (None: no site), only sites with cases that month

    @property
    def total(self) -> Tally:
        return sum(self.sites.values(), Tally())


@dataclass(frozen=True)
class Timeliness:
    months: list[MonthTally]  # the newest first; only months with cases
    open_now: int  # every open case with targets, whenever it came in
    overdue_now: int


def month_starts(now: datetime, zone: ZoneInfo, months: int) -> list[date]:
    """The first days of the last `months` months in the service's time zone, the current one last."""
    today = now.astimezone(zone).date()
    starts = []
    year, month = today.year, today.month
    for _ in range(months):
        starts.append(date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return starts[::-1]


def timeliness(db: Session, user: StaffUser, now: datetime, zone: ZoneInfo, months: int = 6) -> Timeliness:
    """How the cases `user` may see met their targets, per month of arrival and site, and what is overdue now.

    Cases without targets (assembly sign-ups) are left out. Grouped in Python, from rows that went
    through `visible`: the same on SQLite and PostgreSQL.
    """
    starts = month_starts(now, zone, months)
    since = datetime.combine(starts[0], time(0), tzinfo=zone)
    with_targets = Feedback.acknowledge_by.is_not(None), Feedback.kind != Kind.ASSEMBLY
    rows = db.execute(
        visible(
            select(
                Feedback.site_id,
                Feedback.created_at,
                Feedback.status,
                Feedback.first_response_at,
                Feedback.acknowledge_by,
                Feedback.resolved_at,
                Feedback.resolve_by,
                Feedback.due_at,
            ).where(Feedback.created_at >= since, *with_targets),
            user,
        )
    ).all()
    tallies: dict[date, dict[int | None, Tally]] = {start: {} for start in starts}
    for row in rows:
        arrived = row.created_at.astimezone(zone).date().replace(day=1)
        if arrived in tallies:
            tallies[arrived].setdefault(row.site_id, Tally()).count(row, now)
    still_open = visible(select(func.count(Feedback.id)).where(Feedback.status.not_in(DONE), *with_targets), user)
    return Timeliness(
        months=[MonthTally(start, tallies[start]) for start in reversed(starts) if tallies[start]],
        open_now=db.scalar(still_open),
        overdue_now=db.scalar(still_open.where(Feedback.due_at <= now)),
    )
