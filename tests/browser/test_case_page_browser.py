"""The case page in Chromium, on a phone (360 px) and a desk (1280 px), in French: a person with 1,000 messages,
the staff actions first, the reply counter counting as the person will be charged, a reply that names its case."""

import re

import pytest
from sqlalchemy import select

from bot.models import Feedback
from tests.admin.test_case_page import a_person_with_a_long_history
from tests.admin_support import PASSWORD, make_staff, submit_complaint
from tests.browser.conftest import log_in
from tests.conftest import run_worker

COMPLAINT = "Les latrines débordent au bloc C"


@pytest.mark.parametrize("width", [360, 1280])
def test_a_case_with_a_long_history_is_light_acts_first_and_counts_the_reply(
    twilio, phone, live_server, browser, runtime, width
):
    submit_complaint(phone, COMPLAINT)
    run_worker(runtime.redis)
    make_staff(runtime, "awa@ong.ml", "triage")
    with runtime.database() as db:
        feedback = db.scalar(select(Feedback).where(Feedback.text == COMPLAINT))
    a_person_with_a_long_history(runtime, feedback.id, cases=30)
    reference = feedback.reference

    context = browser.new_context(viewport={"width": width, "height": 740}, locale="fr-FR")
    page = context.new_page()
    page.set_default_timeout(10_000)
    refused, broken = [], []
    page.on("console", lambda message: refused.append(message.text) if "Content Security Policy" in message.text else 0)
    page.on("response", lambda answer: broken.append(answer.url) if answer.status >= 400 else 0)
    log_in(page, live_server, "awa@ong.ml", PASSWORD)

    response = page.goto(f"{live_server}/admin/cases/{reference}")
    weight = len(response.body())
    print(f"\ncase page at {width} px, a person with 1,000 messages: {weight:,} bytes")
    assert weight < 100_000
    assert page.evaluate("document.scrollingElement.scrollWidth <= window.innerWidth")

    # The actions come before the long reading: each is above this case's messages, and reachable.
    exchange_top = page.locator("#h-exchange").bounding_box()["y"]
    actions = [
        page.locator("#status button").first,
        page.locator("#reply-text"),
        page.get_by_label("Assigné à"),
        page.locator("#note-text"),
    ]
    for action in actions:
        assert action.is_enabled() and action.bounding_box()["y"] < exchange_top

    # The counter counts what the person will receive: the reference first, then the text, in GSM-7 or UCS-2.
    counter = page.locator("#reply-count")
    prefix = len(f"{reference} : ")
    assert counter.inner_text() == f"{prefix} caractères · 1 SMS · GSM-7"
    box = page.locator("#reply-text")
    box.fill("Une équipe passe demain à 9 h.")
    assert counter.inner_text() == f"{prefix + 30} caractères · 1 SMS · GSM-7"
    box.fill("Ɲɛ")  # Bambara letters: UCS-2, kept while one SMS of 70 holds them (SMS_ALPHABET=auto)
    assert counter.inner_text() == f"{prefix + 2} caractères · 1 SMS · UCS-2"
    box.fill("Ɲɛ " + "a" * 67)  # 2 UCS-2 parts as written: the older spelling (Nyè) fits one GSM-7 SMS
    assert counter.inner_text() == f"{prefix + 71} caractères · 1 SMS · GSM-7"
    box.fill("x" * (160 - prefix))
    assert counter.inner_text() == "160 caractères · 1 SMS · GSM-7"
    box.press("End")
    box.type("{")  # an extension character counts twice, and a placeholder is a blank to fill
    assert counter.inner_text() == "161 caractères · 2 SMS · GSM-7"
    box.type("date}")
    assert page.locator("#reply-blanks").is_visible()
    page.get_by_role("button", name="Envoyer").click()
    assert page.url.endswith(f"/admin/cases/{reference}")  # held back in the page: nothing was sent

    box.fill("Une équipe passe demain à 9 h.")
    assert not page.locator("#reply-blanks").is_visible()
    page.get_by_role("button", name="Envoyer").click()
    sent = page.get_by_text("Réponse en cours d'envoi.")
    sent.wait_for()  # the page after the post, however long a loaded machine takes to serve it
    assert sent.is_visible()
    row = page.locator("section[aria-labelledby=h-exchange] tr", has_text="Une équipe passe demain")
    assert re.search(rf"{reference} : Une équipe passe demain à 9 h\.", row.inner_text())
    assert "1 SMS" in row.inner_text()

    page.get_by_role("link", name="Toute la conversation de la personne").click()
    assert page.get_by_role("heading", name="Toute la conversation de la personne").is_visible()
    page.get_by_role("link", name=re.compile("Messages plus anciens")).click()
    assert "before=" in page.url and page.locator("table.list tbody tr").count() == 50
    assert refused == [] and [url for url in broken if not url.endswith("/favicon.ico")] == []
    context.close()

    run_worker(runtime.redis)
    assert f"{reference} : Une équipe passe demain à 9 h." in [sent.form["Body"] for sent in twilio.sent]
