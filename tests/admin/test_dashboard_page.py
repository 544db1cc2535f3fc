"""The dashboard: counts through the access rules, charts without JavaScript, open cases, medians, deadlines."""

import re
from datetime import timedelta
from html.parser import HTMLParser

import pytest
from sqlalchemy import insert, select, update

from bot.admin import dashboard as dashboard_module
from bot.cases.targets import set_targets
from bot.db import transaction
from bot.models import Contact, Feedback, Partner, Referral, Site, utcnow
from tests import domain_support as rows
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


def arrived(runtime, ids, ago: timedelta, **values) -> None:
    """These cases came in `ago`, with the targets the intake fixed then (and `values` since)."""
    with transaction(runtime.database) as db:
        for feedback in db.scalars(select(Feedback).where(Feedback.id.in_(ids))):
            feedback.created_at = utcnow() - ago
            for name, value in values.items():
                setattr(feedback, name, value)
            set_targets(feedback, runtime.settings)


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


def test_open_confidential_reports_count_down_to_their_deadline_for_protection_only(client, make_phone, runtime, staff):
    make_phone("+22370000041").converse("Bonjour", "1", "1", "4", "1", "Mon voisin me frappe", "3")
    make_phone("+22370000042").converse(*CONFIDENTIAL)
    make_phone("+22370000043").converse(*CONFIDENTIAL)
    submit_complaint(make_phone("+22370000044"))
    due, late, done = feedback_ids(runtime, kind="confidential")
    now = utcnow()
    # Deadline 24 h: 5 h 30 left; 2 h 30 past; and one already resolved.
    arrived(runtime, [due], timedelta(hours=18, minutes=30))
    arrived(runtime, [late], timedelta(hours=26, minutes=30))
    arrived(runtime, [done], timedelta(hours=30), status="resolved", first_response_at=now, resolved_at=now)
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
    arrived(runtime, [first], timedelta(hours=23, minutes=30))
    arrived(runtime, [second], timedelta(hours=24, minutes=20))
    arrived(runtime, [third], timedelta(hours=100))
    html = dashboard(client, "fanta@ong.ml")
    assert "due in less than 1 h" in html and "overdue by less than 1 h" in html
    assert "overdue by 3 days" in html


@pytest.fixture
def two_day_deadline(reconfigure):
    reconfigure(PROTECTION_DEADLINE_HOURS="48")


def test_the_deadline_follows_the_setting_in_force_when_the_report_came_in(
    two_day_deadline, client, phone, runtime, staff, monkeypatch
):
    phone.converse(*CONFIDENTIAL)
    arrived(runtime, feedback_ids(runtime), timedelta(hours=3, minutes=30))
    assert "due in 44 h" in dashboard(client, "fanta@ong.ml")
    # A later change of the setting leaves the reports already taken in as they were.
    monkeypatch.setattr(client.app.state.runtime.settings, "protection_deadline_hours", 24)
    assert "due in 44 h" in dashboard(client, "fanta@ong.ml")


def test_the_page_stays_small_with_realistic_data(client, runtime, staff):
    """Twelve weeks of a busy line: 45 sites, every kind and category, about 300 submissions a week, with targets."""
    categories = (
        "shelter",
        "water_sanitation",
        "health",
        "food",
        "security",
        "documents",
        "education",
        "livelihoods",
        "other",
    )
    now = utcnow()
    with transaction(runtime.database) as db:
        db.add_all(
            Site(slug=f"site-{n}", name=f"Site de déplacés n° {n}", region="Mopti", position=10 + n) for n in range(40)
        )
        db.flush()
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
            if kind != "assembly":  # the targets the intake fixes
                came = rows[-1]["created_at"]
                acknowledge_by, resolve_by = (
                    came + timedelta(hours=24 if kind == "confidential" else 48),
                    came + timedelta(days=14),
                )
                due = None if rows[-1]["status"] == "resolved" else resolve_by
                rows[-1].update(acknowledge_by=acknowledge_by, resolve_by=resolve_by, due_at=due)
        db.execute(insert(Feedback), rows)

    client.cookies.clear()
    log_in(client, "moussa@ong.ml")
    response = client.get("/admin/dashboard")
    assert response.status_code == 200
    assert len(response.content) < 100_000, len(response.content)
    assert response.text.count("<svg") == 3
    # Each month lists its busiest sites and adds up the others.
    assert response.text.count('class="on-time"') == response.text.count('data-site="others"') >= 3


# --- response-time targets and referrals ------------------------------------------------------------


class OnTime(HTMLParser):
    """The on-time tables as read: {table id: {row label: [cell texts]}}, and the page's captions."""

    def __init__(self, html: str):
        super().__init__()
        self.tables: dict[str, dict[str, list[str]]] = {}
        self.captions: list[str] = []
        self._table = self._row = self._cell = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table" and attrs.get("id", "").startswith(("on-time-", "referrals-")):
            self._table = self.tables.setdefault(attrs["id"], {})
        elif self._table is not None and tag == "tr":
            self._row = []
        elif self._table is not None and tag in ("td", "th", "caption"):
            self._cell = []
        elif tag == "br" and self._cell is not None:
            self._cell.append(" ")  # a line break, as read

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)

    def handle_endtag(self, tag):
        if tag in ("td", "th", "caption") and self._cell is not None:
            text = " ".join("".join(self._cell).split())
            self._cell = None
            if tag == "caption":
                self.captions.append(text)
            elif self._row is not None:
                self._row.append(text)
        elif tag == "tr" and self._row is not None:
            self._table[self._row[0]] = self._row[1:]
            self._row = None
        elif tag == "table":
            self._table = None


@pytest.fixture
def measured(runtime):
    """Cases that came in three days ago, each with its targets (48 h, 14 days; 24 h for the report), and referrals."""
    now = utcnow()
    came = now - timedelta(days=3)
    with transaction(runtime.database) as db:
        contact = rows.person(db, runtime.vault)
        partner = Partner(name="ONG Eau", services=["water_sanitation"])
        db.add(partner)

        def case(site, kind="complaint", answered=None, resolved=None, status="new", referrals=()):
            feedback = rows.timed_case(
                db,
                runtime.settings,
                contact,
                came,
                answered=answered,
                resolved=resolved,
                kind=kind,
                vault=runtime.vault,
                site_slug=site,
                status=status,
            )
            for minutes, referral_status in enumerate(referrals):
                db.add(
                    Referral(
                        feedback_id=feedback.id,
                        partner=partner,
                        status=referral_status,
                        created_at=came + timedelta(minutes=minutes),
                    )
                )
            return feedback

        case("niamana", answered=2, resolved=10, status="resolved", referrals=("sent", "accepted"))
        case("niamana", answered=50, status="in_progress")  # acknowledged late; 11 days left to resolve it
        case("niamana")  # never acknowledged: late, overdue now
        case("sogoniko", answered=1, status="acknowledged", referrals=("declined",))
        case(None, kind="confidential", referrals=("done",))  # its 24 h are over
        case("niamana", kind="assembly")  # a sign-up: no targets
    return came.strftime("%Y-%m")


def test_the_share_of_cases_acknowledged_and_resolved_on_time_per_site_and_month(client, measured, runtime, staff):
    month = f"on-time-{measured}"
    make_staff(runtime, "kadi@ong.ml", "triage", sites=("sogoniko",))

    triage_html = dashboard(client, "awa@ong.ml")
    triage = OnTime(triage_html)
    assert triage.tables[month] == {
        "Site": ["Acknowledged on time", "Resolved on time", "Still open"],
        "Niamana (3 cases)": ["33% 1 of 3", "100% 1 of 1", "2 1 overdue"],
        "Sogoniko (1 case)": ["100% 1 of 1", "—", "1"],  # nothing to resolve by now yet
        "Total (4 cases)": ["50% 2 of 4", "100% 1 of 1", "3 1 overdue"],
    }
    assert "3 open cases with a target." in triage_html and "1 is overdue now." in triage_html
    assert triage.tables["referrals-by-status"] == {
        "Status": ["Number of cases"],
        "Sent to the partner": ["0"],
        "Accepted by the partner": ["1"],  # its latest referral
        "Declined by the partner": ["1"],
        "Done by the partner": ["0"],
        "Total": ["2"],
    }

    for email in ("fanta@ong.ml", "moussa@ong.ml"):
        html = dashboard(client, email)
        page = OnTime(html)
        assert page.tables[month]["No site (1 case)"] == ["0% 0 of 1", "—", "1 1 overdue"]
        assert page.tables[month]["Total (5 cases)"] == ["40% 2 of 5", "100% 1 of 1", "4 2 overdue"]
        assert "2 are overdue now." in html
        assert page.tables["referrals-by-status"]["Done by the partner"] == ["1"]

    bound = OnTime(dashboard(client, "kadi@ong.ml"))
    assert bound.tables[month] == {
        "Site": ["Acknowledged on time", "Resolved on time", "Still open"],
        "Sogoniko (1 case)": ["100% 1 of 1", "—", "1"],  # one site: no total row
    }
    assert bound.tables["referrals-by-status"]["Total"] == ["1"]

    in_french = OnTime(dashboard(client, "awa@ong.ml", lang="fr"))
    assert in_french.tables[month]["Niamana (3 cas)"][0].replace("\u202f", " ").replace("\xa0", " ") == "33 % 1 sur 3"


def test_without_cases_or_referrals_the_sections_say_so(client, staff):
    html = dashboard(client, "awa@ong.ml")
    assert "No case with a target in these 6 months." in html
    assert "No case has been referred to a partner." in html and "0 open cases with a target." in html


def test_with_many_sites_each_month_lists_the_busiest_and_adds_up_the_others(
    client, measured, runtime, staff, monkeypatch
):
    monkeypatch.setattr(dashboard_module, "SITES_SHOWN", 2)
    page = OnTime(dashboard(client, "moussa@ong.ml"))
    table = page.tables[f"on-time-{measured}"]
    assert list(table) == ["Site", "Niamana (3 cases)", "2 other sites (2 cases)", "Total (5 cases)"]
    # Sogoniko and the report without a site, added up.
    assert table["2 other sites (2 cases)"] == ["50% 1 of 2", "—", "2 1 overdue"]
