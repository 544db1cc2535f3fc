"""The dashboard in headless Chromium, in French: a protection focal point reads the response-time targets per site
and month, the referrals and the confidential reports due, at 360 px and 1280 px, without sideways scroll."""

from datetime import timedelta

from bot.cases.targets import set_targets
from bot.db import transaction
from bot.models import Partner, Referral, utcnow
from tests import domain_support as rows
from tests.admin_support import PASSWORD, make_staff
from tests.browser.conftest import log_in


def test_a_focal_point_reads_the_targets_the_referrals_and_what_is_due(app, live_server, page, runtime):
    fr = app.state.interface.catalogues["fr"].gettext
    came = utcnow() - timedelta(days=3)
    with transaction(runtime.database) as db:
        contact = rows.person(db, runtime.vault)
        partner = Partner(name="Eau Propre Mali", services=["water_sanitation"])
        db.add(partner)
        for site, answered, kind in (
            ("niamana", 2, "complaint"),
            ("sogoniko", None, "need"),
            (None, 1, "confidential"),
        ):
            feedback = rows.timed_case(
                db,
                runtime.settings,
                contact,
                came,
                answered=answered,
                kind=kind,
                vault=runtime.vault,
                site_slug=site,
                status="new" if answered is None else "acknowledged",
            )
            db.add(Referral(feedback_id=feedback.id, partner=partner, status="accepted", created_at=came))
        report = rows.case(db, contact, "x", kind="confidential", vault=runtime.vault, created_at=utcnow())
        set_targets(report, runtime.settings)
    make_staff(runtime, "fanta@ong.ml", "protection")

    log_in(page, live_server, "fanta@ong.ml", PASSWORD)
    page.goto(f"{live_server}/admin/dashboard")

    month = page.locator(f"#on-time-{came:%Y-%m}")
    assert month.locator("caption").is_visible()  # the month, in words
    niamana = month.locator("tr", has_text="Niamana")
    assert "1 sur 1" in niamana.inner_text()
    assert month.get_by_role("columnheader", name=fr("Acknowledged on time")).is_visible()
    assert page.get_by_text("1 est en retard.").first.is_visible()  # Sogoniko's need, 72 h without an answer
    referrals = page.locator("#referrals-by-status")
    assert "3" in referrals.locator("tr", has_text=fr("Accepted by the partner")).inner_text()
    alerts = page.locator(".protection-alerts")
    assert fr("to acknowledge") in alerts.inner_text() and fr("to resolve") in alerts.inner_text()

    for width in (360, 1280):
        page.set_viewport_size({"width": width, "height": 800})
        assert page.evaluate("document.scrollingElement.scrollWidth <= window.innerWidth"), width
