"""The dashboard: what came in, week by week; what is still open; how fast the teams answer; how the
response-time targets were met, per site and month; referrals by their partner's answer.

Every number is counted from rows that went through `visible`, so a user never sees a count
of what they may not read (confidential reports for triage, other sites for a site-bound
triage user). Grouping and medians are done in Python from those rows: the same on SQLite
and PostgreSQL, and cheap at the volumes of a feedback line (thousands a week, not millions).
"""

import statistics
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from babel.dates import format_date
from babel.numbers import format_decimal, format_percent
from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import select

from bot.admin.charts import Series, Table, stacked_bars
from bot.cases.access import visible
from bot.cases.deadlines import protection_alerts
from bot.cases.targets import MonthTally, Tally, timeliness
from bot.models import Feedback, Referral, Site, StaffUser, utcnow
from bot.vocabulary import DONE, Category, Kind, ReferralStatus
from bot.web.deps import DbDep, DeskStaffDep, InterfaceDep, SettingsDep

router = APIRouter(prefix="/admin")

WEEKS = 12
# Months of the on-time tables, the newest first; and how many rows a month has for its sites at
# most: beyond that, the busiest ones and one row adding up the others, so that the page stays
# small with 100 sites.
MONTHS = 6
SITES_SHOWN = 8
MEDIAN_WINDOW = timedelta(days=30)
# Open cases by age: (key, upper bound); the last has none.
AGE_BUCKETS = (
    ("under_1_day", timedelta(days=1)),
    ("1_to_3_days", timedelta(days=3)),
    ("3_to_7_days", timedelta(days=7)),
    ("over_7_days", None),
)


def kind_labels(_: Callable[[str], str]) -> dict[str, str]:
    return {kind: _(kind.plural) for kind in Kind}


def category_labels(_: Callable[[str], str]) -> dict[str | None, str]:
    return {category: _(category.label) for category in Category} | {None: _("No category")}


def age_labels(_: Callable[[str], str]) -> dict[str, str]:
    return {
        "under_1_day": _("Less than 1 day"),
        "1_to_3_days": _("1 to 3 days"),
        "3_to_7_days": _("3 to 7 days"),
        "over_7_days": _("More than 7 days"),
    }


@dataclass(frozen=True)
class Weeks:
    """The last WEEKS ISO weeks, the current one last, in the service's time zone."""

    mondays: list[date]
    start: datetime
    zone: ZoneInfo

    @classmethod
    def ending(cls, now: datetime, zone: ZoneInfo) -> "Weeks":
        today = now.astimezone(zone).date()
        this_monday = today - timedelta(days=today.weekday())
        mondays = [this_monday - timedelta(weeks=WEEKS - 1 - index) for index in range(WEEKS)]
        return cls(mondays, datetime.combine(mondays[0], time(0), tzinfo=zone), zone)

    def index(self, moment: datetime) -> int | None:
        index = (moment.astimezone(self.zone).date() - self.mondays[0]).days // 7
        return index if 0 <= index < WEEKS else None

    @property
    def keys(self) -> list[str]:
        """ISO weeks, e.g. 2026-W47 (also valid in <time datetime>)."""
        return [f"{year}-W{week:02d}" for year, week, _ in (monday.isocalendar() for monday in self.mondays)]


def weekly_table(
    key: str,
    title: str,
    weeks: Weeks,
    lang: str,
    counts: Counter,
    order: Iterable,
    labels: dict,
) -> Table:
    """Counts keyed (group, week index) as a table: one series per group that has any."""
    present = {group for group, _ in counts}
    groups = [group for group in order if group in present]
    groups += sorted((group for group in present if group not in groups), key=str)  # unknown values last
    return Table(
        key=key,
        title=title,
        row_keys=weeks.keys,
        row_labels=[format_date(monday, "d MMM", locale=lang) for monday in weeks.mondays],
        axis_labels=[f"{monday.day}/{monday.month}" for monday in weeks.mondays],
        series=[
            Series(labels.get(group, str(group)), [counts[group, index] for index in range(WEEKS)]) for group in groups
        ],
    )


def _hours(durations: list[timedelta]) -> float | None:
    return statistics.median(max(d, timedelta(0)) / timedelta(hours=1) for d in durations) if durations else None


@dataclass(frozen=True)
class Median:
    key: str
    hours: float | None
    cases: int

    def text(self, lang: str) -> str:
        return "—" if self.hours is None else format_decimal(round(self.hours, 1), "#,##0.#", locale=lang)


def dashboard_numbers(db, user: StaffUser, now: datetime, zone: ZoneInfo, lang: str, _: Callable[[str], str]) -> dict:
    weeks = Weeks.ending(now, zone)
    rows = db.execute(
        visible(
            select(Feedback.kind, Feedback.category, Feedback.site_id, Feedback.created_at).where(
                Feedback.created_at >= weeks.start
            ),
            user,
        )
    ).all()
    by_kind, by_category, by_site = Counter(), Counter(), Counter()
    for kind, category, site_id, created_at in rows:
        index = weeks.index(created_at)
        if index is None:
            continue
        by_kind[kind, index] += 1
        if kind != Kind.ASSEMBLY:  # a sign-up's "category" is its place or waiting-list status
            by_category[category, index] += 1
        by_site[site_id, index] += 1

    sites = db.execute(select(Site.id, Site.name).order_by(Site.position, Site.name)).all()
    site_labels = {site_id: name for site_id, name in sites} | {None: _("No site")}
    tables = [
        weekly_table("kind", _("By kind, per week"), weeks, lang, by_kind, Kind, kind_labels(_)),
        weekly_table(
            "category", _("By category, per week"), weeks, lang, by_category, (*Category, None), category_labels(_)
        ),
        weekly_table(
            "site", _("By site, per week"), weeks, lang, by_site, [*(s for s, _n in sites), None], site_labels
        ),
    ]
    description = _("Bar chart. The same numbers are in the table below it.")
    charts = {
        table.key: stacked_bars(table, f"{table.title}. {description}", _("Others")) for table in tables if table.total
    }

    ages = Counter()
    # An assembly sign-up is a place, not a case waiting for an answer: it is never open.
    still_open = Feedback.status.not_in(DONE), Feedback.kind != Kind.ASSEMBLY
    for (created_at,) in db.execute(visible(select(Feedback.created_at).where(*still_open), user)):
        age = now - created_at
        ages[next(key for key, bound in AGE_BUCKETS if bound is None or age < bound)] += 1

    since = now - MEDIAN_WINDOW
    responded = db.execute(
        visible(
            select(Feedback.created_at, Feedback.first_response_at).where(Feedback.first_response_at >= since), user
        )
    ).all()
    resolved = db.execute(
        visible(select(Feedback.created_at, Feedback.resolved_at).where(Feedback.resolved_at >= since), user)
    ).all()
    medians = [
        Median("first_response", _hours([done - created for created, done in responded]), len(responded)),
        Median("resolution", _hours([done - created for created, done in resolved]), len(resolved)),
    ]
    return {
        "tables": tables,
        "charts": charts,
        "ages": [(key, age_labels(_)[key], ages[key]) for key, _bound in AGE_BUCKETS],
        "open_total": sum(ages.values()),
        "medians": medians,
    }


@dataclass(frozen=True)
class Share:
    """How many of the settled steps were on time, as the page says it."""

    met: int
    of: int

    def text(self, lang: str) -> str:
        return format_percent(self.met / self.of, locale=lang) if self.of else "—"


@dataclass(frozen=True)
class SiteRow:
    key: str  # the site id, "none" or "others": the row's data-site
    label: str
    tally: Tally

    @property
    def acknowledged(self) -> Share:
        return Share(self.tally.acknowledged_on_time, self.tally.acknowledgements)

    @property
    def resolved(self) -> Share:
        return Share(self.tally.resolved_on_time, self.tally.resolutions)


@dataclass(frozen=True)
class MonthRows:
    key: str  # e.g. 2026-11 (also valid in <time datetime>)
    label: str
    rows: list[SiteRow]
    total: SiteRow


def month_rows(month: MonthTally, site_labels: dict, site_order: list, lang: str, _: Callable[[str], str]) -> MonthRows:
    """One month's table: its sites in menu order, or the busiest SITES_SHOWN and the rest in one row."""
    order = {site_id: index for index, site_id in enumerate(site_order)}
    shown = sorted(month.sites, key=lambda site_id: (order.get(site_id, len(order)), str(site_id)))
    others = []
    if len(shown) > SITES_SHOWN:
        busiest = set(sorted(shown, key=lambda site_id: -month.sites[site_id].cases)[: SITES_SHOWN - 1])
        others = [site_id for site_id in shown if site_id not in busiest]
        shown = [site_id for site_id in shown if site_id in busiest]
    rows = [
        SiteRow(
            "none" if site_id is None else str(site_id), site_labels.get(site_id, str(site_id)), month.sites[site_id]
        )
        for site_id in shown
    ]
    if others:
        label = _("%(count)s other sites") % {"count": len(others)}
        rows.append(SiteRow("others", label, sum((month.sites[site_id] for site_id in others), Tally())))
    return MonthRows(
        key=month.first_day.strftime("%Y-%m"),
        label=format_date(month.first_day, "LLLL yyyy", locale=lang),
        rows=rows,
        total=SiteRow("total", _("Total"), month.total),
    )


def referrals_by_status(db, user: StaffUser) -> Counter:
    """Cases by the status of their latest referral, counted through `visible`."""
    latest: dict[int, str] = {}
    rows = db.execute(
        visible(
            select(Referral.feedback_id, Referral.status).join(Feedback, Feedback.id == Referral.feedback_id), user
        ).order_by(Referral.created_at, Referral.id)
    )
    for feedback_id, status in rows:
        latest[feedback_id] = status
    return Counter(latest.values())


def target_numbers(db, user: StaffUser, now: datetime, zone: ZoneInfo, lang: str, _: Callable[[str], str]) -> dict:
    """What the page says of the response-time targets and of referrals."""
    report = timeliness(db, user, now, zone, MONTHS)
    sites = db.execute(select(Site.id, Site.name).order_by(Site.position, Site.name)).all()
    site_labels = {site_id: name for site_id, name in sites} | {None: _("No site")}
    referrals = referrals_by_status(db, user)
    return {
        "on_time": [month_rows(month, site_labels, [s for s, _n in sites], lang, _) for month in report.months],
        "open_now": report.open_now,
        "overdue_now": report.overdue_now,
        "months": MONTHS,
        "referrals": [(status, _(status.label), referrals[status]) for status in ReferralStatus],
        "referrals_total": sum(referrals.values()),
    }


@router.get("/dashboard")
def dashboard(
    request: Request, user: DeskStaffDep, db: DbDep, settings: SettingsDep, interface: InterfaceDep
) -> Response:
    lang = interface.language(request)
    now = utcnow()
    zone, gettext = ZoneInfo(settings.timezone), interface.gettext(request)
    numbers = dashboard_numbers(db, user, now, zone, lang, gettext)
    return interface.render(
        request,
        "dashboard.html",
        weeks=WEEKS,
        protection_alerts=protection_alerts(db, user, settings, now),
        **numbers,
        **target_numbers(db, user, now, zone, lang, gettext),
    )
