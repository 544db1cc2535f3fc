"""An organizer works in a real browser, 360 px wide, in French: announce an assembly, see it listed, open it,
see a sign-up made by SMS (its number masked), record who came, download the attendance sheet, and compose and
preview a broadcast before sending it."""

import csv
import io
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.models import Assembly, Broadcast, utcnow
from tests.admin_support import PASSWORD, make_staff
from tests.browser.conftest import log_in

ONBOARD_FR = ("Bonjour", "1", "1")
MOPTI = "4"


@pytest.fixture
def fr(app):
    """The French staff interface's own words, from its catalogue; each must really be translated."""
    gettext = app.state.interface.catalogues["fr"].gettext

    def french(english: str) -> str:
        translated = gettext(english)
        same_in_french = ("Description", "Signature", "Site", "Sites")
        assert translated != english or english in same_in_french, f"untranslated: {english}"
        return translated

    return french


def no_horizontal_scroll(page) -> bool:
    return page.evaluate("document.scrollingElement.scrollWidth <= window.innerWidth")


def test_an_organizer_announces_an_assembly_follows_its_sign_ups_and_previews_a_broadcast(
    live_server, page, runtime, phone, fr
):
    make_staff(runtime, "moussa@ong.ml", "organizer")
    log_in(page, live_server, "moussa@ong.ml", PASSWORD)
    assert page.get_by_role("heading", name=fr("Assemblies"), exact=True).is_visible()
    assert no_horizontal_scroll(page)

    # Announce one at Mopti.
    page.get_by_label(fr("Site"), exact=True).select_option(label="Mopti")
    page.locator("#title_fr").fill("Assemblée de Mopti")
    page.locator("#title_bm").fill("Mopti lajɛ")
    page.locator("#date").fill((utcnow() + timedelta(days=10)).date().isoformat())
    page.locator("#time").fill("10:00")
    page.locator("#place").fill("École de Sévaré")
    page.locator("#capacity").fill("30")
    assert page.get_by_text(fr("Creating it announces it: everyone who asked to hear of the next assembly at "
                               "this site gets a text, in their language, once.")).is_visible()
    page.get_by_role("button", name=fr("Create and announce")).click()
    assert page.get_by_role("heading", name=re.compile("Assemblée de Mopti")).is_visible()
    assert page.get_by_role("status").first.is_visible()
    with runtime.database() as db:
        assembly_id = db.scalar(select(Assembly.id).where(Assembly.title == "Assemblée de Mopti"))

    # Listed among the upcoming ones; open it from there.
    page.get_by_role("link", name=fr("Assemblies"), exact=True).first.click()
    row = page.locator(f'tr[data-assembly="{assembly_id}"]')
    assert "École de Sévaré" in row.inner_text() and "0 / 30" in row.inner_text()
    assert no_horizontal_scroll(page)
    row.get_by_role("link", name="Assemblée de Mopti").click()
    assert page.get_by_text(fr("Nobody has signed up yet."), exact=True).first.is_visible()

    # Someone signs up by SMS, through the webhook; the page shows them, masked.
    phone.converse(*ONBOARD_FR, "3", MOPTI, "1", "oui")
    page.reload()
    content = page.content()
    assert "+223 •• •• •• 01" in content and "+22370000001" not in content
    assert no_horizontal_scroll(page)

    # They came.
    page.get_by_role("checkbox").first.check()
    page.get_by_role("button", name=fr("Record attendance")).click()
    assert page.get_by_text(fr("Attendance recorded.")).is_visible()
    assert page.get_by_role("checkbox").first.is_checked()

    # The attendance sheet, as a spreadsheet would read it.
    with page.expect_download() as download:
        page.get_by_role("link", name=fr("Attendance sheet (CSV)")).click()
    sheet = open(download.value.path(), encoding="utf-8-sig").read()  # noqa: SIM115
    rows = list(csv.reader(io.StringIO(sheet)))
    assert rows[1][1:] == ["attended", "fr", "sms", "'+223 •• •• •• 01", "yes", ""]
    assert "+22370000001" not in sheet

    # Compose a broadcast to those signed up, preview it, then send it.
    page.get_by_role("link", name=fr("Broadcasts"), exact=True).click()
    page.get_by_label(fr("Signed up or waiting for an assembly")).select_option(value=str(assembly_id))
    page.locator("#text_fr").fill("Rappel : assemblée samedi à 10h.")
    page.locator("#text_bm").fill("Hakilijigin: lajɛ bɛ sibiri lɛrɛ 10.")
    page.get_by_role("button", name=fr("Preview"), exact=True).click()
    preview = page.locator("#preview").inner_text()
    assert "Atteint 1 personne." in preview
    assert "GSM-7" in preview and fr("Total SMS parts (the cost): %(count)s") % {"count": 1} in preview
    assert fr("No consent, or refused it") in preview
    assert no_horizontal_scroll(page)
    with runtime.database() as db:
        assert db.scalar(select(Broadcast.id)) is None  # a preview sends nothing

    page.get_by_role("button", name=fr("Send"), exact=True).click()
    assert page.get_by_role("heading", name=re.compile(fr("Broadcast %(id)s").split("%")[0])).is_visible()
    assert page.locator('[data-count="queued"]').inner_text() == "1"
    with runtime.database() as db:
        broadcast = db.scalars(select(Broadcast)).one()
    assert broadcast.recipients == 1 and broadcast.audience["assembly"] == assembly_id
