"""Referrals in headless Chromium, in French: an admin adds a partner to the directory, a triage officer refers a
case to it and records that the partner accepted; both pages read at 360 px and 1280 px without sideways scroll."""

import re

from sqlalchemy import select

from bot.models import Feedback, Message
from tests.admin.test_inbox_page import add_contact, add_feedback
from tests.admin_support import PASSWORD, make_staff
from tests.browser.conftest import log_in

WIDTHS = (360, 1280)


def fits(page) -> bool:
    """Readable at every width: nothing wider than the window."""
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 800})
        if not page.evaluate("document.scrollingElement.scrollWidth <= window.innerWidth"):
            return False
    page.set_viewport_size({"width": 360, "height": 740})
    return True


def test_an_admin_adds_a_partner_and_a_triage_officer_refers_a_case_to_it(app, live_server, page, runtime):
    fr = app.state.interface.catalogues["fr"].gettext
    [reference] = add_feedback(runtime, add_contact(runtime, "+22376543201"), site="niamana")
    make_staff(runtime, "admin@ong.ml", "admin")
    make_staff(runtime, "awa@ong.ml", "triage")

    # The admin, on a phone: the directory is in the administration menu.
    log_in(page, live_server, "admin@ong.ml", PASSWORD)
    page.get_by_text(fr("Administration")).click()
    page.get_by_role("link", name=fr("Partners")).click()
    assert page.get_by_role("heading", name=fr("Partners"), exact=True).is_visible()
    page.get_by_label(fr("Organisation"), exact=True).fill("Eau Propre Mali")
    page.get_by_label(fr("Water and sanitation"), exact=True).check()
    page.get_by_label("Niamana", exact=True).check()
    page.get_by_label(fr("Contact (person, phone, email)")).fill("Moussa Coulibaly · +223 20 00 00 02")
    page.get_by_role("button", name=fr("Add the partner")).click()
    assert page.get_by_text("Eau Propre Mali est enregistré dans l'annuaire.").is_visible()
    row = page.locator('tr[data-partner="Eau Propre Mali"]')
    assert "Eau et assainissement" in row.inner_text() and "Niamana" in row.inner_text()
    assert fits(page)
    page.context.clear_cookies()

    # The triage officer, on a phone: refers the case, then records the partner's answer.
    log_in(page, live_server, "awa@ong.ml", PASSWORD)
    page.goto(f"{live_server}/admin/cases/{reference}")
    page.get_by_label(fr("Refer to a partner"), exact=True).select_option(label="Eau Propre Mali")
    page.get_by_label(fr("Note for the file (staff only)")).fill("Forage en panne au bloc C")
    page.get_by_role("button", name=fr("Refer"), exact=True).click()
    assert page.get_by_text("Orienté vers Eau Propre Mali.").is_visible()
    referral = page.locator("#referral")
    assert fr("Sent to the partner") in referral.inner_text()
    page.get_by_role("button", name=fr("The partner accepted")).click()
    assert re.search(rf"{fr('Accepted by the partner')}", referral.inner_text())
    assert "Forage en panne au bloc C" in referral.inner_text()
    assert page.get_by_role("heading", name=re.compile(fr("Referred"))).first.is_visible()
    assert fits(page)

    with runtime.database() as db:
        feedback = db.scalar(select(Feedback).where(Feedback.reference == reference))
        texts = list(db.scalars(select(Message.text).where(Message.contact_id == feedback.contact_id)))
    assert feedback.status == "referred"
    assert texts == [f"{reference} : votre dossier a été transmis à Eau Propre Mali, qui peut vous aider."]
