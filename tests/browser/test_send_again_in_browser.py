"""An admin finds a message that may not have arrived and sends it again, in a real browser, 360 px wide, in French."""

import re

from bot.db import transaction
from bot.models import CaseEvent, utcnow
from bot.outbound.sending import LEASE_EXPIRED
from bot.vocabulary import Direction, Lane, MessageStatus
from tests import domain_support as rows
from tests.admin_support import PASSWORD, make_staff
from tests.browser.conftest import log_in
from tests.conftest import run_worker

NUMBER = "+22370000041"
REPLY = "Une équipe passe demain matin au bloc D."


def test_an_admin_sends_again_a_message_left_unknown_by_a_dead_worker(twilio, live_server, page, runtime):
    with transaction(runtime.database) as db:
        person = rows.person(db, runtime.vault, NUMBER, site_slug="niamana")
        case = rows.case(db, person, "Les latrines débordent au bloc D")
        message = rows.message(db, person, REPLY, direction=Direction.OUT, status=MessageStatus.UNKNOWN,
                               lane=Lane.REPLY, attempts=1, status_at=utcnow(), error_code=LEASE_EXPIRED)
        db.add(CaseEvent(feedback_id=case.id, action="replied", detail={"message_id": message.id}))
    make_staff(runtime, "admin@ong.ml", "admin")

    log_in(page, live_server, "admin@ong.ml", PASSWORD)
    page.get_by_role("link", name="Envois", exact=True).click()

    assert page.get_by_role("heading", name="Envois à vérifier").is_visible()
    assert page.get_by_text(REPLY).is_visible()
    assert page.get_by_text("il est peut-être arrivé").is_visible()
    assert page.evaluate("document.scrollingElement.scrollWidth <= window.innerWidth")
    page.get_by_role("button", name=re.compile("^Envoyer à nouveau")).click()

    assert page.get_by_text("Renvoyé : il part dans un instant").is_visible()
    assert page.get_by_text("Aucun message n'attend de décision.").is_visible()
    run_worker(runtime.redis)
    assert [(sent.form["To"], sent.form["Body"]) for sent in twilio.sent] == [(NUMBER, REPLY)]
