"""The inbox in a real browser, in French: on a phone the filters fold behind one button; a word finds its
accented spelling; at 1280 px the filters are simply there. One page load of each, to keep the suite short."""

from datetime import timedelta

import pytest

from bot.db import transaction
from bot.models import utcnow
from tests import domain_support as rows
from tests.admin_support import PASSWORD, make_staff
from tests.browser.conftest import log_in


@pytest.fixture
def fr(app):
    """The French staff interface's own words, from its catalogue; each must really be translated."""
    gettext = app.state.interface.catalogues["fr"].gettext

    def french(english: str) -> str:
        translated = gettext(english)
        assert translated != english or english in ("Site",), f"untranslated: {english}"
        return translated

    return french


@pytest.fixture
def cases(runtime) -> dict[str, str]:
    """A complaint about the school, one in Bambara, one at another site, one overdue."""
    now = utcnow()
    hours = [now - timedelta(hours=n) for n in range(4)]
    with transaction(runtime.database) as db:
        person = rows.person(db, runtime.vault)
        made = {
            "école": rows.case(db, person, "L'école du site n'a plus d'enseignant", created_at=hours[3]),
            "ji": rows.case(db, person, "Ji tɛ yen bloc B la", language="bm", created_at=hours[2]),
            "gao": rows.case(db, person, "Le forage est en panne", site_slug="gao", created_at=hours[1]),
        }
        made["école"].due_at = now - timedelta(hours=5)
        return {name: feedback.reference for name, feedback in made.items()}


def no_horizontal_scroll(page) -> bool:
    return page.evaluate("document.scrollingElement.scrollWidth <= window.innerWidth")


def test_on_a_phone_the_filters_fold_behind_one_button_and_ecole_finds_ecole(live_server, page, runtime, cases, fr):
    make_staff(runtime, "awa@ong.ml", "triage")
    log_in(page, live_server, "awa@ong.ml", PASSWORD)
    page.goto(f"{live_server}/admin/inbox")

    site = page.get_by_label(fr("Site"), exact=True)
    assert not site.is_visible()  # folded away
    assert page.get_by_text(fr("%(num)s results") % {"num": 3}).is_visible()
    assert page.get_by_role("cell", name="Bamanankan").is_visible()
    assert page.get_by_text(fr("not assigned"), exact=True).first.is_visible()
    assert page.locator("strong.overdue").count() == 1  # the overdue complaint says so
    assert no_horizontal_scroll(page)

    page.get_by_text(fr("More filters")).click()
    assert site.is_visible()
    site.select_option("niamana")
    page.get_by_role("button", name=fr("Apply the filters")).click()
    assert cases["gao"] not in page.content() and cases["ji"] in page.content()
    assert page.get_by_label(fr("Site"), exact=True).is_visible()  # a filter is set: the page opens unfolded

    page.get_by_label(fr("Reference or words")).fill("ecole")
    page.get_by_role("button", name=fr("Filter"), exact=True).click()
    assert page.get_by_role("link", name=cases["école"]).is_visible()
    assert page.get_by_text("L'école du site n'a plus d'enseignant").is_visible()
    assert cases["ji"] not in page.content()
    assert page.get_by_text(fr("%(num)s result") % {"num": 1}).is_visible()
    assert no_horizontal_scroll(page)


def test_on_a_wide_screen_the_filters_are_simply_there_and_sort_by_due(browser, live_server, runtime, cases, fr):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="fr-FR")
    page = context.new_page()
    page.set_default_timeout(10_000)
    make_staff(runtime, "awa@ong.ml", "triage")
    log_in(page, live_server, "awa@ong.ml", PASSWORD)
    page.goto(f"{live_server}/admin/inbox")

    assert page.get_by_label(fr("Site"), exact=True).is_visible()
    assert not page.get_by_text(fr("More filters")).is_visible()
    page.get_by_role("link", name=fr("Due first")).click()
    assert page.locator("tbody th a").first.inner_text() == cases["école"]  # the overdue one first
    assert page.get_by_role("link", name=fr("Due first")).get_attribute("aria-current") == "true"
    assert no_horizontal_scroll(page)
    page.screenshot(path="/tmp/inbox-1280.png", full_page=True)
    context.close()
