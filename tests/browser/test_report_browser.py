"""An organizer opens the monthly report in a real browser, in French, on a phone (360 px) and on a desk
(1280 px): chooses the site and the month, reads the counts (small ones hidden), sees it as it prints (no
menu, no form), and opens the broadcast form prefilled with its summary for that site."""

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.db import transaction
from bot.vocabulary import CaseStatus, Kind
from tests import domain_support as rows
from tests.admin_support import PASSWORD, make_staff
from tests.browser.conftest import log_in
from tests.browser.test_organizer_pages import fr, no_horizontal_scroll  # noqa: F401 - `fr` is a fixture

MARCH = datetime(2026, 3, 12, 10, 0, tzinfo=ZoneInfo("Africa/Bamako"))


def test_an_organizer_reads_prints_and_broadcasts_the_monthly_report(live_server, page, runtime, fr):  # noqa: F811
    with transaction(runtime.database) as db:
        person = rows.person(db, runtime.vault)
        for i in range(8):
            status = CaseStatus.RESOLVED if i < 6 else CaseStatus.IN_PROGRESS
            rows.case(db, person, "Latrines", category="water_sanitation", status=status, created_at=MARCH)
        for _ in range(2):
            rows.case(db, person, "Abri", kind=Kind.NEED, category="shelter", created_at=MARCH)
    make_staff(runtime, "moussa@ong.ml", "organizer")
    log_in(page, live_server, "moussa@ong.ml", PASSWORD)

    page.get_by_role("link", name=fr("Reports"), exact=True).click()
    page.get_by_label(fr("Site"), exact=True).select_option(label="Niamana")
    page.get_by_label(fr("Month (YYYY-MM)")).fill("2026-03")
    page.get_by_role("button", name=fr("Show")).click()

    heading = page.get_by_role("heading", level=1)
    assert "Niamana" in heading.inner_text() and "mars 2026" in heading.inner_text()
    # 2 open water complaints and 2 shelter needs are "<5"; the counts a total would give them back from, "5+".
    water = page.locator('tr[data-category="water_sanitation"]')
    assert water.locator("td").all_inner_texts() == ["5+", "5+", "0", "<5"]
    assert page.locator('tr[data-category="shelter"] td').all_inner_texts() == ["<5", "0", "0", "<5"]
    assert page.locator('tr[data-category="total"] td').first.inner_text() == "10"
    assert no_horizontal_scroll(page)

    # As it prints: the report alone, without the menu, the form or the buttons.
    page.emulate_media(media="print")
    assert not page.locator("header").is_visible() and not page.get_by_role("button", name=fr("Show")).is_visible()
    assert water.is_visible()
    page.emulate_media(media="screen")

    page.set_viewport_size({"width": 1280, "height": 900})
    assert no_horizontal_scroll(page) and water.is_visible()
    assert page.locator('[data-time="first_response"]').inner_text() == fr("too few cases")

    page.get_by_role("link", name=fr("Broadcast its summary")).click()
    summary = page.locator("#text_fr").input_value()
    assert summary.startswith("baro mars 2026, Niamana") and "10 messages" in summary
    assert "marisi 2026" in page.locator("#text_bm").input_value()
    assert page.locator('input[name="sites"][value="niamana"]').is_checked()
    assert no_horizontal_scroll(page)
