"""Metrics for Prometheus at GET /metrics: what an operator reads there, and who may read it.

Counters grow for the whole test process (prometheus-client's registry is one per process, and pytest-xdist
runs tests of this file beside others): tests compare two scrapes. Gauges read at scrape time (queues,
alerts) start from the empty Redis and database every test gets.
"""

import os
import signal

import httpx
import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import update

from bot.app import create_app
from bot.config import get_settings
from bot.db import transaction
from bot.handover import enqueue_sends
from bot.models import Contact, Feedback, utcnow
from bot.outbound.store import queue_message
from tests.conftest import WEBHOOK, run_worker, sign
from tests.real_processes import (
    COMPLAINT,
    descendants,
    free_port,
    healthy,
    signed_post,
    start_baro,
    stop,
    wait_for,
)

TOKEN = "a-long-random-scraper-token"
ONBOARD = ("Bonjour", "1", "1")
CONFIDENTIAL = (*ONBOARD, "4", "1", "0", "3")  # a report of abuse, no details, no call back
STATUS_PATH = "/webhooks/twilio/status"


class Scraped:
    """One answer of /metrics: `scraped(name, **labels)` is the sum of the samples with those labels (0 if none)."""

    def __init__(self, text: str):
        self.text = text
        self.samples = [
            (sample.name, sample.labels, sample.value)
            for family in text_string_to_metric_families(text)
            for sample in family.samples
        ]

    def __call__(self, name: str, **labels: str) -> float:
        return sum(value for n, got, value in self.samples if n == name and labels.items() <= got.items())


@pytest.fixture(autouse=True)
def scraper_token(reconfigure):
    """The scraper's token, as production sets it; the test client's address ("testclient") is no network's."""
    reconfigure(METRICS_TOKEN=TOKEN)


def scrape(client: TestClient) -> Scraped:
    response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    return Scraped(response.text)


def test_a_message_in_is_counted_by_channel_when_stored_and_so_is_its_answer(client, phone):
    before = scrape(client)
    phone.send("Bonjour")
    after = scrape(client)
    received = {"direction": "in", "channel": "sms", "status": "received"}
    answered = {"direction": "out", "channel": "sms", "status": "replied"}
    assert after("baro_messages_total", **received) - before("baro_messages_total", **received) == 1
    assert after("baro_messages_total", **answered) - before("baro_messages_total", **answered) == 1


def test_requests_are_counted_and_timed_under_their_route_template_never_their_url(client, phone):
    before = scrape(client)
    phone.send("Bonjour")
    assert client.get("/admin/cases/KXQWZT", follow_redirects=False).status_code == 303  # to the login page
    assert client.get("/no/such/page-elsewhere").status_code == 404
    assert client.request("BREW", "/healthz").status_code == 405
    after = scrape(client)

    def more(name: str, **labels: str) -> float:
        return after(name, **labels) - before(name, **labels)

    assert more("baro_http_requests_total", route=WEBHOOK, method="POST", status="200") == 1
    assert more("baro_http_request_duration_seconds_count", route=WEBHOOK, method="POST") == 1
    assert more("baro_http_request_duration_seconds_sum", route=WEBHOOK, method="POST") > 0
    case_page = {"route": "/admin/cases/{reference}", "method": "GET"}
    assert more("baro_http_requests_total", **case_page, status="303") == 1
    assert more("baro_http_requests_total", route="unrouted", method="GET", status="404") == 1
    assert more("baro_http_requests_total", route="/healthz", method="other", status="405") == 1
    assert "KXQWZT" not in after.text and "page-elsewhere" not in after.text and "BREW" not in after.text
    # Each scrape counts itself in flight; every request between the two was counted out when answered.
    assert after("baro_http_requests_in_flight") == before("baro_http_requests_in_flight") >= 1


def test_a_whole_complaint_counts_one_submission_of_its_kind(client, phone):
    before = scrape(client)
    phone.converse(*COMPLAINT)
    after = scrape(client)
    complaint = {"kind": "complaint", "channel": "sms"}
    assert after("baro_submissions_total", **complaint) - before("baro_submissions_total", **complaint) == 1
    assert after("baro_submissions_total", kind="need") == before("baro_submissions_total", kind="need")


def test_queue_depths_are_read_from_redis_when_scraped(client, phone, runtime):
    phone.converse(*COMPLAINT)
    waiting = scrape(client)
    assert waiting("baro_queue_jobs", queue="intake", state="queued") == 1  # the complaint's intake job
    assert waiting("baro_queue_jobs", queue="outbound-replies", state="queued") == 0
    assert waiting("baro_metrics_source_up", source="redis") == 1
    run_worker(runtime.redis)
    assert scrape(client)("baro_queue_jobs", queue="intake") == 0


def test_a_send_counts_each_status_it_reaches_and_its_wait_for_a_slot(twilio, client, phone, runtime, settings):
    phone.converse(*ONBOARD)
    before = scrape(client)
    with transaction(runtime.database) as db:
        contact_id = db.query(Contact.id).scalar()
        message_id = queue_message(db, contact_id, "sms", "Votre cas est résolu.").id
    enqueue_sends(runtime.redis, [(message_id, "reply")], settings.send_attempts, settings.send_retry_seconds)
    run_worker(runtime.redis)
    (sent,) = twilio.sent
    for report in ("sent", "delivered", "delivered"):  # Twilio may report a status twice
        url, form = twilio.status_callback(sent.sid, report)
        signature = sign(settings.twilio_auth_token, url, form)
        assert client.post(STATUS_PATH, data=form, headers={"X-Twilio-Signature": signature}).status_code == 204
    after = scrape(client)

    def more(status: str) -> float:
        out = {"direction": "out", "channel": "sms", "status": status}
        return after("baro_messages_total", **out) - before("baro_messages_total", **out)

    assert (more("queued"), more("sent"), more("delivered"), more("failed")) == (1, 1, 1, 0)
    waits = {"channel": "sms"}
    assert after("baro_pacing_wait_seconds_count", **waits) - before("baro_pacing_wait_seconds_count", **waits) == 1


def test_confidential_reports_waiting_on_protection_staff_are_shown(client, phone, runtime):
    before = scrape(client)
    phone.converse(*CONFIDENTIAL)
    run_worker(runtime.redis)  # its intake; without PROTECTION_ALERT_NUMBERS its alert stays pending
    shown = scrape(client)
    reports = {"kind": "confidential", "channel": "sms"}
    assert shown("baro_submissions_total", **reports) - before("baro_submissions_total", **reports) == 1
    assert shown("baro_protection_alerts_pending") == 1
    assert shown("baro_confidential_reports_overdue") == 0
    with transaction(runtime.database) as db:
        db.execute(update(Feedback).values(due_at=utcnow().replace(year=2020)))
    assert scrape(client)("baro_confidential_reports_overdue") == 1
    assert shown("baro_metrics_source_up", source="database") == 1


def test_no_phone_number_text_or_reference_is_ever_in_the_metrics(client, phone, runtime):
    reply = phone.converse(*COMPLAINT)
    with runtime.database() as db:
        reference = db.query(Feedback.reference).scalar()
    assert reference in reply
    text = scrape(client).text
    for secret in (phone.number, phone.number[1:], phone.number[-8:], "forage", COMPLAINT[-1], reference):
        assert secret not in text


def test_without_the_token_from_elsewhere_nothing_is_shown(client):
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {TOKEN}"}):
        response = client.get("/metrics", headers=headers)
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == "Bearer"
        assert "baro_" not in response.text


@pytest.mark.parametrize("address", ["127.0.0.1", "127.8.0.1", "::1", "::ffff:127.0.0.1"])
def test_a_scraper_on_this_host_needs_no_token(app, address):
    with TestClient(app, client=(address, 50000)) as local:
        response = local.get("/metrics")
    assert response.status_code == 200 and "baro_messages" in response.text


@pytest.mark.parametrize("address", ["10.0.0.5", "192.168.1.20", "2001:db8::1", "testclient"])
def test_other_addresses_need_the_token(app, address):
    with TestClient(app, client=(address, 50000)) as remote:
        assert remote.get("/metrics").status_code == 401
        assert remote.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200


@pytest.mark.parametrize("header", ["X-Forwarded-For", "X-Real-IP", "Forwarded"])
def test_a_request_through_a_proxy_on_this_host_is_not_taken_for_a_local_one(app, header):
    with TestClient(app, client=("127.0.0.1", 50000)) as proxied:
        response = proxied.get("/metrics", headers={header: "203.0.113.9"})
    assert response.status_code == 401 and "baro_" not in response.text


def test_metrics_networks_and_no_token(reconfigure, clean_state):
    reconfigure(METRICS_TOKEN="", METRICS_NETWORKS="10.20.0.0/16, fd00::/8")
    app = create_app(get_settings())
    for address, answer in (("10.20.3.4", 200), ("fd00::7", 200), ("10.21.0.1", 403), ("127.0.0.1", 403)):
        with TestClient(app, client=(address, 50000)) as scraper:
            response = scraper.get("/metrics", headers={"Authorization": "Bearer "})
        assert response.status_code == answer, address
        assert ("baro_messages" in response.text) is (answer == 200)


def test_a_scrape_shows_what_it_can_while_redis_and_the_database_are_down(reconfigure, clean_state, tmp_path):
    reconfigure(
        REDIS_URL=f"unix://{tmp_path / 'no-redis.sock'}",
        DATABASE_URL=f"sqlite:///{tmp_path / 'no-tables.sqlite3'}",
    )
    with TestClient(create_app(get_settings())) as client:
        scraped = scrape(client)
    assert scraped("baro_metrics_source_up", source="redis") == 0
    assert scraped("baro_metrics_source_up", source="database") == 0
    assert "baro_queue_jobs" not in scraped.text and "baro_protection_alerts_pending" not in scraped.text
    assert scraped("baro_http_requests_total") > 0  # what this process counted is still there


def test_one_scrape_adds_up_every_web_and_worker_process_of_the_host(twilio, settings, tmp_path):
    """`baro web` with two workers and `baro worker` on one host: any web worker's /metrics shows them all."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "VAR_DIR": str(tmp_path / "var"),
        "PORT": str(port),
        "PUBLIC_URL": base,
        "WEB_CONCURRENCY": "2",
        "METRICS_TOKEN": "",  # Prometheus on this host: loopback needs no token
        "PROTECTION_ALERT_NUMBERS": "+22370000099",  # the worker sends the report's alert
    }
    web = start_baro("web", env=env, log=tmp_path / "web.log")
    worker = start_baro("worker", env=env, log=tmp_path / "worker.log")
    try:
        wait_for(lambda: healthy(f"{base}/healthz"), 60, "baro web")
        for body in CONFIDENTIAL:
            with httpx.Client() as one_connection:  # a new connection each: either web worker may take it
                response = signed_post(one_connection, base, settings.twilio_auth_token, "+22370000031", body)
            assert response.status_code == 200, response.text
        wait_for(lambda: twilio.sent, 60, "the worker to send the focal point's alert")

        def scraped() -> Scraped:
            response = httpx.get(f"{base}/metrics", timeout=10)
            assert response.status_code == 200, response.text
            return Scraped(response.text)

        def totals(metrics: Scraped) -> tuple[float, ...]:
            return (
                metrics("baro_http_requests_total", route=WEBHOOK, method="POST", status="200"),
                metrics("baro_messages_total", direction="in", channel="sms", status="received"),
                metrics("baro_submissions_total", kind="confidential", channel="sms"),
                metrics("baro_messages_total", direction="out", channel="sms", status="queued"),  # by the worker
                metrics("baro_pacing_wait_seconds_count", channel="sms"),  # by the worker
            )

        counted = (len(CONFIDENTIAL), len(CONFIDENTIAL), 1, 1, 1)
        assert totals(scraped()) == counted

        # A web worker killed: gunicorn starts another, and what the dead one counted is still counted.
        workers = descendants(web.pid)
        os.kill(min(workers), signal.SIGKILL)
        wait_for(lambda: len(descendants(web.pid) - workers) == 1, 30, "gunicorn to replace the killed worker")
        wait_for(lambda: healthy(f"{base}/healthz"), 30, "baro web")
        after = scraped()
        assert totals(after) == counted
        assert after("baro_http_requests_in_flight") == 1  # this scrape; none left of the dead worker
    finally:
        stop(web)
        stop(worker)
