"""/admin/reports: the monthly report of a site, as desk staff and organizers read and print it, and the
organizer's way to broadcast its summary (the broadcast form, prefilled, sends nothing by itself)."""

import re
from datetime import datetime
from html import unescape
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest

from bot.db import transaction
from bot.vocabulary import CaseStatus, Kind
from tests import domain_support as rows
from tests.admin.test_inbox_page import sign_in

MARCH = datetime(2026, 3, 10, 9, 0, tzinfo=ZoneInfo("Africa/Bamako"))
BROADCAST_LINK = re.compile(r'<a class="button" id="broadcast-summary" href="([^"]+)"')


@pytest.fixture
def march(runtime):
    """March 2026 at Niamana: 7 water complaints (6 resolved), 3 shelter needs referred, 6 confidential reports;
    5 water complaints at Sogoniko."""
    with transaction(runtime.database) as db:
        person = rows.person(db, runtime.vault)
        for i in range(7):
            status = CaseStatus.RESOLVED if i < 6 else CaseStatus.NEW
            rows.case(db, person, "Latrines", category="water_sanitation", status=status, created_at=MARCH)
        for _ in range(3):
            rows.case(db, person, "Abri", kind=Kind.NEED, category="shelter", status="referred", created_at=MARCH)
        for _ in range(6):
            rows.case(db, person, "Menace", kind=Kind.CONFIDENTIAL, category="threat", created_at=MARCH,
                      vault=runtime.vault)
        for _ in range(5):
            rows.case(db, person, "Latrines", category="water_sanitation", site_slug="sogoniko", created_at=MARCH)


def cells(html: str, category: str) -> list[str]:
    line = re.search(rf'<tr data-category="{category}">(.*?)</tr>', html, re.S).group(1)
    return [unescape(cell) for cell in re.findall(r'<td data-column="\w+">([^<]*)</td>', line)]


def test_an_organizer_reads_the_report_of_a_site_and_can_broadcast_its_summary(client, runtime, march):
    sign_in(client, runtime, "moussa@ong.ml", "organizer")

    page = client.get("/admin/reports", params={"site": "niamana", "month": "2026-03"})

    assert page.status_code == 200, page.text
    assert len(page.content) < 100_000
    assert "Niamana, March 2026" in page.text
    # received, resolved or closed, with a partner, in progress: the 3 referred needs and the 1 open complaint
    # are "<5", and the 7 complaints "5+" (7 less 6 would give the 1 back).
    assert cells(page.text, "water_sanitation") == ["5+", "6", "0", "<5"]
    assert cells(page.text, "shelter") == ["<5", "0", "<5", "0"]
    assert cells(page.text, "total") == ["10", "6", "<5", "<5"]
    assert "threat" not in page.text and "Threat" not in page.text  # confidential reports are never counted
    assert "Latrines" not in page.text  # nobody's words
    assert 'href="/admin/reports"' in page.text  # in the menu

    link = unescape(BROADCAST_LINK.search(page.text).group(1))
    query = parse_qs(urlsplit(link).query)
    assert urlsplit(link).path == "/admin/broadcasts" and query["sites"] == ["niamana"]
    assert "mars 2026" in query["text_fr"][0] and "10" in query["text_fr"][0] and "<5" in query["text_fr"][0]
    assert "marisi 2026" in query["text_bm"][0]

    compose = client.get(link)
    assert compose.status_code == 200
    assert unescape(query["text_fr"][0]) in unescape(compose.text)  # the text is in its box, ready to preview
    assert re.search(r'<input[^>]*name="sites"[^>]*value="niamana"[^>]*checked', compose.text)
    assert not re.search(r'<input[^>]*name="sites"[^>]*value="sogoniko"[^>]*checked', compose.text)


def test_desk_staff_read_the_report_within_their_sites_without_the_broadcast_button(client, runtime, march):
    sign_in(client, runtime, "awa@ong.ml", "triage", sites=("sogoniko",))

    everywhere = client.get("/admin/reports", params={"month": "2026-03"})
    assert everywhere.status_code == 200
    assert cells(everywhere.text, "total") == ["5", "0", "0", "5"]  # Sogoniko's only
    assert "broadcast-summary" not in everywhere.text

    elsewhere = client.get("/admin/reports", params={"site": "niamana", "month": "2026-03"})
    assert elsewhere.status_code == 400 and "Unknown site" in elsewhere.text


def test_the_report_is_printable_on_a4_without_the_menu(client, runtime, march):
    sign_in(client, runtime, "admin@ong.ml", "admin")
    page = client.get("/admin/reports", params={"site": "niamana", "month": "2026-03"}).text
    print_rules = page[page.index("@media print"):]
    assert "size: A4" in page and re.search(r"header[^{]*\.no-print[^{]*\{ display: none", print_rules)
    assert cells(page, "total") == ["10", "6", "<5", "<5"]  # the admin sees no more than the community


@pytest.mark.parametrize("month", ["2026-13", "march", "2026-3"])
def test_a_month_that_cannot_be_meant_gets_a_clear_400(client, runtime, month):
    sign_in(client, runtime, "awa@ong.ml", "triage")
    page = client.get("/admin/reports", params={"month": month})
    assert page.status_code == 400 and "YYYY-MM" in page.text


def test_a_month_with_nothing_says_so_and_offers_no_broadcast(client, runtime):
    sign_in(client, runtime, "moussa@ong.ml", "organizer")
    page = client.get("/admin/reports", params={"site": "gao", "month": "2025-01"})
    assert page.status_code == 200 and 'id="report-empty"' in page.text and "broadcast-summary" not in page.text
    next_month = re.search(r'<a href="([^"]+)" rel="next">', page.text).group(1)
    assert unescape(next_month) == "/admin/reports?site=gao&month=2025-02"


def test_the_report_needs_a_login(client):
    response = client.get("/admin/reports", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/admin/login")


def test_the_broadcast_form_prefilled_by_a_link_previews_and_sends_nothing_until_asked(client, runtime):
    sign_in(client, runtime, "moussa@ong.ml", "organizer")
    page = client.get("/admin/broadcasts", params={"text_fr": "Bonjour <tous>", "sites": "sogoniko"})
    assert page.status_code == 200
    assert "Bonjour &lt;tous&gt;" in page.text
    assert 'formaction="/admin/broadcasts"' not in page.text  # no "Send" before a preview
    assert client.get("/admin/broadcasts").status_code == 200  # and without a prefill, an empty form
