"""The staff pages under their Content-Security-Policy in a real browser: nothing on them is refused (their styles
and charts still show), and another page cannot frame them."""

from tests.admin_support import PASSWORD, make_staff, submit_complaint
from tests.browser.conftest import log_in


def test_the_pages_show_whole_under_their_policy(twilio, phone, live_server, page, runtime):
    submit_complaint(phone, "Les latrines débordent au bloc C")
    make_staff(runtime, "awa@ong.ml", "admin")
    refused = []
    page.on("console", lambda message: refused.append(message.text) if "Content Security Policy" in message.text else 0)

    log_in(page, live_server, "awa@ong.ml", PASSWORD)
    assert page.get_by_text("Les latrines débordent au bloc C").is_visible()  # the inbox
    page.locator("table.list th a").first.click()
    assert page.locator("h1").first.is_visible()  # a case page
    page.goto(f"{live_server}/admin/dashboard")
    assert page.locator("svg").count() > 0  # the server-drawn charts

    assert page.evaluate("getComputedStyle(document.querySelector('header')).display") == "flex"  # styled
    assert refused == []


def test_another_page_cannot_frame_a_staff_page(live_server, page):
    page.set_content(f'<iframe src="{live_server}/admin/login" width="300" height="300"></iframe>')
    page.wait_for_timeout(500)
    assert page.frame_locator("iframe").get_by_label("E-mail").count() == 0
