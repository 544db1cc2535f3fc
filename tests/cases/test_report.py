"""The monthly report for a site: what people raised and what was done, in counts no one can be recognised in.

Counts from 1 to 4 read "<5"; a count from which a total would give a small one back is hidden too ("5+");
confidential reports are never counted; the month is the line's (Africa/Bamako); times and shares on time need
5 cases or more.
"""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.cases.report import Month, monthly_report, summary_texts, suppress
from bot.models import StaffUser
from bot.vocabulary import CaseStatus, Kind
from tests import domain_support as rows

BAMAKO = ZoneInfo("Africa/Bamako")
MARCH = Month(2026, 3)
IN_MARCH = datetime(2026, 3, 10, 9, 0, tzinfo=BAMAKO)
NOW = datetime(2026, 4, 20, 12, 0, tzinfo=BAMAKO)


def add(db, vault, n: int, category: str, status: str = CaseStatus.NEW, at: datetime = IN_MARCH, **fields):
    person = rows.person(db, vault)
    return [
        rows.case(db, person, "Texte", category=category, status=status, created_at=at + timedelta(minutes=i), **fields)
        for i in range(n)
    ]


def report(db, user: StaffUser, site: str | None = "niamana", month: Month = MARCH, tz=BAMAKO):
    return monthly_report(db, user, month, rows.site(db, site) if site else None, tz, NOW)


def table(found) -> dict:
    """{category: (received, resolved, referred, open)} as the page prints them."""
    lines = [*found.lines, found.total]
    return {line.key: tuple(str(count) for count in (line.received, line.resolved, line.referred, line.open))
            for line in lines}


@pytest.fixture
def admin(db):
    return rows.staff(db, "admin@ong.ml", "admin")


def test_counts_by_category_and_what_became_of_them(db, vault, admin):
    add(db, vault, 6, "water_sanitation", CaseStatus.RESOLVED)
    add(db, vault, 5, "water_sanitation", CaseStatus.CLOSED)
    add(db, vault, 7, "shelter", CaseStatus.REFERRED)
    add(db, vault, 5, "shelter", CaseStatus.IN_PROGRESS)
    add(db, vault, 6, "shelter", CaseStatus.NEW)

    found = report(db, admin)

    assert [line.key for line in found.lines] == ["shelter", "water_sanitation"]  # most raised first
    assert table(found) == {
        "shelter": ("18", "0", "7", "11"),
        "water_sanitation": ("11", "11", "0", "0"),
        "*": ("29", "11", "7", "11"),
    }
    assert [(kind, str(count)) for kind, count in found.kinds] == [("complaint", "29")]


def test_a_count_under_5_reads_less_than_5_and_no_total_gives_it_back(db, vault, admin):
    add(db, vault, 5, "water_sanitation", CaseStatus.RESOLVED)
    add(db, vault, 3, "water_sanitation", CaseStatus.NEW)
    add(db, vault, 6, "shelter", CaseStatus.RESOLVED)
    add(db, vault, 2, "health", CaseStatus.REFERRED)

    shown = table(report(db, admin))

    assert shown["health"] == ("<5", "0", "<5", "0")
    assert shown["*"] == ("16", "11", "<5", "<5")
    # Water's 8 less its 5 resolved would give its 3 open back: 8 is withheld, which also keeps health's 2
    # from being 16 less 8 and 6.
    assert shown["water_sanitation"] == ("5+", "5", "0", "<5")
    assert shown["shelter"] == ("6", "6", "0", "0")
    for line in shown.values():
        assert not any(cell in {"1", "2", "3", "4"} for cell in line)


def test_suppression_hides_the_smallest_other_count_of_a_sum_until_none_can_be_worked_out():
    shown = suppress({"total": 12, "a": 9, "b": 3, "c": 0}, [["total", "a", "b", "c"]])
    assert {key: str(count) for key, count in shown.items()} == {"total": "12", "a": "5+", "b": "<5", "c": "0"}
    alone = suppress({"total": 3, "a": 3}, [["total", "a"]])
    assert {key: str(count) for key, count in alone.items()} == {"total": "<5", "a": "<5"}


def test_confidential_reports_and_sign_ups_are_never_counted_nor_duplicates_twice(db, vault, admin):
    (original, *_) = add(db, vault, 5, "water_sanitation")
    add(db, vault, 1, "water_sanitation", duplicate_of_id=original.id)
    person = rows.person(db, vault, "+22370000002")
    for _ in range(6):
        rows.case(db, person, "Menace", kind=Kind.CONFIDENTIAL, category="threat", created_at=IN_MARCH, vault=vault)
        rows.case(db, person, None, kind=Kind.ASSEMBLY, category="confirmed", created_at=IN_MARCH)

    found = report(db, admin)

    assert table(found) == {"water_sanitation": ("5", "0", "0", "5"), "*": ("5", "0", "0", "5")}


def test_the_month_runs_from_its_first_to_its_last_moment_in_bamako(db, vault, admin):
    add(db, vault, 5, "water_sanitation", at=datetime(2026, 3, 1, 0, 0, tzinfo=BAMAKO))
    add(db, vault, 1, "water_sanitation", at=datetime(2026, 3, 31, 23, 59, tzinfo=BAMAKO))
    add(db, vault, 7, "shelter", at=datetime(2026, 2, 28, 23, 50, tzinfo=BAMAKO))
    add(db, vault, 8, "health", at=datetime(2026, 4, 1, 0, 0, tzinfo=BAMAKO))

    assert table(report(db, admin))["*"][0] == "6"
    # The same rows in a zone an hour ahead: March 31st 23:59 in Bamako is already April there.
    assert table(report(db, admin, month=Month(2026, 4), tz=ZoneInfo("Africa/Lagos")))["*"][0] == "9"


def test_response_times_are_medians_and_shares_on_time_over_5_cases_or_more(db, vault, admin):
    answered = [2, 4, 6, 8, 60]  # hours to the first answer; the target is 48 h
    for hours, case in zip(answered, add(db, vault, 5, "water_sanitation", CaseStatus.RESOLVED), strict=True):
        case.acknowledge_by = case.created_at + timedelta(hours=48)
        case.resolve_by = case.created_at + timedelta(days=14)
        case.first_response_at = case.created_at + timedelta(hours=hours)
        case.resolved_at = case.created_at + timedelta(days=hours / 4)
    # Not answered: its target has passed (late); another's is still ahead (not counted yet).
    late, waiting = add(db, vault, 2, "shelter")
    late.acknowledge_by = NOW - timedelta(hours=1)
    waiting.acknowledge_by = NOW + timedelta(hours=1)
    db.flush()

    timing = report(db, admin).timing
    assert timing.first_response_hours == 6.0
    assert timing.resolution_days == 1.5
    assert (timing.acknowledged.met, timing.acknowledged.measured, timing.acknowledged.percent) == (4, 6, 67)
    assert (timing.resolved.met, timing.resolved.measured, timing.resolved.percent) == (4, 5, 80)

    few = report(db, admin, site="sogoniko").timing
    assert few.first_response_hours is None and few.acknowledged.percent is None


def test_every_reader_of_reports_sees_the_same_counts_within_their_sites(db, vault, admin):
    add(db, vault, 6, "water_sanitation")
    add(db, vault, 5, "shelter", site_slug="sogoniko")
    organizer = rows.staff(db, "moussa@ong.ml", "organizer")
    bound = rows.staff(db, "awa@ong.ml", "triage", sites=("sogoniko",))

    assert table(report(db, organizer)) == table(report(db, admin))
    everywhere = report(db, admin, site=None)
    assert table(everywhere)["*"][0] == "11"
    assert sorted(str(count) for _site, count in everywhere.sites) == ["5", "6"]
    assert table(report(db, bound, site=None))["*"][0] == "5"


def test_the_summary_is_one_sms_per_language_with_the_counts_as_printed(db, vault, admin, runtime):
    add(db, vault, 6, "water_sanitation", CaseStatus.RESOLVED)
    add(db, vault, 2, "shelter", CaseStatus.REFERRED)

    texts = summary_texts(report(db, admin), runtime.catalogues, ["fr", "bm"])

    assert set(texts) == {"fr", "bm"}
    assert "mars 2026" in texts["fr"] and "Niamana" in texts["fr"] and " 8 " in texts["fr"] and "<5" in texts["fr"]
    assert texts["fr"].endswith("Merci.") and "Aw ni ce" in texts["bm"] and "marisi 2026" in texts["bm"]
    assert len(texts["fr"]) <= 160 and len(texts["bm"]) <= 160
    everywhere = summary_texts(report(db, admin, site=None), runtime.catalogues, ["fr"])
    assert "Niamana" not in everywhere["fr"] and "mars 2026" in everywhere["fr"]


@pytest.mark.parametrize(
    ("text", "expected"), [(None, Month(2026, 3)), ("2026-03", Month(2026, 3)), ("2025-12", Month(2025, 12))]
)
def test_a_month_is_written_year_dash_month_and_defaults_to_the_last_whole_one(text, expected):
    assert Month.parse(text, datetime(2026, 4, 2).date()) == expected
    assert Month(2025, 12).next() == Month(2026, 1) and Month(2026, 1).previous() == Month(2025, 12)


@pytest.mark.parametrize("text", ["2026-13", "2026-3", "26-03", "2026-00", "１９９９-01", "2026-03-01", "x"])
def test_a_month_that_cannot_be_meant_is_refused(text):
    from bot.cases.report import InvalidMonth

    with pytest.raises(InvalidMonth):
        Month.parse(text, datetime(2026, 4, 2).date())
