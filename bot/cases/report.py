"""The monthly report for the community ("you said, we did"): per site, what people raised, what was done, how fast.

It is meant to be printed and read out at a site, so it never holds a confidential report (not even as a
count), nor anyone's words: only counts by category and status. A count from 1 to 4 is shown as "<5" so that
no one can be told apart, and when a total would give such a count back (the total less the others), the
next smallest count beside it is hidden too, as "5+". Medians and shares on time are given over 5 cases or more.

It counts complaints and needs received in the month (in the line's time zone), each once (a duplicate is
counted with the case it repeats), as they stand when the report is made. Desk staff read it through the
desk's access rules; organizers, who do not work at the desk, read it too: it holds nothing they may not see.
"""

import re
import statistics
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any

from babel import Locale, UnknownLocaleError
from babel.dates import format_date
from sqlalchemy import Select, false, select
from sqlalchemy.orm import Session

from bot.cases.access import organizes, visible, works_at_desk
from bot.cases.targets import on_time
from bot.i18n import Catalogues
from bot.models import Feedback, Site, StaffUser
from bot.report_summary import ALL_SITES, SITE
from bot.vocabulary import DONE, N_, CaseStatus, Category, Kind

SMALL = 5  # a count under this (but not 0) is hidden
HIDDEN = "<5"
WITHHELD = "5+"  # a count of 5 or more hidden so that a small one beside it cannot be worked out
TOTAL = "*"  # the key of the totals: never a category's code
KINDS = (Kind.COMPLAINT, Kind.NEED)
# What became of a case, as the community reads it: done, with a partner, or still in hand at the desk.
OUTCOMES = ("resolved", "referred", "open")
_MONTH = re.compile(r"(\d{4})-(\d{2})")


class InvalidMonth(ValueError):
    """A month that cannot be meant: answered with 400 and this `admin` msgid, never a 500."""

    message = N_("Months are written YYYY-MM, e.g. 2026-03.")


def may_read(user: StaffUser) -> bool:
    """Desk staff and organizers: the report holds nothing either may not see."""
    return works_at_desk(user) or organizes(user)


def counted(query: Select, user: StaffUser) -> Select:
    """`query` over Feedback, narrowed to what a report may count for `user`."""
    query = query.where(
        Feedback.confidential.is_(False),
        Feedback.kind.in_([kind.value for kind in KINDS]),
        Feedback.duplicate_of_id.is_(None),
    )
    if works_at_desk(user):
        return visible(query, user)  # a site-bound triage account: its sites only
    return query if organizes(user) else query.where(false())


@dataclass(frozen=True, order=True)
class Month:
    year: int
    month: int

    @classmethod
    def parse(cls, text: str | None, today: date) -> "Month":
        """`YYYY-MM`; the last whole month when none is given."""
        if not text:
            last = today.replace(day=1) - timedelta(days=1)
            return cls(last.year, last.month)
        found = _MONTH.fullmatch(text.strip())
        if found is None or not 2000 <= int(found[1]) <= 2999 or not 1 <= int(found[2]) <= 12:
            raise InvalidMonth(text)
        return cls(int(found[1]), int(found[2]))

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def key(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    def next(self) -> "Month":
        return Month(self.year + self.month // 12, self.month % 12 + 1)

    def previous(self) -> "Month":
        return Month(self.year - (self.month == 1), (self.month - 2) % 12 + 1)

    def bounds(self, tz: tzinfo) -> tuple[datetime, datetime]:
        """Its first moment and the next month's, where the staff work."""
        return datetime.combine(self.first_day, time(), tz), datetime.combine(self.next().first_day, time(), tz)

    def name(self, locale: str) -> str:
        return format_date(self.first_day, "MMMM y", locale=locale)


@dataclass(frozen=True)
class Count:
    value: int
    hidden: bool = False

    def __str__(self) -> str:
        if not self.hidden:
            return str(self.value)
        return HIDDEN if self.value < SMALL else WITHHELD


def suppress(cells: Mapping, sums: Iterable[tuple], keep: Iterable = ()) -> dict:
    """{key: Count}: counts from 1 to 4 hidden ("<5"), then more ("5+") wherever a sum would give one back.

    `sums` are groups of keys whose values add up (a total and its parts): a group with exactly one hidden
    count would give it back by subtraction, so one more of its counts (not 0) is hidden, until none is left
    alone. The one chosen is, first, not in `keep` (the grand total, if it can be helped), then one that also
    closes another such group rather than opening one, then the smallest: as little hidden as it takes.
    """
    keep = set(keep)
    hidden = {key for key, value in cells.items() if 0 < value < SMALL}
    groups = [tuple(group) for group in sums]
    groups_of: dict = {}
    for group in groups:
        for key in group:
            groups_of.setdefault(key, []).append(group)

    def alone(group: tuple) -> bool:
        return sum(key in hidden for key in group) == 1

    def cost(key, group: tuple) -> tuple:
        others = [other for other in groups_of[key] if other is not group]
        opened = sum(not any(k in hidden for k in other) for other in others)
        closed = sum(alone(other) for other in others)
        return (key in keep, opened - closed, cells[key], str(key))

    changed = True
    while changed:
        changed = False
        for group in groups:
            if not alone(group):
                continue
            candidates = [key for key in group if key not in hidden and cells[key] > 0]
            if candidates:
                hidden.add(min(candidates, key=lambda key: cost(key, group)))
                changed = True
    return {key: Count(value, key in hidden) for key, value in cells.items()}


@dataclass(frozen=True)
class Line:
    """One category (or the total): how many came, and what became of them."""

    key: str | None
    received: Count
    resolved: Count
    referred: Count
    open: Count


@dataclass(frozen=True)
class Share:
    """Of the cases whose target has come (met or missed), the share met; None under SMALL cases."""

    met: int
    measured: int

    @property
    def percent(self) -> int | None:
        return round(100 * self.met / self.measured) if self.measured >= SMALL else None


@dataclass(frozen=True)
class Timing:
    first_response_hours: float | None  # medians, None under SMALL cases
    resolution_days: float | None
    acknowledged: Share
    resolved: Share


@dataclass(frozen=True)
class Report:
    month: Month
    site: Site | None  # None: every site the reader may see
    lines: list[Line]  # by category, most raised first
    total: Line
    kinds: list[tuple[str, Count]]  # by kind code
    sites: list[tuple[int | None, Count]]  # by site id, for every site at once
    timing: Timing

    @property
    def empty(self) -> bool:
        return self.total.received.value == 0


def _outcome(status: str) -> str:
    if status in DONE:
        return "resolved"
    return "referred" if status == CaseStatus.REFERRED else "open"


def _median(values: list[float]) -> float | None:
    return round(statistics.median(values), 1) if len(values) >= SMALL else None


def _share(pairs: Iterable[tuple[datetime | None, datetime | None]], now: datetime) -> Share:
    """(done at, due by) → how many met their target, of those met or missed (a target still ahead is not counted)."""
    met = measured = 0
    for done_at, due in pairs:
        if due is None or (done_at is None and due > now):
            continue
        measured += 1
        met += bool(on_time(done_at, due))
    return Share(met, measured)


def _category_order(category: str | None) -> int:
    order = list(Category)
    return order.index(category) if Category.has(category) else len(order)


def monthly_report(db: Session, user: StaffUser, month: Month, site: Site | None, tz: tzinfo, now: datetime) -> Report:
    """The report of `month` for `site` (every site when None), as `user` may read it."""
    start, end = month.bounds(tz)
    query = select(
        Feedback.kind,
        Feedback.category,
        Feedback.status,
        Feedback.site_id,
        Feedback.created_at,
        Feedback.first_response_at,
        Feedback.resolved_at,
        Feedback.acknowledge_by,
        Feedback.resolve_by,
    ).where(Feedback.created_at >= start, Feedback.created_at < end)
    if site is not None:
        query = query.where(Feedback.site_id == site.id)
    rows = db.execute(counted(query, user)).all()

    cells: Counter = Counter()
    kinds: Counter = Counter()
    sites: Counter = Counter()
    for row in rows:
        outcome = _outcome(row.status)
        for category in (row.category, TOTAL):
            cells[category, "received"] += 1
            cells[category, outcome] += 1
        kinds[row.kind] += 1
        sites[row.site_id] += 1
    categories = sorted({category for category, _ in cells if category != TOTAL}, key=_category_order)
    categories.sort(key=lambda category: -cells[category, "received"])  # most raised first, stable
    for category in (*categories, TOTAL):
        for column in ("received", *OUTCOMES):
            cells[category, column] += 0
    # Each line adds up to what it received; each column adds up to the total.
    sums = [[(c, "received"), *((c, outcome) for outcome in OUTCOMES)] for c in (*categories, TOTAL)]
    sums += [[(TOTAL, column), *((c, column) for c in categories)] for column in ("received", *OUTCOMES)]
    shown = suppress(cells, sums, keep=[(TOTAL, "received")])

    def line(category: str | None) -> Line:
        return Line(category, *(shown[category, column] for column in ("received", *OUTCOMES)))

    site_names = dict(db.execute(select(Site.id, Site.name)).all()) if site is None else {}
    return Report(
        month=month,
        site=site,
        lines=[line(category) for category in categories],
        total=line(TOTAL),
        kinds=_parts(kinds, [kind.value for kind in KINDS]),
        sites=[] if site is not None else _parts(sites, sorted(sites, key=lambda key: site_names.get(key, ""))),
        timing=Timing(
            first_response_hours=_median(
                [_hours(r.created_at, r.first_response_at) for r in rows if r.first_response_at is not None]
            ),
            resolution_days=_median(
                [_hours(r.created_at, r.resolved_at) / 24 for r in rows if r.resolved_at is not None]
            ),
            acknowledged=_share(((r.first_response_at, r.acknowledge_by) for r in rows), now),
            resolved=_share(((r.resolved_at, r.resolve_by) for r in rows), now),
        ),
    )


def _hours(start: datetime, end: datetime) -> float:
    return max(end - start, timedelta(0)) / timedelta(hours=1)


def _parts(counts: Counter, order: list) -> list[tuple[Any, Count]]:
    """Parts of the month's total (kinds, sites), hidden where small or where the total would give one back."""
    keys = [key for key in order if counts[key]]
    shown = suppress({key: counts[key] for key in keys} | {TOTAL: sum(counts.values())}, [[*keys, TOTAL]], [TOTAL])
    return [(key, shown[key]) for key in keys]


# --- the summary broadcast to the site -----------------------------------------------------------


def summary_texts(report: Report, catalogues: Catalogues, languages: Iterable[str]) -> dict[str, str]:
    """The report's summary for people's phones, one text per language: counts only, hidden as on the page."""
    total = report.total
    values = {
        "received": str(total.received),
        "resolved": str(total.resolved),
        "referred": str(total.referred),
        "open": str(total.open),
    }
    texts = {}
    for lang in languages:
        params = {**values, "month": report.month.name(_locale(lang))}
        if report.site is not None:
            params["site"] = report.site.name
        texts[lang] = catalogues.fill(lang, SITE if report.site is not None else ALL_SITES, params)
    return texts


def _locale(lang: str) -> str:
    """A language's locale for month names; French where Babel has none for it."""
    try:
        Locale.parse(lang)
    except (ValueError, UnknownLocaleError):
        return "fr"
    return lang
