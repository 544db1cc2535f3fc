"""Confidential reports' deadlines on screen (bot.cases.deadlines).

A report is due PROTECTION_DEADLINE_HOURS after it arrived. The time left, or past, is said in whole
hours rounded down (the safe side), and in whole days from 48 hours on. Only those who may read
confidential reports learn of them: the others get nothing, not even a count. Open reports are
listed most urgent first, at most SHOWN of them, with how many there are in all.
"""

from datetime import UTC, datetime, timedelta

import pytest

from bot.cases.deadlines import SHOWN, deadline, protection_alerts
from bot.db import transaction
from bot.models import Feedback
from bot.vocabulary import CaseStatus
from tests import domain_support as rows

ARRIVED = datetime(2025, 3, 10, 8, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("since_arrival", "overdue", "hours", "days"),
    [
        (timedelta(0), False, 24, None),
        (timedelta(hours=19, minutes=10), False, 4, None),  # 4 h 50 left: "4 h", never "5 h"
        (timedelta(hours=23, minutes=1), False, 0, None),  # less than one hour left
        (timedelta(hours=24), True, 0, None),  # due now is overdue
        (timedelta(hours=25, minutes=59), True, 1, None),
        (timedelta(hours=26), True, 2, None),  # "overdue by 2 h" once two full hours have passed
        (timedelta(hours=71, minutes=59), True, 47, None),
        (timedelta(hours=72), True, 48, 2),  # from 48 hours on, days
        (timedelta(hours=24 + 24 * 5 + 23), True, 143, 5),
    ],
    ids=["just arrived", "4 h 50 left", "minutes left", "due now", "1 h 59 late", "2 h late", "47 h late",
         "48 h late", "5 days 23 h late"],
)
def test_the_time_left_or_past_is_told_in_whole_hours_rounded_down(since_arrival, overdue, hours, days):
    due = deadline(7, "K7MP3X", "violence", ARRIVED, 24, ARRIVED + since_arrival)
    assert (due.overdue, due.hours, due.days) == (overdue, hours, days)
    assert due.due_at == ARRIVED + timedelta(hours=24)
    assert (due.id, due.reference, due.category, due.created_at) == (7, "K7MP3X", "violence", ARRIVED)
    assert due.url == "/admin/cases/K7MP3X"


def test_a_long_deadline_is_told_in_days_before_it_is_due():
    due = deadline(7, "K7MP3X", None, ARRIVED, 72, ARRIVED + timedelta(hours=1))
    assert (due.overdue, due.hours, due.days) == (False, 71, 2)


def add_reports(runtime, arrivals: dict[str, datetime], status: str = CaseStatus.NEW) -> dict[str, int]:
    with transaction(runtime.database) as db:
        someone = rows.person(db, runtime.vault)
        return {
            name: rows.case(
                db, someone, name, kind="confidential", vault=runtime.vault, created_at=when, status=status,
                category="threat",
            ).id
            for name, when in arrivals.items()
        }


def alerts_for(runtime, role: str, now: datetime, sites: tuple[str, ...] = ()):
    with transaction(runtime.database) as db:
        user = rows.staff(db, f"{role}-{len(sites)}@ong.ml", role, sites)
        return protection_alerts(db, user, runtime.settings, now)


@pytest.mark.parametrize("role", ["triage", "organizer"])
def test_who_may_not_read_confidential_reports_learns_nothing_of_them(runtime, role):
    add_reports(runtime, {"overdue": ARRIVED})
    assert alerts_for(runtime, role, ARRIVED + timedelta(days=3)) is None


@pytest.mark.parametrize("role", ["protection", "admin"])
def test_open_reports_are_listed_most_urgent_first_with_how_many_are_overdue(runtime, role):
    ids = add_reports(
        runtime,
        {
            "arrived last": ARRIVED + timedelta(hours=20),
            "arrived first": ARRIVED - timedelta(hours=30),
            "arrived second": ARRIVED,
        },
    )
    now = ARRIVED + timedelta(hours=25)

    alerts = alerts_for(runtime, role, now)

    assert [item.id for item in alerts.items] == [ids["arrived first"], ids["arrived second"], ids["arrived last"]]
    assert [(item.overdue, item.hours) for item in alerts.items] == [(True, 31), (True, 1), (False, 19)]
    assert (alerts.total, alerts.overdue, alerts.deadline_hours) == (3, 2, 24)
    assert {item.category for item in alerts.items} == {"threat"}


def test_resolved_and_closed_reports_and_ordinary_cases_are_left_out(runtime):
    open_ids = add_reports(runtime, {"waiting": ARRIVED, "in progress": ARRIVED})
    with transaction(runtime.database) as db:
        db.get(Feedback, open_ids["in progress"]).status = CaseStatus.IN_PROGRESS
    add_reports(runtime, {"resolved": ARRIVED - timedelta(days=2)}, status=CaseStatus.RESOLVED)
    add_reports(runtime, {"closed": ARRIVED - timedelta(days=2)}, status=CaseStatus.CLOSED)
    with transaction(runtime.database) as db:
        rows.case(db, rows.person(db, runtime.vault, "+22370000002"), "Une plainte", created_at=ARRIVED)

    alerts = alerts_for(runtime, "protection", ARRIVED + timedelta(hours=1))

    assert {item.id for item in alerts.items} == set(open_ids.values())
    assert (alerts.total, alerts.overdue) == (2, 0)


def test_no_open_report_is_an_empty_list_not_nothing(runtime):
    alerts = alerts_for(runtime, "protection", ARRIVED)
    assert alerts is not None and (alerts.items, alerts.total, alerts.overdue) == ([], 0, 0)


def test_at_most_fifty_are_listed_and_the_total_counts_them_all(runtime):
    count = SHOWN + 2
    ids = add_reports(runtime, {f"report {n}": ARRIVED + timedelta(minutes=n) for n in range(count)})

    alerts = alerts_for(runtime, "protection", ARRIVED + timedelta(hours=24, minutes=30))

    assert len(alerts.items) == SHOWN == 50
    assert [item.id for item in alerts.items] == [ids[f"report {n}"] for n in range(SHOWN)]  # the most urgent
    assert alerts.total == count
    assert alerts.overdue == 31  # arrived in the first 30 minutes, and the one at the half hour is due now


@pytest.fixture
def two_day_deadline(reconfigure):
    reconfigure(PROTECTION_DEADLINE_HOURS="48")


def test_the_deadline_is_the_configured_number_of_hours(two_day_deadline, runtime):
    add_reports(runtime, {"report": ARRIVED})
    alerts = alerts_for(runtime, "protection", ARRIVED + timedelta(hours=30))
    (item,) = alerts.items
    assert (item.due_at, item.overdue, item.hours, alerts.deadline_hours) == (
        ARRIVED + timedelta(hours=48),
        False,
        18,
        48,
    )
