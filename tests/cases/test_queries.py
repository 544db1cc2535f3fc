"""The query layer behind the inbox, the CSV export and the API (bot.cases.queries).

Filters come from query parameters and a value that cannot be meant is refused with the field it is
about and a message staff can read. Pages are newest first, by keyset: the next page starts right
after the last row shown, so rows arriving meanwhile are never shown twice and none is skipped. A
search that spells a reference finds that case; other words are searched in the texts. Dates are
days where the staff work. Nothing here shows a user what the access rules hide from them.
"""

import base64
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.cases.queries import (
    Count,
    Filters,
    InvalidFilter,
    count_feedback,
    decode_cursor,
    each_feedback,
    encode_cursor,
    feedback_by_reference,
    feedback_page,
    pseudonym,
    readable_text,
)
from bot.db import transaction
from bot.models import Feedback, Partner, Referral, StaffUser
from bot.vault import Vault
from tests import domain_support as rows

T0 = datetime(2025, 3, 10, 9, 0, tzinfo=UTC)


# --- filters -------------------------------------------------------------------------------------


def test_filters_read_every_query_parameter_into_its_type():
    params = {
        "status": "in_progress",
        "kind": "need",
        "category": "water_sanitation",
        "site": "senou",
        "language": "bm",
        "channel": "ussd",
        "assignee": "42",
        "date_from": "2025-03-01",
        "date_to": "2025-03-31",
        "q": "  latrines  ",
        "referral": "accepted",
        "sort": "due",
    }
    filters = Filters.parse(params)
    assert filters == Filters(
        status="in_progress",
        kind="need",
        category="water_sanitation",
        site="senou",
        language="bm",
        channel="ussd",
        assignee="42",
        date_from=date(2025, 3, 1),
        date_to=date(2025, 3, 31),
        q="latrines",
        referral="accepted",
        sort="due",
    )
    assert filters.any and Filters.parse(filters.params()) == filters


def test_blank_and_missing_parameters_filter_nothing():
    filters = Filters.parse({"status": "  ", "q": "", "unrelated": "x"})
    assert filters == Filters() and not filters.any and filters.params() == {}


@pytest.mark.parametrize("assignee", ["none", "me", "7", "123456789"])
def test_the_assignee_is_nobody_me_or_a_staff_number(assignee):
    assert Filters.parse({"assignee": assignee}).assignee == assignee


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"status": "open"}, "status", "Unknown status: “open”."),
        ({"kind": "question"}, "kind", "Unknown kind: “question”."),
        ({"channel": "fax"}, "channel", "Unknown channel: “fax”."),
        ({"category": "Water!"}, "category", "Unknown category: “Water!”."),
        ({"site": "../etc"}, "site", "Unknown site: “../etc”."),
        ({"language": "french"}, "language", "Unknown language: “french”."),
        ({"assignee": "awa"}, "assignee", "Assignee must be “none”, “me” or a staff number, not “awa”."),
        ({"assignee": "1234567890"}, "assignee", "Assignee must be “none”, “me” or a staff number, not “1234567890”."),
        ({"date_from": "10/03/2025"}, "date_from", "Dates are written YYYY-MM-DD, not “10/03/2025”."),
        ({"date_to": "2025-02-30"}, "date_to", "Dates are written YYYY-MM-DD, not “2025-02-30”."),
        ({"date_from": "1999-12-31"}, "date_from", "Dates are written YYYY-MM-DD, not “1999-12-31”."),
        (
            {"date_from": "2025-03-10", "date_to": "2025-03-09"},
            "date_to",
            "The end date is before the start date (2025-03-09).",
        ),
        ({"q": "x" * 201}, "q", "The search is too long: 200 characters at most."),
        ({"q": "latrines\x00"}, "q", "The search contains control characters."),
        ({"sort": "urgent"}, "sort", "Unknown order: “urgent”."),
        ({"referral": "yes"}, "referral", "Unknown referral status: “yes”."),
    ],
    ids=lambda value: None if isinstance(value, dict) else str(value)[:30],
)
def test_a_filter_that_cannot_be_meant_is_refused_with_its_field_and_a_message(params, field, message):
    with pytest.raises(InvalidFilter) as invalid:
        Filters.parse(params)
    assert (invalid.value.field, invalid.value.text(), str(invalid.value)) == (field, message, message)


def test_a_refused_value_is_quoted_at_most_80_characters_long():
    with pytest.raises(InvalidFilter) as invalid:
        Filters.parse({"status": "s" * 500})
    assert invalid.value.value == "s" * 80


def test_a_refusal_is_translated_with_the_value_in_it():
    with pytest.raises(InvalidFilter) as invalid:
        Filters.parse({"kind": "question"})
    french = {"Unknown kind: “%(value)s”.": "Type inconnu : « %(value)s »."}
    assert invalid.value.text(lambda message: french[message]) == "Type inconnu : « question »."


# --- pages ---------------------------------------------------------------------------------------


@pytest.fixture
def awa(runtime) -> StaffUser:
    with transaction(runtime.database) as db:
        return rows.staff(db, "awa@ong.ml", "triage")


def add_cases(runtime, count: int, start: datetime = T0, step=timedelta(minutes=1), **fields) -> list[str]:
    """`count` complaints, one every `step` from `start`; their references, oldest first."""
    with transaction(runtime.database) as db:
        person = rows.person(db, runtime.vault)
        return [
            rows.case(db, person, f"Cas {n}", created_at=start + n * step, vault=runtime.vault, **fields).reference
            for n in range(count)
        ]


def read_page(runtime, user: StaffUser, filters=Filters(), before=None, limit=50, tz=UTC):
    with runtime.database() as db:
        page = feedback_page(db, db.get(StaffUser, user.id), filters, before=before, limit=limit, tz=tz)
        return [item.reference for item in page.items], page.next


def test_pages_are_newest_first_and_the_last_one_has_no_next(runtime, awa):
    references = add_cases(runtime, 7)
    newest_first = references[::-1]

    first, after_first = read_page(runtime, awa, limit=3)
    second, after_second = read_page(runtime, awa, before=after_first, limit=3)
    third, after_third = read_page(runtime, awa, before=after_second, limit=3)

    assert (first, second, third) == (newest_first[:3], newest_first[3:6], newest_first[6:])
    assert after_first and after_second and after_third is None


def test_a_page_exactly_full_at_the_end_has_no_next(runtime, awa):
    references = add_cases(runtime, 4)
    assert read_page(runtime, awa, limit=4) == (references[::-1], None)


def test_rows_that_arrive_while_someone_reads_are_neither_repeated_nor_make_rows_skipped(runtime, awa):
    references = add_cases(runtime, 6)
    first, cursor = read_page(runtime, awa, limit=2)
    seen = list(first)
    while cursor:
        add_cases(runtime, 2, start=T0 + timedelta(days=1, minutes=len(seen)))  # newer ones keep arriving
        page, cursor = read_page(runtime, awa, before=cursor, limit=2)
        seen += page
    assert seen == references[::-1]


def test_rows_made_in_the_same_instant_are_each_shown_once(runtime, awa):
    references = add_cases(runtime, 5, step=timedelta(0))
    seen, cursor = [], None
    for _ in range(3):
        page, cursor = read_page(runtime, awa, before=cursor, limit=2)
        seen += page
    assert cursor is None
    assert sorted(seen) == sorted(references) and len(set(seen)) == 5


def test_a_page_holds_at_least_one_and_at_most_200_rows(runtime, awa):
    add_cases(runtime, 201, step=timedelta(seconds=1))
    assert len(read_page(runtime, awa, limit=0)[0]) == 1
    page, cursor = read_page(runtime, awa, limit=500)
    assert len(page) == 200 and cursor is not None


def test_an_export_reads_every_page_in_order(runtime, awa):
    references = add_cases(runtime, 7)
    with runtime.database() as db:
        user = db.get(StaffUser, awa.id)
        assert [item.reference for item in each_feedback(db, user, Filters(), batch=3)] == references[::-1]


def test_a_page_of_triage_leaves_out_confidential_reports(runtime, awa):
    ordinary = add_cases(runtime, 2)
    add_cases(runtime, 2, start=T0 + timedelta(hours=1), kind="confidential")
    assert read_page(runtime, awa) == (ordinary[::-1], None)
    with transaction(runtime.database) as db:
        mariam = rows.staff(db, "mariam@ong.ml", "protection")
    assert len(read_page(runtime, mariam)[0]) == 4


@pytest.mark.parametrize(
    "cursor",
    [
        "not a cursor",
        "%%%",
        base64.urlsafe_b64encode(b"yesterday|12").decode(),
        base64.urlsafe_b64encode(b"2025-03-10T09:00:00|12").decode(),  # no time zone
        base64.urlsafe_b64encode(b"2025-03-10T09:00:00+00:00|0").decode(),
        base64.urlsafe_b64encode(b"2025-03-10T09:00:00+00:00|99999999999999999999").decode(),
        base64.urlsafe_b64encode(b"1900-03-10T09:00:00+00:00|12").decode(),
        base64.urlsafe_b64encode(b"\xff\xfe|12").decode(),
    ],
)
def test_a_broken_page_link_asks_to_start_again(cursor):
    with pytest.raises(InvalidFilter) as invalid:
        decode_cursor(cursor)
    assert invalid.value.field == "before"
    assert invalid.value.text() == "This page link is broken: start again from the first page."


def test_a_page_read_through_a_broken_link_is_refused_not_failed(runtime, awa):
    add_cases(runtime, 2)
    with pytest.raises(InvalidFilter) as invalid:
        read_page(runtime, awa, before="not a cursor")
    assert invalid.value.field == "before"


def test_a_page_link_names_a_position_in_any_time_zone():
    bamako_evening = datetime(2025, 3, 10, 21, 0, tzinfo=ZoneInfo("Africa/Bamako"))
    paris = bamako_evening.astimezone(ZoneInfo("Europe/Paris"))
    assert encode_cursor(paris, 12) == encode_cursor(bamako_evening, 12)
    assert decode_cursor(encode_cursor(paris, 12)) == (bamako_evening, 12)


# --- filters on pages ----------------------------------------------------------------------------


def test_each_filter_narrows_the_page(runtime, awa):
    with transaction(runtime.database) as db:
        someone = rows.person(db, runtime.vault)
        issa = rows.staff(db, "issa@ong.ml", "triage")
        made = {
            "plain": rows.case(db, someone, "Eau", created_at=T0),
            "need at Sénou": rows.case(db, someone, "Vivres", kind="need", site_slug="senou", created_at=T0),
            "in progress": rows.case(db, someone, "Toit", status="in_progress", created_at=T0),
            "health": rows.case(db, someone, "Soins", category="health", created_at=T0),
            "in Bambara by USSD": rows.case(db, someone, "Ji", language="bm", channel="ussd", created_at=T0),
            "Awa's": rows.case(db, someone, "Porte", assignee_id=awa.id, created_at=T0),
            "Issa's": rows.case(db, someone, "Clé", assignee_id=issa.id, created_at=T0),
        }
        names = {feedback.reference: name for name, feedback in made.items()}

    def shown(**params) -> set[str]:
        return {names[reference] for reference in read_page(runtime, awa, Filters.parse(params))[0]}

    assert shown(kind="need") == shown(site="senou") == {"need at Sénou"}
    assert shown(status="in_progress") == {"in progress"}
    assert shown(category="health") == {"health"}
    assert shown(language="bm") == shown(channel="ussd") == {"in Bambara by USSD"}
    assert shown(assignee="me") == {"Awa's"}
    assert shown(assignee=str(made["Issa's"].assignee_id)) == {"Issa's"}
    assert shown(assignee="none") == set(made) - {"Awa's", "Issa's"}
    assert shown(kind="need", site="niamana") == set()


def test_a_site_no_one_has_is_refused_when_the_page_is_read(runtime, awa):
    with pytest.raises(InvalidFilter) as invalid:
        read_page(runtime, awa, Filters.parse({"site": "atlantis"}))
    assert (invalid.value.field, invalid.value.text()) == ("site", "Unknown site: “atlantis”.")


def test_dates_are_days_where_the_staff_work_the_last_day_included(runtime, awa):
    tokyo = ZoneInfo("Asia/Tokyo")  # UTC+9: its 2 April starts at 15:00 UTC on 1 April
    with transaction(runtime.database) as db:
        someone = rows.person(db, runtime.vault)
        at = {
            "1 April, 14:59 UTC": datetime(2025, 4, 1, 14, 59, tzinfo=UTC),  # 1 April, 23:59 in Tokyo
            "1 April, 15:00 UTC": datetime(2025, 4, 1, 15, 0, tzinfo=UTC),  # 2 April, 00:00 in Tokyo
            "2 April, 14:59 UTC": datetime(2025, 4, 2, 14, 59, tzinfo=UTC),  # 2 April, 23:59 in Tokyo
            "2 April, 15:00 UTC": datetime(2025, 4, 2, 15, 0, tzinfo=UTC),  # 3 April in Tokyo
        }
        names = {rows.case(db, someone, name, created_at=when).reference: name for name, when in at.items()}

    def shown(tz, **params) -> list[str]:
        return [names[reference] for reference in read_page(runtime, awa, Filters.parse(params), tz=tz)[0]]

    assert shown(tokyo, date_from="2025-04-02", date_to="2025-04-02") == ["2 April, 14:59 UTC", "1 April, 15:00 UTC"]
    assert shown(UTC, date_from="2025-04-02", date_to="2025-04-02") == ["2 April, 15:00 UTC", "2 April, 14:59 UTC"]
    assert shown(tokyo, date_to="2025-04-01") == ["1 April, 14:59 UTC"]
    assert shown(tokyo, date_from="2025-04-03") == ["2 April, 15:00 UTC"]


# --- search --------------------------------------------------------------------------------------


@pytest.fixture
def searchable(runtime):
    """Complaints whose texts and references the searches below look for."""
    with transaction(runtime.database) as db:
        someone = rows.person(db, runtime.vault)
        found = {
            "K7MP3X": rows.case(db, someone, "Les latrines débordent", reference="K7MP3X", created_at=T0),
            "R4TW9N": rows.case(db, someone, "Pas de LATRINES au bloc C", reference="R4TW9N", created_at=T0),
            "H2CQ8Z": rows.case(db, someone, "Les waters sont bouchés", reference="H2CQ8Z", created_at=T0),
            "M9XF4K": rows.case(db, someone, "Il manque 50% des rations", reference="M9XF4K", created_at=T0),
            "T3NB7W": rows.case(db, someone, "Il manque 500 rations", reference="T3NB7W", created_at=T0),
            "Q8ZP2C": rows.case(
                db, someone, "On me menace", kind="confidential", vault=runtime.vault, reference="Q8ZP2C"
            ),
        }
    return found


def test_a_search_that_spells_a_reference_finds_that_case_alone(runtime, awa, searchable):
    for typed in ("K7MP3X", "k7mp3x", " k7m-p3x ", "K7 MP 3X"):
        assert read_page(runtime, awa, Filters.parse({"q": typed})) == (["K7MP3X"], None), typed


def test_a_reference_found_has_no_second_page(runtime, awa, searchable):
    _, cursor = read_page(runtime, awa, limit=1)
    assert read_page(runtime, awa, Filters.parse({"q": "k7mp3x"}), before=cursor) == ([], None)


def test_other_words_are_searched_in_the_texts_whatever_their_case(runtime, awa, searchable):
    assert sorted(read_page(runtime, awa, Filters.parse({"q": "latrines"}))[0]) == ["K7MP3X", "R4TW9N"]


def test_a_word_that_could_be_a_reference_but_is_none_is_searched_in_the_texts(runtime, awa, searchable):
    assert read_page(runtime, awa, Filters.parse({"q": "waters"}))[0] == ["H2CQ8Z"]


def test_signs_are_not_words_and_the_last_word_may_be_the_start_of_one(runtime, awa, searchable):
    assert sorted(read_page(runtime, awa, Filters.parse({"q": "50%"}))[0]) == ["M9XF4K", "T3NB7W"]  # 50, 500
    assert read_page(runtime, awa, Filters.parse({"q": "500"}))[0] == ["T3NB7W"]
    assert read_page(runtime, awa, Filters.parse({"q": "5_0"}))[0] == []
    assert read_page(runtime, awa, Filters.parse({"q": "%%% ?"})) == ([], None)  # no word: nothing, not everything


def test_the_reference_of_a_report_triage_may_not_see_finds_nothing(runtime, awa, searchable):
    assert read_page(runtime, awa, Filters.parse({"q": "Q8ZP2C"})) == ([], None)
    with transaction(runtime.database) as db:
        mariam = rows.staff(db, "mariam@ong.ml", "protection")
    assert read_page(runtime, mariam, Filters.parse({"q": "Q8ZP2C"}))[0] == ["Q8ZP2C"]


def test_a_reference_search_keeps_the_other_filters(runtime, awa, searchable):
    assert read_page(runtime, awa, Filters.parse({"q": "K7MP3X", "kind": "need"})) == ([], None)


# --- one case by its reference, its text, its author -------------------------------------------


def test_a_case_is_found_by_its_reference_as_people_type_it(runtime, awa, searchable):
    with runtime.database() as db:
        user = db.get(StaffUser, awa.id)
        assert feedback_by_reference(db, user, "k7m-p3x ").text == "Les latrines débordent"
        assert feedback_by_reference(db, user, "ZZZZZZ") is None
        assert feedback_by_reference(db, user, "") is None
        assert feedback_by_reference(db, user, "K7MP3X" * 3) is None


@pytest.mark.parametrize(("role", "sites"), [("triage", ()), ("triage", ("gao",)), ("organizer", ())])
def test_a_case_someone_may_not_see_is_not_found_the_same_as_one_that_does_not_exist(
    runtime, searchable, role, sites
):
    with transaction(runtime.database) as db:
        user = rows.staff(db, "someone@ong.ml", role, sites)
    with runtime.database() as db:
        user = db.get(StaffUser, user.id)
        assert feedback_by_reference(db, user, "Q8ZP2C") is None
        visible_to_them = feedback_by_reference(db, user, "K7MP3X")
    assert (visible_to_them is not None) == (role == "triage" and not sites)


def test_a_confidential_report_is_read_only_by_those_who_may_and_decrypted_for_them(runtime, searchable):
    with transaction(runtime.database) as db:
        users = {role: rows.staff(db, f"{role}@ong.ml", role) for role in ("admin", "protection", "triage")}
    vault = runtime.vault
    report, complaint = searchable["Q8ZP2C"], searchable["K7MP3X"]
    assert report.text is None and report.text_encrypted
    assert readable_text(report, users["protection"], vault) == "On me menace"
    assert readable_text(report, users["admin"], vault) == "On me menace"
    assert readable_text(report, users["triage"], vault) is None
    assert readable_text(complaint, users["triage"], vault) == "Les latrines débordent"


def test_a_text_encrypted_under_another_key_reads_as_nothing_rather_than_failing(runtime, searchable):
    with transaction(runtime.database) as db:
        mariam = rows.staff(db, "mariam@ong.ml", "protection")
    report = searchable["Q8ZP2C"]
    report.text_encrypted = Vault("an older key").encrypt("On me menace")
    assert readable_text(report, mariam, runtime.vault) is None


def test_the_author_of_a_case_is_named_by_a_pseudonym_the_same_for_all_their_cases(runtime):
    with transaction(runtime.database) as db:
        first, second = rows.person(db, runtime.vault), rows.person(db, runtime.vault, "+22370000002")
        cases = [rows.case(db, first), rows.case(db, first), rows.case(db, second)]
        names = [pseudonym(feedback) for feedback in cases]
    assert names[0] == names[1] != names[2]
    assert names[0] == first.phone_hash[:12] and len(names[0]) == 12
    assert "70000001" not in names[0]
    assert pseudonym(Feedback(reference="X", kind="complaint")) == ""


# --- sorts, counts, words, referrals -------------------------------------------------------------


def read_all(runtime, user: StaffUser, filters: Filters, limit: int = 2) -> list[str]:
    """Every page, each read through the cursor of the one before, in one list."""
    seen, cursor = [], None
    while True:
        page, cursor = read_page(runtime, user, filters, before=cursor, limit=limit)
        seen += page
        if cursor is None:
            return seen


def test_oldest_first_and_due_first_read_page_after_page(runtime, awa):
    with transaction(runtime.database) as db:
        someone = rows.person(db, runtime.vault)
        due = {name: T0 + timedelta(hours=hours) for name, hours in (("soon", 1), ("later", 5), ("overdue", -3))}
        made = {name: rows.case(db, someone, name, created_at=T0 + timedelta(minutes=n), due_at=when).reference
                for n, (name, when) in enumerate(due.items())}
        # Done cases have no due date: after the others, newest first; two share the same due time.
        made |= {name: rows.case(db, someone, name, created_at=T0 + timedelta(minutes=n)).reference
                 for n, name in ((10, "done early"), (11, "done late"))}
        yesterday = T0 - timedelta(days=1)
        made["also later"] = rows.case(db, someone, "x", created_at=yesterday, due_at=due["later"]).reference
    name = {reference: key for key, reference in made.items()}

    oldest = [name[r] for r in read_all(runtime, awa, Filters(sort="oldest"))]
    by_due = [name[r] for r in read_all(runtime, awa, Filters(sort="due"))]

    assert oldest == ["also later", "soon", "later", "overdue", "done early", "done late"]
    assert by_due[:2] == ["overdue", "soon"] and set(by_due[2:4]) == {"later", "also later"}
    assert by_due[4:] == ["done late", "done early"]
    assert [name[r] for r in read_all(runtime, awa, Filters(sort="due"), limit=1)] == by_due


@pytest.mark.parametrize("sort", ["oldest", "due"])
def test_a_cursor_is_only_good_for_the_order_it_was_made_in(runtime, awa, sort):
    add_cases(runtime, 3)
    _, newest_cursor = read_page(runtime, awa, limit=1)
    _, other_cursor = read_page(runtime, awa, Filters(sort=sort), limit=1)
    for cursor, filters in ((newest_cursor, Filters(sort=sort)), (other_cursor, Filters())):
        with pytest.raises(InvalidFilter) as invalid:
            read_page(runtime, awa, filters, before=cursor)
        assert invalid.value.text() == "This page link is broken: start again from the first page."
    assert decode_cursor(encode_cursor(None, 7, "due"), "due") == (None, 7)
    for broken in ("due||0", "due|yesterday|3", "oldest||3", "due|2025-03-10T09:00:00+00:00|3|4"):
        with pytest.raises(InvalidFilter):
            decode_cursor(base64.urlsafe_b64encode(broken.encode()).decode(), broken.split("|")[0])


def count(runtime, user: StaffUser, cap: int = 10_000, **params) -> Count:
    with runtime.database() as db:
        return count_feedback(db, db.get(StaffUser, user.id), Filters.parse(params), cap=cap)


def test_the_count_says_how_many_up_to_a_cap_and_only_what_the_user_may_see(runtime, awa):
    add_cases(runtime, 4)
    add_cases(runtime, 2, start=T0 + timedelta(hours=1), kind="confidential")
    with transaction(runtime.database) as db:
        mariam = rows.staff(db, "mariam@ong.ml", "protection")
        limited = rows.staff(db, "issa@ong.ml", "triage", ("gao",))
    assert count(runtime, awa) == Count(4, False)
    assert count(runtime, mariam) == Count(6, False)
    assert count(runtime, limited) == Count(0, False)
    assert count(runtime, mariam, cap=5) == Count(5, True)  # "more than 5"
    assert count(runtime, mariam, cap=6) == Count(6, False)
    assert count(runtime, awa, kind="confidential") == Count(0, False)


def test_words_are_found_whatever_the_accents_and_bambara_letters(runtime, awa):
    with transaction(runtime.database) as db:
        someone = rows.person(db, runtime.vault)
        made = {
            "école": rows.case(db, someone, "L'École du site est fermée", created_at=T0).reference,
            "ecole": rows.case(db, someone, "pas d'ecole pour les enfants", created_at=T0).reference,
            "denmisɛnw": rows.case(db, someone, "Denmisɛnw tɛ kalan na", created_at=T0).reference,
            "secret": rows.case(db, someone, "École et menace", kind="confidential", vault=runtime.vault).reference,
        }
        mariam = rows.staff(db, "mariam@ong.ml", "protection")

    def found(q, user=awa) -> set[str]:
        return set(read_page(runtime, user, Filters.parse({"q": q}))[0])

    assert found("ecole") == found("ÉCOLE") == found("école") == {made["école"], made["ecole"]}
    assert found("denmisenw") == found("denmisɛnw") == found("DENMISƐNW") == {made["denmisɛnw"]}
    assert found("denmis") == found("tɛ kal") == {made["denmisɛnw"]}  # the last word may be the start of one
    assert found("ecole fermee") == {made["école"]} and found("ecole absente") == set()
    assert found("cole") == set()  # words, not any part of them
    # A confidential report's text is never indexed: no word finds it, whoever searches, nor is it counted.
    assert found("menace", mariam) == set() and made["secret"] not in found("ecole", mariam)
    assert count(runtime, awa, q="ecole") == count(runtime, mariam, q="ecole") == Count(2, False)


def refer(db, feedback_id: int, partner: Partner, *statuses: str) -> None:
    for n, status in enumerate(statuses):
        db.add(Referral(feedback_id=feedback_id, partner_id=partner.id, status=status,
                        created_at=T0 + timedelta(days=n)))
    db.flush()


def test_the_referral_filter_reads_each_cases_latest_referral(runtime, awa):
    with transaction(runtime.database) as db:
        someone = rows.person(db, runtime.vault)
        partner = Partner(name="Croix-Rouge malienne", services=["health"], contact="")
        db.add(partner)
        db.flush()
        cases = {name: rows.case(db, someone, name, created_at=T0) for name in
                 ("accepted", "declined then accepted", "declined", "done", "never", "secret")}
        cases["secret"].kind, cases["secret"].confidential = "confidential", True
        refer(db, cases["accepted"].id, partner, "sent", "accepted")
        refer(db, cases["declined then accepted"].id, partner, "declined", "accepted")
        refer(db, cases["declined"].id, partner, "accepted", "declined")
        refer(db, cases["done"].id, partner, "done")
        refer(db, cases["secret"].id, partner, "accepted")
        names = {feedback.reference: name for name, feedback in cases.items()}
        mariam = rows.staff(db, "mariam@ong.ml", "protection")

    def shown(user=awa, **params) -> set[str]:
        return {names[reference] for reference in read_page(runtime, user, Filters.parse(params))[0]}

    assert shown(referral="accepted") == {"accepted", "declined then accepted"}
    assert shown(referral="declined") == {"declined"}
    assert shown(referral="done") == {"done"} and shown(referral="sent") == set()
    assert shown(referral="any") == {"accepted", "declined then accepted", "declined", "done"}
    assert shown(mariam, referral="accepted") == {"accepted", "declined then accepted", "secret"}
    assert count(runtime, awa, referral="any") == Count(4, False)
