"""An admin administers baro in a real browser, in French, on a phone (360 px) and a desk (1280 px), reaching every
page through the Administration menu by keyboard: creates an account, adds a canned reply, adds a site and moves it
up the phone menu, reads the settings. Every page fits the screen's width and weighs under 100 KB."""

import pytest
from sqlalchemy import select

from bot.models import CannedReply, Site, StaffUser
from tests.admin_support import PASSWORD, make_staff
from tests.browser.conftest import log_in

MAX_PAGE_BYTES = 100_000
AWA = "awa.traore.coordinatrice.protection@organisationhumanitaire.ml"


@pytest.fixture
def fr(app):
    """The French staff interface's own words, from its catalogue; each must really be translated."""
    gettext = app.state.interface.catalogues["fr"].gettext

    def french(english: str) -> str:
        translated = gettext(english)
        assert translated != english or english in ("Administration", "Sites"), f"untranslated: {english}"
        return translated

    return french


def _fits(page) -> None:
    """No horizontal scroll, and a light page."""
    assert page.evaluate("document.scrollingElement.scrollWidth <= window.innerWidth"), page.url
    assert len(page.content().encode()) < MAX_PAGE_BYTES, page.url


def _open(page, fr, link: str) -> None:
    """The Administration menu, opened and followed by keyboard only."""
    page.locator("summary", has_text=fr("Administration")).focus()
    page.keyboard.press("Enter")
    target = page.get_by_role("link", name=fr(link), exact=True)
    target.focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")


@pytest.mark.parametrize("width", [360, 1280])
def test_an_admin_administers_baro_in_the_browser(width, live_server, browser, runtime, fr):
    make_staff(runtime, "admin@ong.ml", "admin")
    context = browser.new_context(viewport={"width": width, "height": 800}, locale="fr-FR")
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        log_in(page, live_server, "admin@ong.ml", PASSWORD)
        _fits(page)

        # An account for a triage officer at Niamana: its password shown once.
        _open(page, fr, "Staff accounts")
        assert page.get_by_role("heading", name=fr("Staff accounts"), exact=True).is_visible()
        _fits(page)
        page.get_by_label(fr("Email")).fill(AWA)
        page.get_by_label(fr("Role"), exact=True).select_option(label=fr("Triage"))
        page.get_by_label("Niamana").check()
        page.get_by_role("button", name=fr("Create the account")).click()
        assert len(page.locator("#password").inner_text()) >= 12
        row = page.locator(f'tr[data-account="{AWA}"]')
        assert "Niamana" in row.inner_text()
        _fits(page)
        row.get_by_role("link", name=AWA).click()
        assert page.get_by_role("button", name=fr("Reset the password")).is_visible()
        _fits(page)  # a long address breaks rather than widen the page

        # A canned reply with a blank, in French and Bambara, titled in both interface languages.
        _open(page, fr, "Canned replies")
        assert page.get_by_text(
            fr(
                "Write ... or {placeholder} where staff must add something (a date, a place): "
                "the reply cannot be sent until every blank is filled."
            )
        ).is_visible()
        page.locator("#title_fr").fill("Rendez-vous au bureau")
        page.locator("#title_en").fill("Appointment at the office")
        page.locator("#text_fr").fill("Merci de passer au bureau le {date}.")
        page.locator("#text_bm").fill("Aw ye na biro la {date}.")
        page.get_by_role("button", name=fr("Add the canned reply")).click()
        assert page.get_by_role("link", name="Rendez-vous au bureau").is_visible()
        _fits(page)

        # A site, then moved one place up the phone menu, by keyboard.
        _open(page, fr, "Sites")
        page.get_by_label(fr("Name"), exact=True).fill("Kalaban Coro")
        page.get_by_label(fr("Region"), exact=True).fill("Koulikoro")
        page.get_by_role("button", name=fr("Add the site")).click()
        row = page.locator('tr[data-site="kalaban-coro"]')
        assert "Koulikoro" in row.inner_text()
        _fits(page)
        row.get_by_role("button", name=fr("Move %(site)s up") % {"site": "Kalaban Coro"}).focus()
        with page.expect_navigation():
            page.keyboard.press("Enter")
        names = page.locator("tr[data-site] td:first-child a").all_inner_texts()
        assert names[-2:] == ["Kalaban Coro", "Gao"]

        # The settings that shape the work.
        _open(page, fr, "Settings")
        assert page.get_by_role("heading", name=fr("Response times")).is_visible()
        _fits(page)
    finally:
        context.close()

    with runtime.database() as db:
        assert db.scalar(select(StaffUser.role).where(StaffUser.email == AWA)) == "triage"
        assert db.scalar(select(CannedReply.texts).where(CannedReply.title == "Rendez-vous au bureau"))["bm"]
        assert db.scalar(select(Site.region).where(Site.slug == "kalaban-coro")) == "Koulikoro"
