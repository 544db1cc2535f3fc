"""Response-time targets (bot.cases.targets): fixed when a case is taken in, followed as it moves, measured.

Each kind must be acknowledged within ACKNOWLEDGE_HOURS (48) and resolved within RESOLVE_DAYS (14) of its
arrival, unless RESPONSE_TARGETS says otherwise for it; a confidential report must be acknowledged within
PROTECTION_DEADLINE_HOURS. `due_at` is the next step's target. The dashboard's measure counts, per month of
arrival and site, the steps done on time among those settled (done, or past their target), through the
access rules.
"""

import itertools
import json
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.cases import lifecycle, targets
from bot.cases.intake import take_in
from bot.db import transaction
from bot.models import Feedback
from bot.vocabulary import CaseStatus, Kind
from tests import domain_support as rows

ARRIVED = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def needs_faster(reconfigure):
    reconfigure(RESPONSE_TARGETS=json.dumps({"need": {"acknowledge_hours": 24, "resolve_days": 7}}))


def taken_in(runtime, kind: str) -> Feedback:
    """A submission that arrived at ARRIVED, put in the queue by the intake job."""
    with transaction(runtime.database) as db:
        feedback = rows.case(
            db, rows.person(db, runtime.vault), "x", kind=kind, vault=runtime.vault, created_at=ARRIVED
        )
    assert take_in(runtime, feedback.id)
    with runtime.database() as db:
        return db.get(Feedback, feedback.id)


@pytest.mark.parametrize(
    ("kind", "acknowledge", "resolve"),
    [
        (Kind.COMPLAINT, timedelta(hours=48), timedelta(days=14)),  # the defaults
        (Kind.NEED, timedelta(hours=24), timedelta(days=7)),  # RESPONSE_TARGETS
        (Kind.CONFIDENTIAL, timedelta(hours=24), timedelta(days=14)),  # PROTECTION_DEADLINE_HOURS
    ],
)
def test_the_intake_fixes_each_kinds_targets_from_its_arrival(needs_faster, runtime, kind, acknowledge, resolve):
    feedback = taken_in(runtime, kind)
    assert (feedback.acknowledge_by, feedback.resolve_by) == (ARRIVED + acknowledge, ARRIVED + resolve)
    assert feedback.due_at == feedback.acknowledge_by


def test_assembly_sign_ups_have_no_targets(runtime):
    feedback = taken_in(runtime, Kind.ASSEMBLY)
    assert (feedback.acknowledge_by, feedback.resolve_by, feedback.due_at) == (None, None, None)
    assert not targets.is_overdue(feedback, ARRIVED + timedelta(days=365))


@pytest.fixture
def overrides_for_reports(reconfigure):
    reconfigure(
        PROTECTION_DEADLINE_HOURS="12",
        RESPONSE_TARGETS=json.dumps({"confidential": {"acknowledge_hours": 72, "resolve_days": 3}}),
    )


def test_a_confidential_report_keeps_the_protection_deadline_whatever_the_overrides_say(overrides_for_reports, runtime):
    feedback = taken_in(runtime, Kind.CONFIDENTIAL)
    assert (feedback.acknowledge_by, feedback.resolve_by) == (
        ARRIVED + timedelta(hours=12),
        ARRIVED + timedelta(days=3),
    )


def test_the_next_due_step_follows_the_case_through_its_life(runtime, desk):
    feedback_id = taken_in(runtime, Kind.COMPLAINT).id

    def step(to: str, **extra) -> Feedback:
        with transaction(runtime.database) as db:
            feedback = db.get(Feedback, feedback_id)
            actor = rows.staff(db, f"{to}@ong.ml", "triage")
            lifecycle.change_status(db, feedback, actor, to, desk=desk, **extra)
            return feedback

    acknowledged = step(CaseStatus.ACKNOWLEDGED)
    assert acknowledged.due_at == acknowledged.resolve_by == ARRIVED + timedelta(days=14)
    resolved = step(CaseStatus.RESOLVED, outcome="Les latrines ont été vidées.")
    assert resolved.due_at is None and not targets.is_overdue(resolved, ARRIVED + timedelta(days=30))
    reopened = step(lifecycle.REOPEN_TO)
    assert reopened.due_at == ARRIVED + timedelta(days=14)  # acknowledged once already: resolving is next
    assert targets.is_overdue(reopened, ARRIVED + timedelta(days=14))  # due now is overdue
    assert not targets.is_overdue(reopened, ARRIVED + timedelta(days=13, hours=23))


# --- the measure, per month and site ---------------------------------------------------------------

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
OCTOBER, NOVEMBER = datetime(2026, 10, 5, 8, 0, tzinfo=UTC), datetime(2026, 11, 19, 8, 0, tzinfo=UTC)
ACCOUNTS = itertools.count()


def measured_case(
    db,
    runtime,
    site: str | None,
    created_at: datetime,
    *,
    kind=Kind.COMPLAINT,
    answered=None,
    resolved=None,
    status=CaseStatus.NEW,
) -> Feedback:
    """A case that came in at `created_at`, first answered and resolved so many hours later, with its targets."""
    return rows.timed_case(
        db,
        runtime.settings,
        rows.person(db, runtime.vault),
        created_at,
        answered=answered,
        resolved=resolved,
        kind=kind,
        vault=runtime.vault,
        site_slug=site,
        status=status,
    )


@pytest.fixture
def month_of_cases(runtime):
    """Niamana in October: on time twice, late once, one past its resolution target; Sogoniko in November."""
    with transaction(runtime.database) as db:
        case = lambda *args, **kw: measured_case(db, runtime, *args, **kw)  # noqa: E731
        case("niamana", OCTOBER, answered=3, resolved=100, status=CaseStatus.RESOLVED)  # both on time
        case("niamana", OCTOBER, answered=60, resolved=400, status=CaseStatus.CLOSED)  # both late (48 h, 14 days)
        case("niamana", OCTOBER, answered=48, status=CaseStatus.IN_PROGRESS)  # on time to the hour; never resolved
        case("sogoniko", NOVEMBER)  # 20 h to go: nothing settled yet
        case("sogoniko", NOVEMBER - timedelta(days=3))  # 48 h passed without an answer: late, overdue now
        case("sogoniko", NOVEMBER, answered=1)  # acknowledged; resolving still ahead
        case(None, NOW - timedelta(hours=2), kind=Kind.CONFIDENTIAL)  # only for those who read confidential reports
        case("niamana", NOVEMBER, kind=Kind.ASSEMBLY)  # a sign-up: no targets, not measured
        case("niamana", datetime(2026, 2, 1, tzinfo=UTC))  # long ago: outside the months, still overdue now


def report_for(runtime, role: str, sites: tuple[str, ...] = (), zone: str = "Africa/Bamako"):
    with transaction(runtime.database) as db:
        user = rows.staff(db, f"{role}{next(ACCOUNTS)}@ong.ml", role, sites)
        sites_by_id = {site.id: site.slug for site in (rows.site(db, slug) for slug in ("niamana", "sogoniko"))}
        report = targets.timeliness(db, user, NOW, ZoneInfo(zone), months=6)
    return report, {
        month.first_day: {sites_by_id.get(site_id, site_id): tally for site_id, tally in month.sites.items()}
        for month in report.months
    }


def test_each_site_and_month_says_how_many_steps_were_on_time(month_of_cases, runtime):
    report, months = report_for(runtime, "triage")

    assert [month.first_day for month in report.months] == [date(2026, 11, 1), date(2026, 10, 1)]  # newest first
    october, november = months[date(2026, 10, 1)], months[date(2026, 11, 1)]
    assert october == {
        "niamana": targets.Tally(
            cases=3, acknowledged_on_time=2, acknowledgements=3, resolved_on_time=1, resolutions=3, open=1, overdue=1
        )
    }
    assert november == {
        "sogoniko": targets.Tally(
            cases=3, acknowledged_on_time=1, acknowledgements=2, resolved_on_time=0, resolutions=0, open=3, overdue=1
        )
    }
    # The October case still in progress, November's unanswered one, February's: overdue now.
    assert (report.open_now, report.overdue_now) == (5, 3)


def test_confidential_reports_count_only_for_those_who_may_read_them(month_of_cases, runtime):
    for role in ("protection", "admin"):
        report, months = report_for(runtime, role)
        assert months[date(2026, 11, 1)][None].cases == 1
        assert (report.open_now, report.overdue_now) == (6, 3)  # the report's 24 h are not over yet
    assert report_for(runtime, "organizer")[0] == targets.Timeliness(months=[], open_now=0, overdue_now=0)


def test_a_triage_account_bound_to_a_site_measures_only_that_site(month_of_cases, runtime):
    report, months = report_for(runtime, "triage", ("sogoniko",))
    assert list(months) == [date(2026, 11, 1)] and list(months[date(2026, 11, 1)]) == ["sogoniko"]
    assert (report.open_now, report.overdue_now) == (3, 1)


def test_months_are_the_service_time_zones(runtime):
    with transaction(runtime.database) as db:
        measured_case(db, runtime, "niamana", datetime(2026, 10, 31, 23, 30, tzinfo=UTC))
    assert list(report_for(runtime, "admin")[1]) == [date(2026, 10, 1)]
    assert list(report_for(runtime, "admin", zone="Africa/Lagos")[1]) == [date(2026, 11, 1)]  # 00:30 there


def test_the_months_end_with_the_current_one():
    assert targets.month_starts(NOW, ZoneInfo("Africa/Bamako"), 3) == [
        date(2026, 9, 1),
        date(2026, 10, 1),
        date(2026, 11, 1),
    ]
    assert targets.month_starts(datetime(2027, 1, 10, tzinfo=UTC), ZoneInfo("UTC"), 2) == [
        date(2026, 12, 1),
        date(2027, 1, 1),
    ]
