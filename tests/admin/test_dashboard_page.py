"""The dashboard: counts through the access rules, charts without JavaScript, open cases, medians, deadlines."""

import re
from datetime import timedelta
from html.parser import HTMLParser

import pytest
from sqlalchemy import insert, select, update

from bot.db import transaction
from bot.models import Contact, Feedback, Site, utcnow
from tests.admin_support import log_in, make_staff, submit_complaint

CONFIDENTIAL = ("Bonjour", "1", "1", "4", "1", "0", "3")  # violence, nothing more said, no call back


def this_week() -> str:
    year, week, _ = utcnow().isocalendar()  # Bamako is on UTC all year
    return f"{year}-W{week:02d}"


class Tables(HTMLParser):
    """Every <table id=...> of a page: its header cells, and its rows keyed by data-week/data-bucket or first cell."""

    def __init__(self, html: str):
        super().__init__()
        self.tables: dict[str, dict] = {}
        self._table = self._row = self._cell = None
        self._row_key = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table" and "id" in attrs:
            self._table = self.tables.setdefault(attrs["id"], {"header": [], "rows": {}})
        elif self._table is not None and tag == "tr":
            self._row, self._row_key = [], attrs.get("data-week") or attrs.get("data-bucket")
        elif self._row is not None and tag in ("td", "th"):
            self._cell = []

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            if not self._table["header"]:
                self._table["header"] = self._row
            else:
                self._table["rows"][self._row_key or self._row[0]] = self._row
            self._row = None
        elif tag == "table":
            self._table = None

    def row(self, table: str, key: str) -> dict[str, int]:
        """One row as {column header: count}."""
        header, cells = self.tables[table]["header"], self.tables[table]["rows"][key]
        return {name: int(value) for name, value in zip(header[1:], cells[1:], strict=True)}


def dashboard(client, email: str, lang: str = "en"):
    """The page as `email` sees it; in English by default, the source texts these tests read."""
    client.cookies.clear()
    client.cookies.set("lang", lang)
    assert log_in(client, email).status_code == 303
    response = client.get("/admin/dashboard")
    assert response.status_code == 200, response.text
    return response.text


def feedback_ids(runtime, **where) -> list[int]:
    with runtime.database() as db:
        return list(db.scalars(select(Feedback.id).filter_by(**where).order_by(Feedback.id)))


def set_rows(runtime, ids, **values) -> None:
    with transaction(runtime.database) as db:
        db.execute(update(Feedback).where(Feedback.id.in_(ids)).values(**values))


@pytest.fixture
def staff(runtime):
    make_staff(runtime, "awa@ong.ml", "triage")
    make_staff(runtime, "fanta@ong.ml", "protection")
    make_staff(runtime, "moussa@ong.ml", "admin")
    make_staff(runtime, "ibrahim@ong.ml", "organizer")


def test_the_dashboard_needs_a_login_and_a_desk_role(client, staff):
    response = client.get("/admin/dashboard", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/admin/login?next=/admin/dashboard"
    log_in(client, "ibrahim@ong.ml")
    assert client.get("/admin/dashboard").status_code == 403


def test_counts_per_kind_category_and_site_leave_confidential_reports_to_those_who_may_see_them(
    client, make_phone, staff
):
    submit_complaint(make_phone("+22370000011"), site="1", category="2")  # Niamana, water and sanitation
    submit_complaint(make_phone("+22370000012"), site="2", category="2")  # Sogoniko
    make_phone("+22370000013").converse("Bonjour", "1", "1", "2", "1", "1", "Nous n'avons plus de bâches")  # a need
    make_phone("+22370000014").converse(*CONFIDENTIAL)
    week = this_week()

    triage = Tables(dashboard(client, "awa@ong.ml"))
    assert triage.row("table-kind", week) == {"Complaints": 2, "Needs": 1, "Total": 3}
    assert triage.row("table-category", week) == {"Shelter": 1, "Water and sanitation": 2, "Total": 3}
    assert triage.row("table-site", week) == {"Niamana": 2, "Sogoniko": 1, "Total": 3}
    assert triage.row("table-kind", "Total") == {"Complaints": 2, "Needs": 1, "Total": 3}

    protection = Tables(dashboard(client, "fanta@ong.ml"))
    assert protection.row("table-kind", week) == {"Complaints": 2, "Needs": 1, "Confidential reports": 1, "Total": 4}
    assert protection.row("table-category", week)["Violence"] == 1
    assert protection.row("table-site", week) == {"Niamana": 2, "Sogoniko": 1, "No site": 1, "Total": 4}
    assert Tables(dashboard(client, "moussa@ong.ml")).row("table-kind", week)["Confidential reports"] == 1


def test_a_triage_user_bound_to_a_site_counts_only_that_site(client, make_phone, runtime):
    make_staff(runtime, "kadi@ong.ml", "triage", sites=("sogoniko",))
    submit_complaint(make_phone("+22370000011"), site="1")
    submit_complaint(make_phone("+22370000012"), site="2")
    page = Tables(dashboard(client, "kadi@ong.ml"))
    assert page.row("table-site", this_week()) == {"Sogoniko": 1, "Total": 1}
    assert page.row("open-by-age", "Total") == {"Open cases": 1}


def test_the_charts_are_inline_svg_with_a_legend_and_the_page_has_no_script(client, phone, staff):
    submit_complaint(phone)
    html = dashboard(client, "awa@ong.ml")
    assert "<script" not in html.lower()
    svgs = re.findall(r"<svg\b.*?</svg>", html, re.S)
    assert len(svgs) == 3  # kind, category, site
    for svg in svgs:
        assert 'role="img"' in svg and "aria-label=" in svg
        assert 'class="legends"' in svg and "viewBox=" in svg
        assert not re.search(r"<svg[^>]*\swidth=", svg)  # scales to the screen
        assert "<script" not in svg and "onclick" not in svg and "xml-stylesheet" not in svg
    assert ">Complaints</text>" in svgs[0]  # the legend names the series
    # Each chart has its numbers as a table, folded under it.
    assert html.count("<details>") == 3 and 'id="table-kind"' in html


def test_with_nothing_received_there_is_no_chart_but_a_sentence(client, staff):
    html = dashboard(client, "awa@ong.ml")
    assert "<svg" not in html and html.count("Nothing in these 12 weeks.") == 3


def test_open_cases_are_counted_by_age(client, make_phone, runtime, staff):
    for index in range(6):
        submit_complaint(make_phone(f"+2237000002{index}"))
    ids = feedback_ids(runtime)
    now = utcnow()
    ages = (
        timedelta(hours=2),
        timedelta(days=2),
        timedelta(days=5),
        timedelta(days=10),
        timedelta(days=12),
        timedelta(days=6),
    )
    for feedback_id, age in zip(ids, ages, strict=True):
        set_rows(runtime, [feedback_id], created_at=now - age)
    set_rows(runtime, [ids[4]], status="resolved", resolved_at=now)  # resolved: no longer open
    set_rows(runtime, [ids[5]], status="in_progress")  # being worked on: still open

    page = Tables(dashboard(client, "awa@ong.ml"))
    counts = {key: page.row("open-by-age", key)["Open cases"] for key in page.tables["open-by-age"]["rows"]}
    assert counts == {"under_1_day": 1, "1_to_3_days": 1, "3_to_7_days": 2, "over_7_days": 1, "Total": 5}


def median_text(html: str, key: str) -> str:
    """What the page says for one median, as read (tags dropped)."""
    cell = re.search(rf'data-median="{key}"[^>]*>(.*?)</dd>', html, re.S).group(1)
    return " ".join(re.sub(r"<[^>]+>", " ", cell).split())


def test_median_times_to_first_response_and_resolution_over_the_last_30_days(client, make_phone, runtime, staff):
    for index in range(4):
        submit_complaint(make_phone(f"+2237000003{index}"))
    make_phone("+22370000039").converse(*CONFIDENTIAL)
    complaints, (report,) = feedback_ids(runtime, kind="complaint"), feedback_ids(runtime, kind="confidential")
    now = utcnow()
    start = now - timedelta(days=3)
    set_rows(runtime, [*complaints, report], created_at=start)
    for feedback_id, first, resolved in zip(complaints[:3], (2, 4, 9), (10, 30, None), strict=True):
        set_rows(runtime, [feedback_id], first_response_at=start + timedelta(hours=first))
        if resolved:
            set_rows(runtime, [feedback_id], resolved_at=start + timedelta(hours=resolved), status="resolved")
    # Answered long ago: outside the 30 days.
    set_rows(runtime, [complaints[3]], created_at=now - timedelta(days=60), first_response_at=now - timedelta(days=59))
    # The confidential report counts only for those who may see it.
    set_rows(runtime, [report], first_response_at=start + timedelta(hours=5))

    triage = dashboard(client, "awa@ong.ml")
    assert median_text(triage, "first_response") == "4 h (3 cases)"
    assert median_text(triage, "resolution") == "20 h (2 cases)"
    protection = dashboard(client, "fanta@ong.ml")
    assert median_text(protection, "first_response") == "4.5 h (4 cases)"
    in_french = dashboard(client, "fanta@ong.ml", lang="fr")
    assert median_text(in_french, "first_response") == "4,5 h (4 cas)"  # the French decimal comma


def test_without_answers_in_30_days_the_medians_say_so(client, phone, staff):
    submit_complaint(phone)
    html = dashboard(client, "awa@ong.ml")
    assert median_text(html, "first_response") == median_text(html, "resolution") == "No case in these 30 days."


def panel_item(html: str, reference: str) -> str:
    return re.search(rf'<li data-reference="{reference}".*?</li>', html, re.S).group(0)


def test_open_confidential_reports_count_down_to_their_deadline_for_protection_only(
    client, make_phone, runtime, staff
):
    make_phone("+22370000041").converse("Bonjour", "1", "1", "4", "1", "Mon voisin me frappe", "3")
    make_phone("+22370000042").converse(*CONFIDENTIAL)
    make_phone("+22370000043").converse(*CONFIDENTIAL)
    submit_complaint(make_phone("+22370000044"))
    due, late, done = feedback_ids(runtime, kind="confidential")
    now = utcnow()
    # Deadline 24 h: 5 h 30 left; 2 h 30 past; and one already resolved.
    set_rows(runtime, [due], created_at=now - timedelta(hours=18, minutes=30))
    set_rows(runtime, [late], created_at=now - timedelta(hours=26, minutes=30))
    set_rows(runtime, [done], created_at=now - timedelta(hours=30), status="resolved", resolved_at=now)
    with runtime.database() as db:
        due_ref, late_ref, done_ref = (db.get(Feedback, i).reference for i in (due, late, done))

    for email in ("fanta@ong.ml", "moussa@ong.ml"):
        html = dashboard(client, email)
        assert "Confidential reports waiting" in html
        assert "2 open confidential reports." in html and "1 is overdue." in html
        on_time, overdue = panel_item(html, due_ref), panel_item(html, late_ref)
        assert "due in 5 h" in on_time and "overdue" not in on_time
        assert "overdue by 2 h" in overdue and 'class="badge overdue"' in overdue
        assert f'href="/admin/cases/{late_ref}"' in overdue
        assert done_ref not in html  # resolved: off the list
        assert "Mon voisin" not in html  # references only, never what was said
        # Most urgent first.
        assert html.index(late_ref) < html.index(due_ref)

    triage = dashboard(client, "awa@ong.ml")
    assert "Confidential reports waiting" not in triage and "protection-alerts" not in triage
    assert "due in" not in triage and "overdue by" not in triage
    assert due_ref not in triage and late_ref not in triage


def test_under_an_hour_and_over_two_days_are_said_in_words(client, make_phone, runtime, staff):
    for index in range(3):
        make_phone(f"+2237000005{index}").converse(*CONFIDENTIAL)
    first, second, third = feedback_ids(runtime, kind="confidential")
    now = utcnow()
    set_rows(runtime, [first], created_at=now - timedelta(hours=23, minutes=30))
    set_rows(runtime, [second], created_at=now - timedelta(hours=24, minutes=20))
    set_rows(runtime, [third], created_at=now - timedelta(hours=100))
    html = dashboard(client, "fanta@ong.ml")
    assert "due in less than 1 h" in html and "overdue by less than 1 h" in html
    assert "overdue by 3 days" in html


def test_the_deadline_follows_the_setting(client, phone, runtime, staff, monkeypatch):
    phone.converse(*CONFIDENTIAL)
    set_rows(runtime, feedback_ids(runtime), created_at=utcnow() - timedelta(hours=3, minutes=30))
    monkeypatch.setattr(client.app.state.runtime.settings, "protection_deadline_hours", 48)
    assert "due in 44 h" in dashboard(client, "fanta@ong.ml")


def test_the_page_stays_small_with_realistic_data(client, runtime, staff):
    """Twelve weeks of a busy line: 5 sites, every kind and category, about 300 submissions a week."""
    categories = (
        "shelter", "water_sanitation", "health", "food", "security", "documents", "education", "livelihoods", "other"
    )
    now = utcnow()
    with transaction(runtime.database) as db:
        sites = list(db.scalars(select(Site.id)))
        contact = Contact(phone_hash="x" * 64, consent="accepted")
        db.add(contact)
        db.flush()
        rows = []
        for index in range(3600):
            kind = ("complaint", "need", "complaint", "assembly", "need", "confidential")[index % 6]
            category = {
                "assembly": "confirmed",
                "confidential": ("violence", "threat", "abuse_exploitation")[index % 3],
            }.get(kind, categories[index % len(categories)])
            rows.append(
                dict(
                    reference=f"Z{index:07d}",
                    kind=kind,
                    category=category,
                    site_id=None if kind == "confidential" else sites[index % len(sites)],
                    language="fr",
                    channel="sms",
                    text="…",
                    status=("new", "acknowledged", "in_progress", "resolved")[index % 4],
                    confidential=kind == "confidential",
                    contact_id=contact.id,
                    created_at=now - timedelta(hours=index * 83 % (12 * 7 * 24)),
                    first_response_at=now - timedelta(hours=index * 83 % (12 * 7 * 24)) + timedelta(hours=index % 50),
                )
            )
        db.execute(insert(Feedback), rows)

    client.cookies.clear()
    log_in(client, "moussa@ong.ml")
    response = client.get("/admin/dashboard")
    assert response.status_code == 200
    assert len(response.content) < 100_000, len(response.content)
    assert response.text.count("<svg") == 3
