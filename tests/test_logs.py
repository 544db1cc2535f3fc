"""The logs (bot/logs.py): one JSON object per line with LOG_FORMAT=json, and never a phone number, a message text
or a secret (issue 14).

Checked on what the real processes write (`baro web`: gunicorn, uvicorn; `baro worker`: RQ's pool; a process
configured as `baro` does), on what whole conversations with failing sends log before any mask, and on the mask.
"""

import io
import json
import logging
import os
import subprocess
import sys
import textwrap
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import select

from bot import logs
from bot.config import ROOT
from bot.db import transaction, upgrade
from bot.handover import enqueue_sends
from bot.models import Contact
from bot.outbound.store import queue_message
from tests.conftest import run_worker
from tests.real_processes import (
    COMPLAINT,
    free_port,
    healthy,
    signed_post,
    start_baro,
    stop,
    wait_for,
)

NUMBER = "+22370000001"
REPORTER = "+22370000002"
FOCAL_POINTS = ("+22376000001", "+22376000002")
# Language, consent, main menu, confidential report, violence, the text, no call back.
REPORT = ("Bonjour", "1", "1", "4", "1", "Des hommes armés menacent les femmes au point d'eau", "3")
USSD_TOKEN = "ussd-t0ken-for-the-logs"
REPLY = "Le forage de Sénou est réparé, merci Awa."


def json_lines(output: str) -> list[dict]:
    """Each line of `output` as the JSON object it must be (fails naming the first line that is not one)."""
    objects = []
    for line in output.splitlines():
        try:
            parsed = json.loads(line)
        except json.JSONDecodeError:
            pytest.fail(f"not a JSON line: {line!r}\n{output[-3000:]}")
        assert isinstance(parsed, dict), line
        objects.append(parsed)
    assert objects, "nothing was logged"
    return objects


def assert_well_formed(entry: dict) -> None:
    """What a log collector relies on: an ISO 8601 time in UTC, a level, the logger, the message."""
    assert {"time", "level", "logger", "message"} <= entry.keys(), entry
    written = datetime.fromisoformat(entry["time"])
    assert written.utcoffset() == timedelta(0)
    assert abs(datetime.now(UTC) - written) < timedelta(minutes=10)
    assert entry["level"] in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}


def assert_nothing_personal(text: str, *words: str, numbers: tuple[str, ...] = (NUMBER,)) -> None:
    """None of `numbers` (as E.164, as digits, as a form encodes it) and none of `words` (texts, secrets)."""
    forms = [form for number in numbers for form in (number, number[1:], number.replace("+", "%2B"))]
    for secret in (*forms, *words):
        assert secret not in text, [line for line in text.splitlines() if secret in line]


# --- the real processes, with LOG_FORMAT=json ----------------------------------------------------------


@pytest.fixture
def web_env(environment, tmp_path) -> dict[str, str]:
    """`baro web` with a database of its own (never the session's SQLite file), answering as PUBLIC_URL."""
    database = f"sqlite:///{tmp_path / 'web.sqlite3'}"
    upgrade(database)
    port = free_port()
    return {
        **os.environ,
        **environment,
        "DATABASE_URL": database,
        "VAR_DIR": str(tmp_path / "var"),
        "PORT": str(port),
        "PUBLIC_URL": f"http://127.0.0.1:{port}",
        "SMS_PROVIDER": "none",
        "USSD_TOKEN": USSD_TOKEN,
        "LOG_FORMAT": "json",
    }


def test_baro_web_writes_one_json_object_per_line_without_the_number_the_text_or_the_tokens(web_env, tmp_path):
    base, log = web_env["PUBLIC_URL"], tmp_path / "web.log"
    server = start_baro("web", env=web_env, log=log)
    try:
        wait_for(lambda: healthy(f"{base}/healthz"), 60, "the web server")
        with httpx.Client(timeout=10) as client:
            for body in COMPLAINT:
                assert signed_post(client, base, web_env["TWILIO_AUTH_TOKEN"], NUMBER, body).status_code == 200
            form = {"sessionId": "ATUid_logs", "phoneNumber": NUMBER, "serviceCode": "*384*123#", "text": ""}
            assert client.post(f"{base}/webhooks/ussd?token={USSD_TOKEN}", data=form).status_code == 200
        wait_for(lambda: log.read_text().count("/webhooks/ussd?") == 1, 10, "the USSD request's access line")
    finally:
        stop(server)

    written = log.read_text(errors="replace")
    entries = json_lines(written)
    for entry in entries:
        assert_well_formed(entry)
    loggers = {entry["logger"] for entry in entries}
    assert {"gunicorn.error", "uvicorn.error", "uvicorn.access"} <= loggers, loggers
    access = [entry["message"] for entry in entries if entry["logger"] == "uvicorn.access"]
    assert sum("POST /webhooks/twilio/messaging HTTP/1.1" in line for line in access) == len(COMPLAINT), access
    assert any("POST /webhooks/ussd?token=[redacted] HTTP/1.1" in line for line in access), access
    assert_nothing_personal(written, COMPLAINT[-1], USSD_TOKEN, web_env["TWILIO_AUTH_TOKEN"], web_env["SECRET_KEY"])


@pytest.fixture
def contact_id(twilio, make_phone, runtime) -> int:
    """A consented French speaker who has written by SMS."""
    make_phone(NUMBER).converse("Bonjour", "1", "1")
    with runtime.database() as db:
        return db.scalar(select(Contact.id))


def queue_reply(runtime, contact_id: int, text: str) -> None:
    with transaction(runtime.database) as db:
        message_id = queue_message(db, contact_id, "sms", text, "reply").id
    settings = runtime.settings
    enqueue_sends(runtime.redis, [(message_id, "reply")], settings.send_attempts, settings.send_retry_seconds)


def test_baro_worker_writes_json_lines_with_a_failed_job_s_traceback_masked(twilio, contact_id, runtime, tmp_path):
    # Twilio's errors can quote the number ("The 'To' number +223… is not a valid phone number"): a transient
    # one is raised for RQ to retry, and RQ logs its traceback.
    twilio.fail_next(1, status=503, message=f"Service Unavailable for {NUMBER}")
    queue_reply(runtime, contact_id, REPLY)
    log = tmp_path / "worker.log"
    worker = start_baro("worker", "--burst", env={**os.environ, "LOG_FORMAT": "json"}, log=log)
    try:
        assert worker.wait(timeout=60) == 0, log.read_text(errors="replace")[-3000:]
    finally:
        stop(worker)

    written = log.read_text(errors="replace")
    entries = json_lines(written)
    for entry in entries:
        assert_well_formed(entry)
    assert {"rq.worker_pool", "rq.worker"} <= {entry["logger"] for entry in entries}
    (failed,) = [entry for entry in entries if entry["level"] == "ERROR" and entry["logger"] == "rq.worker"]
    assert failed["func"] == "workers.jobs.send_message" and failed["queue"] == "outbound-replies" and failed["job_id"]
    assert "TransientSendError: Unable to create record: Service Unavailable for [redacted]" in failed["message"], (
        failed["message"]
    )
    assert "arguments" not in failed  # RQ's extra fields are chosen: a job's arguments are not logged as such
    assert [request.status for request in twilio.requests] == [503, 201]  # retried by the worker's scheduler
    assert_nothing_personal(written, REPLY, runtime.settings.twilio_auth_token, runtime.settings.secret_key)


# --- what the code logs, before any mask ------------------------------------------------------------------


@pytest.fixture
def focal_points(twilio, reconfigure):
    """Confidential reports alert these numbers by SMS, through the Twilio double; list it before `client`."""
    reconfigure(PROTECTION_ALERT_NUMBERS=",".join(FOCAL_POINTS))


def test_whole_conversations_with_failing_sends_log_no_number_no_text_and_no_secret(
    focal_points, twilio, make_phone, runtime, caplog
):
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.INFO, logger="sqlalchemy.engine")  # its statements; DEBUG would add the result rows
    person = make_phone(NUMBER)
    person.converse(*COMPLAINT)
    make_phone(REPORTER).converse(*REPORT)
    with runtime.database() as db:
        contact = db.scalar(select(Contact.id).order_by(Contact.id))
    twilio.fail_next(2, status=500)
    queue_reply(runtime, contact, REPLY)
    run_worker(runtime.redis)  # the submissions' intake, the focal points' alerts, the reply
    person.send("Merci")

    assert sorted(request.status for request in twilio.requests) == [201, 201, 201, 500, 500]
    # What an operator notices: the jobs that failed, with their traceback; the alert; the statements that ran.
    failures = [r for r in caplog.records if r.name == "rq.worker" and r.levelno == logging.ERROR]
    assert len(failures) == 2 and "TransientSendError" in failures[0].getMessage()
    alerts = [r.getMessage() for r in caplog.records if r.name == "bot.cases.protection"]
    assert any(message.endswith(": 2 focal point(s) alerted") for message in alerts), alerts
    assert "[SQL parameters hidden due to hide_parameters=True]" in caplog.text
    settings = runtime.settings
    words = (COMPLAINT[-1], REPORT[-2], REPLY, settings.twilio_auth_token, settings.secret_key)
    assert_nothing_personal(caplog.text, *words, numbers=(NUMBER, REPORTER, *FOCAL_POINTS))


# --- the mask ---------------------------------------------------------------------------------------------


@pytest.fixture
def written():
    """A logger that writes JSON through the mask into a buffer (not configured globally); the buffer."""
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(logs.JsonFormatter())
    handler.addFilter(logs.Redact({"AUTH-t0ken-of-twilio", "p@ss word!", "p%40ss%20word%21"}))
    logger = logging.getLogger(f"tests.logs.{uuid.uuid4().hex}")
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    return logger, out


@pytest.mark.parametrize(
    "number",
    [NUMBER, NUMBER[1:], "whatsapp:+22370000001", "+223 70 00 00 01", "From=%2B22370000001&Body=x", "tel:+33612345678"],
)
def test_a_phone_number_however_written_is_masked(written, number):
    logger, out = written
    logger.warning("could not reach %s", number)

    (entry,) = json_lines(out.getvalue())
    assert "[redacted]" in entry["message"] and "7000000" not in entry["message"] and "612345" not in entry["message"]


@pytest.mark.parametrize(
    "text",
    [
        "job intake-12 took 0.123456789 s",
        "worker 3f2a1234567890ab started",
        "client 127.0.0.1:54321, at 2025-01-15 10:00:00",
        "case BR-7Q4K, 1234567 rows",
    ],
)
def test_ids_dates_addresses_and_short_numbers_are_left_as_they_are(written, text):
    logger, out = written
    logger.info(text)

    assert json_lines(out.getvalue())[0]["message"] == text


def test_secrets_and_token_parameters_are_masked_in_the_message_and_the_exception(written):
    logger, out = written
    try:
        raise RuntimeError("Twilio said no to +22370000001 with AUTH-t0ken-of-twilio")
    except RuntimeError:
        logger.exception("GET /webhooks/ussd?token=%s HTTP/1.1, password %s", "anything-else", "p@ss word!")

    (entry,) = json_lines(out.getvalue())
    assert entry["message"] == "GET /webhooks/ussd?token=[redacted] HTTP/1.1, password [redacted]"
    assert entry["exception"].startswith("Traceback (most recent call last):")
    assert entry["exception"].endswith("RuntimeError: Twilio said no to [redacted] with [redacted]")


def test_the_secrets_are_those_of_the_settings(settings):
    found = logs.secrets_of(
        settings.model_copy(
            update={
                "ussd_token": "new-ussd-token, old-ussd-token",
                "gateway_secret": "gateway-secret",
                "database_url": "postgresql+psycopg://baro:p%40ss@db/baro",
                "redis_url": "redis://:redis-password@cache:6379/0",
            }
        )
    )

    assert {settings.twilio_auth_token, settings.secret_key, "new-ussd-token", "old-ussd-token"} <= found
    assert {"gateway-secret", "p%40ss", "redis-password"} <= found
    assert "p@ss" not in found  # shorter than any real secret: it would mask ordinary words
    assert settings.twilio_account_sid not in found  # an identifier, not a secret


# --- a whole process configured by `baro`'s configure ---------------------------------------------------

PROCESS = textwrap.dedent(
    """
    import logging, threading, warnings

    from bot import logs
    from bot.config import get_settings

    logs.configure(get_settings())
    logging.getLogger("uvicorn.access").info(
        '%s - "%s %s HTTP/%s" %d', "127.0.0.1:50000", "POST", "/webhooks/ussd?token=t", "1.1", 200
    )
    logging.getLogger("twilio.http_client").info("Query Params: {'To': '+22370000001'}")
    logging.getLogger("bot.somewhere").debug("not at LOG_LEVEL=INFO")
    warnings.warn("a warning of a library")
    thread = threading.Thread(target=lambda: 1 / 0)
    thread.start()
    thread.join()
    raise ValueError("the number +22370000001 is not valid")
    """
)


def run_configured(env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", PROCESS], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )


def test_a_configured_process_logs_warnings_and_uncaught_exceptions_as_json_lines_on_stderr(environment):
    done = run_configured({**os.environ, **environment, "LOG_FORMAT": "json"})

    assert done.returncode == 1 and done.stdout == ""
    entries = json_lines(done.stderr)
    assert [(entry["logger"], entry["level"]) for entry in entries] == [
        ("uvicorn.access", "INFO"),
        ("py.warnings", "WARNING"),
        ("baro", "CRITICAL"),
        ("baro", "CRITICAL"),
    ]
    assert entries[0]["message"] == '127.0.0.1:50000 - "POST /webhooks/ussd?token=[redacted] HTTP/1.1" 200'
    assert entries[2]["exception"].endswith("ZeroDivisionError: division by zero")
    assert entries[3]["exception"].endswith("ValueError: the number [redacted] is not valid")


def test_text_logs_are_masked_too_and_follow_log_level(environment):
    done = run_configured({**os.environ, **environment, "LOG_FORMAT": "text", "LOG_LEVEL": "WARNING"})

    lines = done.stderr.splitlines()
    assert "token=[redacted]" not in done.stderr  # the access line is INFO
    assert any(" WARNING py.warnings: " in line for line in lines), done.stderr
    assert any(" CRITICAL baro: uncaught ValueError" in line for line in lines), done.stderr
    assert "ValueError: the number [redacted] is not valid" in done.stderr
    assert_nothing_personal(done.stderr)
