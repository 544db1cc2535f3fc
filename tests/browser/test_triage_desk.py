"""A triage officer works the queue in a real browser, 360 px wide, in French: log in, filter, open, act, reply."""

import re

import pytest
from sqlalchemy import select

from bot.models import Feedback
from tests.admin_support import PASSWORD, make_staff, submit_complaint
from tests.browser.conftest import log_in
from tests.conftest import run_worker

CONFIDENTIAL = ("4", "1", "Le gardien me menace", "3")


@pytest.fixture
def fr(app):
    """The French staff interface's own words, from its catalogue; each must really be translated."""
    gettext = app.state.interface.catalogues["fr"].gettext

    def french(english: str) -> str:
        translated = gettext(english)
        assert translated != english or english in ("Notes", "Date", "Message", "Total", "SMS"), (
            f"untranslated: {english}"
        )
        return translated

    return french


@pytest.fixture
def queue_with_cases(twilio, phone, make_phone, runtime):
    """Two complaints and a confidential report, filed by SMS like people in the sites do."""
    submit_complaint(phone, "Les latrines débordent au bloc C")
    submit_complaint(make_phone("+22370000002"), "Pas de bâches depuis la pluie", site="2", category="1")
    make_phone("+22370000003").converse("Bonjour", "1", "1", *CONFIDENTIAL)
    run_worker(runtime.redis)
    with runtime.database() as db:
        return {f.text or "confidential": f.reference for f in db.scalars(select(Feedback))}


def no_horizontal_scroll(page) -> bool:
    return page.evaluate("document.scrollingElement.scrollWidth <= window.innerWidth")


@pytest.mark.parametrize("width", [360, 1280])
def test_a_triage_officer_works_a_case_to_closed_and_the_person_is_told(
    width, twilio, queue_with_cases, live_server, page, runtime, fr
):
    page.set_viewport_size({"width": width, "height": 800})
    make_staff(runtime, "awa@ong.ml", "triage")
    log_in(page, live_server, "awa@ong.ml", PASSWORD)

    assert page.get_by_role("heading", name=fr("Inbox")).is_visible()
    assert page.get_by_text("Les latrines débordent au bloc C").is_visible()
    assert no_horizontal_scroll(page)

    page.get_by_label(fr("Reference or words")).fill("latrines")
    page.get_by_role("button", name=fr("Filter")).click()
    assert page.get_by_text("Les latrines débordent au bloc C").is_visible()
    assert page.get_by_text("Pas de bâches depuis la pluie").count() == 0

    reference = queue_with_cases["Les latrines débordent au bloc C"]
    page.get_by_role("link", name=reference).click()
    assert page.get_by_role("heading", name=re.compile(reference)).is_visible()
    assert "+223 •• •• •• 01" in page.content() and "+22370000001" not in page.content()
    assert no_horizontal_scroll(page)

    page.get_by_role("button", name=fr("Acknowledge")).click()
    assert page.get_by_role("status").first.is_visible()
    page.locator("#reply-text").fill("Nous avons vu votre message, une équipe passe demain.")
    page.get_by_role("button", name=fr("Send")).click()
    page.get_by_role("button", name=fr("Start work")).click()
    page.get_by_label(fr("What was done"), exact=True).fill("Latrines vidées le 3 décembre.")
    page.get_by_role("button", name=fr("Resolve")).click()
    page.get_by_role("button", name=fr("Close")).click()

    with runtime.database() as db:
        feedback = db.scalar(select(Feedback).where(Feedback.reference == reference))
        trail = page.locator("#h-trail").locator("xpath=..").inner_text()
    assert feedback.status == "closed" and feedback.outcome == "Latrines vidées le 3 décembre."
    assert "awa@ong.ml" in trail

    run_worker(runtime.redis)
    bodies = [sent.form["Body"] for sent in twilio.sent if sent.form["To"] == "+22370000001"]
    assert f"{reference} : Nous avons vu votre message, une équipe passe demain." in bodies  # naming its case
    assert any(reference in body and "Latrines vidées le 3 décembre." in body for body in bodies)


def test_a_triage_officer_cannot_reach_a_confidential_report_by_any_url(
    twilio, queue_with_cases, live_server, page, runtime, fr
):
    make_staff(runtime, "awa@ong.ml", "triage")
    log_in(page, live_server, "awa@ong.ml", PASSWORD)
    reference = queue_with_cases["confidential"]
    assert reference not in page.content()

    for path in (f"/admin/cases/{reference}", f"/admin/cases/{reference.lower()}", f"/admin/inbox?q={reference}"):
        response = page.goto(live_server + path)
        assert reference not in page.content().replace(f"q={reference}", "").replace(f'value="{reference}"', "")
        assert "Le gardien me menace" not in page.content()
        assert response.status in (200, 404)
    export = page.context.request.get(f"{live_server}/admin/export.csv")  # the officer's own session
    assert export.ok and reference not in export.text()


def test_protection_sees_the_confidential_report_and_its_deadline(
    twilio, queue_with_cases, live_server, page, runtime, fr
):
    make_staff(runtime, "fanta@ong.ml", "protection")
    log_in(page, live_server, "fanta@ong.ml", PASSWORD)
    reference = queue_with_cases["confidential"]
    page.goto(f"{live_server}/admin/dashboard")
    assert page.get_by_role("link", name=reference).is_visible()
    page.get_by_role("link", name=reference).click()
    assert page.get_by_text("Le gardien me menace").first.is_visible()


def test_pages_are_light_and_work_from_the_keyboard(twilio, queue_with_cases, live_server, page, runtime, fr):
    make_staff(runtime, "awa@ong.ml", "triage")
    log_in(page, live_server, "awa@ong.ml", PASSWORD)
    for path in (
        "/admin/inbox",
        "/admin/dashboard",
        f"/admin/cases/{queue_with_cases['Pas de bâches depuis la pluie']}",
    ):
        response = page.goto(live_server + path)
        assert len(response.body()) < 100_000, path
        # No inline script; only files of our own (the case page's reply counter).
        sources = page.eval_on_selector_all("script", "found => found.map(s => s.getAttribute('src') || '')")
        assert all(src.startswith("/admin/") for src in sources), path
        unlabelled = page.evaluate(
            """[...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
               .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label')).length"""
        )
        assert unlabelled == 0, path
    page.goto(f"{live_server}/admin/inbox")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == fr("Skip to content")
