"""Confidential reports' deadlines on screen (bot.cases.deadlines).

A report's next step is due at its `due_at`, as every case's (bot.cases.targets): acknowledging it
within PROTECTION_DEADLINE_HOURS of its arrival, then resolving it by its `resolve_by`. The time
left, or past, is said in whole hours rounded down (the safe side), and in whole days from 48 hours
on. Only those who may read confidential reports learn of them: the others get nothing, not even a
count. Open reports are listed the first due first, at most SHOWN of them, with how many there are
in all.
"""

from datetime import UTC, datetime, timedelta

import pytest

from bot.cases import targets
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
    ids=[
        "just arrived",
        "4 h 50 left",
        "minutes left",
        "due now",
        "1 h 59 late",
        "2 h late",
        "47 h late",
        "48 h late",
        "5 days 23 h late",
    ],
)
def test_the_time_left_or_past_is_told_in_whole_hours_rounded_down(since_arrival, overdue, hours, days):
    due = deadline(7, "K7MP3X", "violence", ARRIVED, ARRIVED + timedelta(hours=24), False, ARRIVED + since_arrival)
    assert (due.overdue, due.hours, due.days) == (overdue, hours, days)
    assert due.due_at == ARRIVED + timedelta(hours=24)
    assert (due.id, due.reference, due.category, due.created_at) == (7, "K7MP3X", "violence", ARRIVED)
    assert due.url == "/admin/cases/K7MP3X"


def test_a_long_deadline_is_told_in_days_before_it_is_due():
    due = deadline(7, "K7MP3X", None, ARRIVED, ARRIVED + timedelta(hours=72), False, ARRIVED + timedelta(hours=1))
    assert (due.overdue, due.hours, due.days) == (False, 71, 2)


def add_reports(runtime, arrivals: dict[str, datetime], status: str = CaseStatus.NEW, **fields) -> dict[str, int]:
    """Confidential reports taken in at these times: with their targets, as the intake sets them."""
    with transaction(runtime.database) as db:
        someone = rows.person(db, runtime.vault)
        ids = {}
        for name, when in arrivals.items():
            report = rows.case(
                db,
                someone,
                name,
                kind="confidential",
                vault=runtime.vault,
                created_at=when,
                status=status,
                category="threat",
                **fields,
            )
            targets.set_targets(report, runtime.settings)
            ids[name] = report.id
        return ids


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
        in_progress = db.get(Feedback, open_ids["in progress"])
        in_progress.status, in_progress.first_response_at = CaseStatus.IN_PROGRESS, ARRIVED + timedelta(minutes=5)
        targets.refresh(in_progress)
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


def test_an_acknowledged_report_is_next_due_for_resolution_not_overdue_for_acknowledgement(runtime):
    ids = add_reports(runtime, {"waiting": ARRIVED})
    ids |= add_reports(runtime, {"acknowledged": ARRIVED - timedelta(hours=2)}, first_response_at=ARRIVED)

    alerts = alerts_for(runtime, "protection", ARRIVED + timedelta(hours=30))

    waiting, acknowledged = alerts.items  # the first due first, whenever they arrived
    assert (waiting.id, waiting.acknowledged, waiting.overdue, waiting.hours) == (ids["waiting"], False, True, 6)
    assert (acknowledged.id, acknowledged.acknowledged, acknowledged.overdue) == (ids["acknowledged"], True, False)
    assert acknowledged.due_at == ARRIVED - timedelta(hours=2) + timedelta(days=14)  # RESOLVE_DAYS
    assert (alerts.total, alerts.overdue) == (2, 1)


def test_a_report_not_yet_taken_in_is_listed_last_without_a_due_date(runtime):
    ids = add_reports(runtime, {"taken in": ARRIVED})
    with transaction(runtime.database) as db:
        ids["arriving"] = rows.case(
            db, rows.person(db, runtime.vault), "x", kind="confidential", vault=runtime.vault, created_at=ARRIVED
        ).id

    alerts = alerts_for(runtime, "admin", ARRIVED + timedelta(days=3))

    assert [item.id for item in alerts.items] == [ids["taken in"], ids["arriving"]]
    assert (alerts.items[1].due_at, alerts.items[1].overdue, bool(alerts.items[1])) == (None, False, False)
    assert alerts.overdue == 1
