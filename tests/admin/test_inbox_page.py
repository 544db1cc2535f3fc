"""The triage inbox and its CSV export: newest first, filtered, searched, paged by keyset, and only
what each staff member may see; phone numbers masked in the list and absent from the export."""

import csv
import io
import re
from datetime import UTC, date, datetime, timedelta
from itertools import count

import pytest
from sqlalchemy import select

from bot.db import transaction
from bot.models import Contact, Feedback, Site, StaffUser, utcnow
from bot.references import ALPHABET
from tests.admin_support import feedback_by_text, log_in, make_staff, submit_complaint

# Bonjour, French, accept, 4 confidential report, 1 violence, 0 nothing more, 3 do not call back.
CONFIDENTIAL = ("Bonjour", "1", "1", "4", "1", "0", "3")
CASE_LINK = re.compile(r'href="/admin/cases/([A-Z0-9]+)"')
OLDER_LINK = re.compile(r'<a href="(/admin/inbox\?[^"]+)" rel="next">')

_numbers = count(1)
_EPOCH = utcnow() - timedelta(days=7)


# --- helpers: staff, rows -----------------------------------------------------------------


def sign_in(client, runtime, email: str, role: str, sites: tuple[str, ...] = ()) -> int:
    """A staff member, and `client` logged in as them (logging in replaces any previous session),
    reading the interface in English."""
    with runtime.database() as db:
        existing = db.scalar(select(StaffUser.id).where(StaffUser.email == email))
    staff_id = existing or make_staff(runtime, email, role, sites)
    assert log_in(client, email).status_code == 303
    client.cookies.set("lang", "en")  # the texts these tests read are the English source texts
    return staff_id


def add_contact(runtime, number: str) -> int:
    with transaction(runtime.database) as db:
        contact = Contact(
            phone_hash=runtime.vault.lookup_hash(number),
            phone_encrypted=runtime.vault.encrypt(number),
            language="fr",
            consent="accepted",
        )
        db.add(contact)
        db.flush()
        return contact.id


def reference_for(index: int) -> str:
    """Distinct, valid references: 'T' then `index` written in the reference alphabet."""
    digits = []
    for _ in range(5):
        index, digit = divmod(index, len(ALPHABET))
        digits.append(ALPHABET[digit])
    return "T" + "".join(reversed(digits))


def add_feedback(
    runtime, contact_id: int, n: int = 1, start: datetime | None = None, step=timedelta(minutes=1), **fields
):
    """`n` submissions inserted directly, each `step` after the one before, from `start`; without
    `start`, one minute after every item inserted before (in the last few days). Returns their
    references, oldest first; references sort in the order they were made."""
    values = {"kind": "complaint", "category": "water_sanitation", "language": "fr", "channel": "sms", "status": "new"}
    values.update(fields)
    site_slug = values.pop("site", None)
    references = []
    with transaction(runtime.database) as db:
        site_id = db.scalar(select(Site.id).where(Site.slug == site_slug)) if site_slug else None
        for i in range(n):
            number = next(_numbers)
            reference = reference_for(number)
            created_at = start + i * step if start else _EPOCH + timedelta(minutes=number)
            row = {"text": f"Texte {reference}", **values}
            db.add(Feedback(reference=reference, contact_id=contact_id, site_id=site_id, created_at=created_at, **row))
            references.append(reference)
    return references


def listed(html: str) -> list[str]:
    return CASE_LINK.findall(html)


def inbox(client, **params) -> list[str]:
    response = client.get("/admin/inbox", params=params)
    assert response.status_code == 200, response.text
    return listed(response.text)


def export(client, **params) -> list[dict]:
    response = client.get("/admin/export.csv", params=params)
    assert response.status_code == 200, response.text
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


def file_confidential_report(make_phone, runtime, number: str = "+22370000099", details: str = "0") -> Feedback:
    make_phone(number).converse(*CONFIDENTIAL[:5], details, CONFIDENTIAL[6])
    with runtime.database() as db:
        return db.scalar(select(Feedback).where(Feedback.confidential.is_(True)))


@pytest.fixture
def contact(runtime):
    return add_contact(runtime, "+22376543201")


# --- who may open it ------------------------------------------------------------------------


def test_an_organizer_is_refused_the_inbox_and_the_export(client, runtime):
    sign_in(client, runtime, "moussa@ong.ml", "organizer")
    assert client.get("/admin/inbox").status_code == 403
    assert client.get("/admin/export.csv").status_code == 403


def test_the_export_needs_a_login(client):
    response = client.get("/admin/export.csv", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/admin/login")


# --- the list -------------------------------------------------------------------------------


def test_submissions_by_sms_are_listed_newest_first_with_masked_phones(client, runtime, make_phone):
    for number, text in (("+22370000001", "Les latrines débordent"), ("+22370000002", "Plus d'eau au forage"),
                         ("+22370000003", "Le toit fuit")):
        submit_complaint(make_phone(number), text)
    sign_in(client, runtime, "awa@ong.ml", "triage")

    page = client.get("/admin/inbox")

    assert page.status_code == 200
    texts = [feedback_by_text(runtime, t) for t in ("Le toit fuit", "Plus d'eau au forage", "Les latrines débordent")]
    assert listed(page.text) == [f.reference for f in texts]  # newest first
    assert "+223 •• •• •• 01" in page.text and "+223 •• •• •• 03" in page.text
    for number in ("+22370000001", "22370000001", "70000001", "70 00 00 01"):
        assert number not in page.text
    assert "Plus d&#39;eau au forage" in page.text  # the excerpt, escaped
    assert 'scope="col"' in page.text and "<caption" in page.text


def test_every_filter_control_has_a_label(client, runtime, contact):
    add_feedback(runtime, contact)
    sign_in(client, runtime, "awa@ong.ml", "triage")
    html = client.get("/admin/inbox").text
    controls = re.findall(r'<(?:select|input) id="([^"]+)"', html)
    assert {"f-q", "f-status", "f-kind", "f-category", "f-site", "f-language", "f-channel", "f-assignee",
            "f-date_from", "f-date_to"} <= set(controls)
    for control in controls:
        assert f'<label for="{control}">' in html
    assert 'method="get"' in html and 'role="search"' in html


def test_an_empty_inbox_says_so(client, runtime):
    sign_in(client, runtime, "awa@ong.ml", "triage")
    page = client.get("/admin/inbox")
    assert page.status_code == 200 and "The inbox is empty" in page.text
    filtered = client.get("/admin/inbox", params={"status": "closed"})
    assert "Nothing matches these filters." in filtered.text


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"status": "in_progress"}, {"in_progress"}),
        ({"kind": "need"}, {"need"}),
        ({"category": "health"}, {"health"}),
        ({"site": "gao"}, {"gao"}),
        ({"language": "bm"}, {"bm"}),
        ({"channel": "whatsapp"}, {"whatsapp"}),
        ({"kind": "need", "site": "gao"}, set()),
    ],
)
def test_each_filter_narrows_the_list(client, runtime, contact, params, expected):
    tagged = {
        "plain": add_feedback(runtime, contact, 2, site="niamana"),
        "in_progress": add_feedback(runtime, contact, 2, status="in_progress", site="niamana"),
        "need": add_feedback(runtime, contact, 2, kind="need", site="niamana"),
        "health": add_feedback(runtime, contact, 1, category="health", site="niamana"),
        "gao": add_feedback(runtime, contact, 3, site="gao"),
        "bm": add_feedback(runtime, contact, 1, language="bm", site="niamana"),
        "whatsapp": add_feedback(runtime, contact, 2, channel="whatsapp", site="niamana"),
    }
    sign_in(client, runtime, "awa@ong.ml", "triage")
    wanted = sorted((r for name in expected for r in tagged[name]), reverse=True)  # references grow with time
    assert inbox(client, **params) == wanted
    assert sorted((row["reference"] for row in export(client, **params)), reverse=True) == wanted


def test_assignee_filter_none_me_and_someone(client, runtime, contact):
    me = sign_in(client, runtime, "awa@ong.ml", "triage")
    other = make_staff(runtime, "binta@ong.ml", "triage")
    mine = add_feedback(runtime, contact, 2, assignee_id=me)
    theirs = add_feedback(runtime, contact, 1, assignee_id=other)
    nobody = add_feedback(runtime, contact, 1)
    assert inbox(client, assignee="me") == mine[::-1]
    assert inbox(client, assignee=str(other)) == theirs
    assert inbox(client, assignee="none") == nobody
    assert "binta@ong.ml" in client.get("/admin/inbox").text  # shown in the list


def test_date_filters_include_both_days(client, runtime, contact):
    day = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)  # Bamako is on UTC
    before = add_feedback(runtime, contact, 1, start=day - timedelta(days=1))
    first = add_feedback(runtime, contact, 1, start=day.replace(hour=0, minute=0))
    last = add_feedback(runtime, contact, 1, start=day + timedelta(days=1, hours=11, minutes=59))
    after = add_feedback(runtime, contact, 1, start=day + timedelta(days=2))
    sign_in(client, runtime, "awa@ong.ml", "triage")
    assert inbox(client, date_from="2026-03-10", date_to="2026-03-11") == last + first
    assert inbox(client, date_from="2026-03-12") == after
    assert inbox(client, date_to="2026-03-09") == before


def test_text_search_finds_words_whatever_their_case_accents_and_bambara_letters(client, runtime, make_phone):
    submit_complaint(make_phone("+22370000001"), "Les latrines DÉBORDENT au bloc C")
    submit_complaint(make_phone("+22370000002"), "Pas d'école pour les denmisɛnw")
    submit_complaint(make_phone("+22370000003"), "100% des bidons percés")
    sign_in(client, runtime, "awa@ong.ml", "triage")
    latrines = feedback_by_text(runtime, "Les latrines DÉBORDENT au bloc C").reference
    school = feedback_by_text(runtime, "Pas d'école pour les denmisɛnw").reference
    assert inbox(client, q="latrines") == inbox(client, q="debordent") == inbox(client, q="BLOC c") == [latrines]
    assert inbox(client, q="ecole") == inbox(client, q="denmisenw") == inbox(client, q="Denmisɛnw") == [school]
    assert inbox(client, q="percés 100%") != [] and inbox(client, q="0%_") == []  # signs are not searched
    assert inbox(client, q="introuvable") == []


def test_a_reference_finds_its_item_exactly_in_any_case(client, runtime, make_phone):
    submit_complaint(make_phone("+22370000001"), "Les latrines débordent")
    submit_complaint(make_phone("+22370000002"), "Pas de savon")
    reference = feedback_by_text(runtime, "Pas de savon").reference
    sign_in(client, runtime, "awa@ong.ml", "triage")
    assert inbox(client, q=reference) == [reference]
    assert inbox(client, q=f" {reference.lower()} ") == [reference]
    assert inbox(client, q=reference[:4]) == []  # a reference is matched whole, not in part


def test_keyset_paging_shows_every_item_exactly_once(client, runtime, contact):
    # 120 items; runs of three share one timestamp, so the order also rests on the id.
    start = utcnow() - timedelta(days=1)
    references = []
    for minute in range(40):
        references += add_feedback(runtime, contact, 3, start=start + timedelta(minutes=minute), step=timedelta(0))
    sign_in(client, runtime, "awa@ong.ml", "triage")

    seen, url, pages = [], "/admin/inbox", 0
    while url:
        page = client.get(url)
        assert page.status_code == 200
        seen += listed(page.text)
        pages += 1
        older = OLDER_LINK.search(page.text)
        url = older.group(1).replace("&amp;", "&") if older else None

    assert pages == 3
    assert len(seen) == len(set(seen)) == 120
    assert seen == references[::-1]


def test_protection_pages_through_confidential_and_other_items_in_one_order(client, runtime, contact):
    references = []
    for run in range(12):  # runs of 9 plain items and 1 confidential report, one after another
        references += add_feedback(runtime, contact, 9)
        references += add_feedback(
            runtime, contact, 1, kind="confidential", category="threat", confidential=True, text=None,
            text_encrypted=runtime.vault.encrypt(f"Rapport {run}"),
        )
    sign_in(client, runtime, "fanta@ong.ml", "protection")
    seen, url = [], "/admin/inbox"
    while url:
        page = client.get(url)
        seen += listed(page.text)
        older = OLDER_LINK.search(page.text)
        url = older.group(1).replace("&amp;", "&") if older else None
    assert seen == references[::-1]


def test_paging_keeps_the_filters(client, runtime, contact):
    wanted = add_feedback(runtime, contact, 60, status="referred")
    add_feedback(runtime, contact, 60)
    sign_in(client, runtime, "awa@ong.ml", "triage")
    first = client.get("/admin/inbox", params={"status": "referred"})
    older = OLDER_LINK.search(first.text).group(1).replace("&amp;", "&")
    assert "status=referred" in older
    second = client.get(older)
    assert listed(first.text) + listed(second.text) == wanted[::-1]
    assert OLDER_LINK.search(second.text) is None
    assert "Back to the first page" in second.text


def test_the_page_stays_small_with_fifty_long_items(client, runtime, contact):
    add_feedback(
        runtime, contact, 60, text="Le forage du bloc C est en panne depuis trois jours. " * 10 + "Le chef de bloc"
    )
    sign_in(client, runtime, "awa@ong.ml", "admin")
    page = client.get("/admin/inbox")
    assert len(listed(page.text)) == 50
    assert len(page.content) < 100_000
    assert page.text.count("<time ") == 50 and "chef de bloc" not in page.text  # a short excerpt, not the text


# --- who sees what --------------------------------------------------------------------------


def test_a_confidential_report_is_only_for_protection(client, runtime, make_phone):
    submit_complaint(make_phone("+22370000001"), "Les latrines débordent")
    report = file_confidential_report(make_phone, runtime, details="Mon voisin me menace")
    assert report is not None and report.reference

    sign_in(client, runtime, "awa@ong.ml", "triage")
    assert report.reference not in inbox(client)
    assert inbox(client, q=report.reference) == []
    assert inbox(client, kind="confidential") == []
    assert report.reference not in [row["reference"] for row in export(client)]
    assert "menace" not in client.get("/admin/export.csv").text

    sign_in(client, runtime, "fanta@ong.ml", "protection")
    page = client.get("/admin/inbox")
    assert report.reference in listed(page.text)
    assert 'class="badge confidential"' in page.text
    assert "menace" not in page.text  # never its text in a list
    assert inbox(client, q=report.reference.lower()) == [report.reference]
    (row,) = [row for row in export(client) if row["reference"] == report.reference]
    assert row["text"] == "Mon voisin me menace" and row["kind"] == "confidential"


def test_a_report_filed_with_the_usual_answers_is_hidden_from_triage(client, runtime, phone):
    phone.converse(*CONFIDENTIAL)
    with runtime.database() as db:
        report = db.scalar(select(Feedback))
    assert report.confidential
    sign_in(client, runtime, "awa@ong.ml", "triage")
    assert inbox(client) == [] and export(client) == []
    sign_in(client, runtime, "fanta@ong.ml", "protection")
    assert inbox(client) == [report.reference]


def test_triage_limited_to_a_site_sees_only_that_site(client, runtime, contact):
    niamana = add_feedback(runtime, contact, 3, site="niamana")
    add_feedback(runtime, contact, 2, site="gao")
    add_feedback(runtime, contact, 1)  # no site
    sign_in(client, runtime, "awa@ong.ml", "triage", sites=("niamana",))
    assert inbox(client) == niamana[::-1]
    assert inbox(client, site="gao") == []
    assert [row["reference"] for row in export(client)] == niamana[::-1]
    page = client.get("/admin/inbox").text
    assert '<option value="niamana"' in page and '<option value="gao"' not in page


# --- the export -----------------------------------------------------------------------------


def test_the_export_has_its_columns_a_pseudonym_and_no_phone_number(client, runtime, make_phone):
    submit_complaint(make_phone("+22370000001"), "Les latrines débordent")
    submit_complaint(make_phone("+22370000002"), "=HYPERLINK(\"http://evil\")")
    staff = sign_in(client, runtime, "awa@ong.ml", "triage")
    with transaction(runtime.database) as db:
        feedback = db.scalar(select(Feedback).where(Feedback.text == "Les latrines débordent"))
        feedback.tags, feedback.assignee_id, feedback.status = ["urgent", "eau"], staff, "acknowledged"
        phone_hash = feedback.contact.phone_hash

    response = client.get("/admin/export.csv")

    assert response.headers["content-type"].startswith("text/csv")
    disposition = response.headers["content-disposition"]
    assert disposition.startswith("attachment;") and f"baro-feedback-{date.today().isoformat()}.csv" in disposition
    body = response.content.decode("utf-8-sig")
    header = next(csv.reader(io.StringIO(body)))
    assert header == ["reference", "created_at", "kind", "category", "site", "language", "channel", "status",
                      "assignee", "tags", "text", "contact", "outcome", "first_response_hours", "resolved_at",
                      "referral_partner", "referral_status", "referred_at", "due_at", "overdue"]
    rows = list(csv.DictReader(io.StringIO(body)))
    assert len(rows) == 2
    latrines = next(row for row in rows if row["text"] == "Les latrines débordent")
    assert latrines["reference"] == feedback.reference
    assert latrines["contact"] == phone_hash[:12] and re.fullmatch(r"[0-9a-f]{12}", latrines["contact"])
    assert latrines["assignee"] == "awa@ong.ml" and latrines["tags"] == "urgent;eau"
    assert latrines["status"] == "acknowledged" and latrines["site"] == "niamana" and latrines["kind"] == "complaint"
    assert datetime.fromisoformat(latrines["created_at"]).tzinfo is not None
    # Text people sent cannot become a spreadsheet formula.
    assert next(row for row in rows if row is not latrines)["text"].startswith("'=")
    for number in ("+22370000001", "22370000001", "70000001", "70000002"):
        assert number not in body


def test_the_same_person_has_the_same_pseudonym(client, runtime, contact):
    first, second = add_feedback(runtime, contact, 2)
    other = add_contact(runtime, "+22376543202")
    (third,) = add_feedback(runtime, other, 1)
    sign_in(client, runtime, "awa@ong.ml", "triage")
    pseudonyms = {row["reference"]: row["contact"] for row in export(client)}
    assert pseudonyms[first] == pseudonyms[second] != pseudonyms[third]


def test_the_export_streams_more_than_one_batch(client, runtime, contact):
    references = add_feedback(runtime, contact, 450)
    sign_in(client, runtime, "awa@ong.ml", "triage")
    assert [row["reference"] for row in export(client)] == references[::-1]


# --- bad input ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "params",
    [
        {"status": "bogus"},
        {"kind": "letter"},
        {"channel": "fax"},
        {"site": "atlantis"},
        {"category": "<script>"},
        {"language": "français"},
        {"assignee": "someone"},
        {"date_from": "2026-13-01"},
        {"date_from": "2026-03-10", "date_to": "2026-03-01"},
        {"date_to": "9999-12-31"},
        {"q": "latrines\x00"},
        {"before": "not-a-cursor"},
        {"before": "bm90IGEgY3Vyc29y"},
        {"q": "x" * 201},
        {"sort": "random"},
        {"referral": "maybe"},
        {"sort": "due", "before": "MjAyNS0wMy0xMFQwOTowMDowMCswMDowMHwxMg"},  # a newest-first cursor
    ],
)
def test_an_invalid_filter_is_a_clear_400(client, runtime, params):
    sign_in(client, runtime, "awa@ong.ml", "triage")
    page = client.get("/admin/inbox", params=params)
    assert page.status_code == 400
    assert 'role="alert"' in page.text and "<script>" not in page.text
    if "before" not in params:  # the export has no pages
        assert client.get("/admin/export.csv", params=params).status_code == 400


# --- count, orders, names, due dates, referrals ---------------------------------------------


def test_the_page_says_how_many_match_and_names_languages_and_unassigned_cases(client, runtime, contact):
    add_feedback(runtime, contact, 3, language="bm")
    add_feedback(runtime, contact, 1)
    sign_in(client, runtime, "awa@ong.ml", "triage")
    html = client.get("/admin/inbox").text
    assert '<strong role="status" id="count">4 results</strong>' in html
    assert "<td>Bamanankan</td>" in html and "<td>Français</td>" in html and "<td>bm</td>" not in html
    assert '<span class="muted">not assigned</span>' in html and "Nobody" not in html
    assert '<option value="none">Not assigned</option>' in html
    assert '<strong role="status" id="count">1 result</strong>' in client.get("/admin/inbox?language=fr").text


def test_a_count_past_the_cap_says_more_than(client, runtime, contact, monkeypatch):
    from bot.cases import queries

    monkeypatch.setattr(queries, "COUNT_CAP", 3)  # as if more than 10,000 had come in
    add_feedback(runtime, contact, 5)
    sign_in(client, runtime, "awa@ong.ml", "triage")
    assert "More than 3 results" in client.get("/admin/inbox").text


def test_sort_links_keep_the_filters_and_each_order_pages_on(client, runtime, contact):
    start = utcnow() - timedelta(days=2)
    references = add_feedback(runtime, contact, 60, start=start, status="acknowledged")
    with transaction(runtime.database) as db:  # the oldest is the most overdue, the newest has no due date
        for n, reference in enumerate(references[:-1]):
            db.scalar(select(Feedback).where(Feedback.reference == reference)).due_at = start + timedelta(hours=n)
    sign_in(client, runtime, "awa@ong.ml", "triage")

    html = client.get("/admin/inbox", params={"status": "acknowledged"}).text
    links = dict(re.findall(r'<a href="(/admin/inbox\?[^"]*)" aria-describedby="sort-label"[^>]*>([^<]+)</a>', html))
    assert {text: url.replace("&amp;", "&") for url, text in links.items()} == {
        "Newest first": "/admin/inbox?status=acknowledged",
        "Oldest first": "/admin/inbox?status=acknowledged&sort=oldest",
        "Due first": "/admin/inbox?status=acknowledged&sort=due",
    }
    assert 'aria-current="true">Newest first</a>' in html

    def every_page(url: str) -> list[str]:
        seen = []
        while url:
            page = client.get(url)
            assert page.status_code == 200
            seen += listed(page.text)
            older = OLDER_LINK.search(page.text)
            url = older.group(1).replace("&amp;", "&") if older else None
        return seen

    assert every_page("/admin/inbox?status=acknowledged&sort=oldest") == references
    assert every_page("/admin/inbox?status=acknowledged&sort=due") == references  # undated last
    due_page = client.get("/admin/inbox?sort=due").text
    assert 'name="sort" value="due"' in due_page  # the search form keeps the order
    assert "overdue by" in due_page and '<strong class="badge overdue">' in due_page


def test_a_referred_case_shows_its_partner_and_the_referral_filter_finds_it(client, runtime, contact):
    from bot.models import Partner, Referral

    referred, plain = add_feedback(runtime, contact, 2, status="referred")
    with transaction(runtime.database) as db:
        partner = Partner(name="Croix-Rouge malienne", services=["health"], contact="")
        db.add(partner)
        db.flush()
        case_id = db.scalar(select(Feedback.id).where(Feedback.reference == referred))
        db.add(Referral(feedback_id=case_id, partner_id=partner.id, status="accepted"))
    sign_in(client, runtime, "awa@ong.ml", "triage")
    html = client.get("/admin/inbox").text
    assert html.count("Croix-Rouge malienne") == 1 and "Accepted by the partner" in html
    assert inbox(client, referral="accepted") == inbox(client, referral="any") == [referred]
    assert inbox(client, referral="declined") == [] and plain not in inbox(client, referral="any")
    assert "<details class=\"fold\" open>" in client.get("/admin/inbox?referral=any").text  # a filter is set: unfolded
    assert "<details class=\"fold\">" in client.get("/admin/inbox?q=eau").text  # words alone: folded
