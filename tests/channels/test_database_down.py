"""When the database is down, no inbound message is lost (issue 9, item 5).

Every provider path (Twilio messaging, the HTTP gateway, USSD, delivery reports) is posted through
the real app while its connection pool cannot reach the database: the provider gets a 2xx and the
person a short "received, we will answer soon" in their language (a language known from before,
or every language for someone never seen, like the first screen). The request waits encrypted in
the spool on local disk. Once the database answers again, the app's own flusher replays the spool
in order through the same conversation: each message is stored exactly once, a complaint finished
during the outage reaches the triage queue, and the answers the person could not get then go out
by SMS.
"""

import os
import socket
import stat
import time
import uuid
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from bot.app import create_app
from bot.config import Settings
from bot.models import Contact, Feedback, Message
from bot.vocabulary import Direction, MessageStatus
from tests.channels.support import a_contact, sent_message
from tests.channels.ussd_aggregator import TOKEN, USSD, Aggregator
from tests.conftest import Phone, run_worker, sign, twilio_form
from tests.spool.outage import BAMBARA, EVERY_LANGUAGE, EVERY_LANGUAGE_BY_SMS, FRENCH, Database

GATEWAY_SECRET = "down-secret"
DESCRIPTION = "Le centre de santé est fermé depuis lundi"


@pytest.fixture
def spool_dir(tmp_path, reconfigure):
    """A spool of this test's own, flushed often; list it before `settings` and `client`."""
    directory = tmp_path / "var" / "spool"
    reconfigure(SPOOL_DIR=str(directory), SPOOL_FLUSH_SECONDS="0.2", GATEWAY_SECRET=GATEWAY_SECRET)
    return directory


@pytest.fixture
def database(client):
    return Database(client.app.state.runtime.engine)


def spooled(directory) -> list:
    # Each entry's kind as the directory listed it: a stat after the listing would miss a file the replay renamed
    # meanwhile (claimed), and the spool would look empty while its last request is still being replayed.
    with os.scandir(directory) as entries:
        return sorted(Path(e.path) for e in entries if e.is_file(follow_symlinks=False) and not e.name.startswith("."))


def inbound(runtime, provider_ids) -> list[Message]:
    with runtime.database() as db:
        return list(
            db.scalars(
                select(Message)
                .where(Message.direction == Direction.IN, Message.provider_id.in_(provider_ids))
                .order_by(Message.id)
            )
        )


def feedbacks(runtime) -> list[Feedback]:
    with runtime.database() as db:
        return list(db.scalars(select(Feedback)))


def wait_for(condition, seconds: float = 15.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if value := condition():
            return value
        time.sleep(0.05)
    raise AssertionError("timed out")


def gateway_post(client, sender: str, text: str, message_id: str):
    form = {"from": sender, "text": text, "id": message_id, "secret": GATEWAY_SECRET}
    return client.post("/webhooks/gateway/sms", data=form)


def twilio_status(client, settings, sid: str, status: str):
    form = {"MessageSid": sid, "MessageStatus": status, "AccountSid": "AC" + "0" * 32}
    url = "http://testserver/webhooks/twilio/status"
    signature = sign(settings.twilio_auth_token, url, form)
    return client.post("/webhooks/twilio/status", data=form, headers={"X-Twilio-Signature": signature})


def test_nothing_is_lost_while_the_database_is_down(spool_dir, twilio, client, database, settings, runtime, capsys):
    french = Phone(client, "+22370000011", settings.twilio_auth_token)
    bambara = Phone(client, "+22370000012", settings.twilio_auth_token)
    stranger = Phone(client, "+22370000013", settings.twilio_auth_token)
    french.converse("Bonjour", "1", "1", "1", "2")  # French, consent, a complaint at site 2: its category is next
    bambara.converse("Bonjour", "2", "1")  # Bambara, consent: at the main menu
    staff_reply = sent_message(runtime, a_contact(runtime, "+22370000016"), "Votre cas avance.")

    database.down()
    sids = [f"SM{uuid.uuid4().hex}" for _ in range(4)]
    answers = [
        french.send("3", sid=sids[0]),  # health
        french.send(DESCRIPTION, sid=sids[1]),  # the description: submitted
        bambara.send("5", sid=sids[2]),
        stranger.send("Bonjour", sid=sids[3]),
    ]
    by_gateway = gateway_post(client, "+22370000014", "Bonjour", "down-1")
    dialled = {"sessionId": "ATUid_down", "phoneNumber": "+22370000015", "text": ""}
    by_ussd = client.post(f"{USSD}?token={TOKEN}", data=dialled)
    report = twilio_status(client, settings, staff_reply.provider_id, "delivered")
    # Requests that fail verification or parsing are refused as always, and kept nowhere.
    forged = french.post(twilio_form(french.number, "Bonjour"), signature="forged")
    malformed = client.post("/webhooks/gateway/sms", data={"text": "Bonjour", "secret": GATEWAY_SECRET})
    health = client.get("/healthz")

    # The person is answered at once, in their language; every provider got a 2xx.
    assert answers == [FRENCH, FRENCH, BAMBARA, EVERY_LANGUAGE_BY_SMS]
    assert by_gateway.status_code == 200 and by_gateway.json() == {"reply": EVERY_LANGUAGE_BY_SMS}
    assert by_ussd.status_code == 200 and by_ussd.text == f"END {EVERY_LANGUAGE}"
    assert report.status_code == 204
    assert (forged.status_code, malformed.status_code) == (403, 400)
    assert health.status_code == 200
    assert health.json() == {"database": "down", "redis": "up", "spool": {"waiting": 7, "failed": 0, "writable": True}}

    # Kept on disk, in a directory private to the service's user, encrypted: no number, no text in clear.
    files = spooled(spool_dir)
    assert len(files) == 7
    assert stat.S_IMODE(spool_dir.stat().st_mode) == 0o700
    assert {stat.S_IMODE(path.stat().st_mode) for path in files} == {0o600}
    for path in files:
        content = path.read_bytes()
        assert b"70000011" not in content and "santé".encode() not in content and b"Bonjour" not in content
    assert inbound(runtime, sids) == []  # nothing reached the database

    database.up()
    ids = [*sids, "gw:down-1"]
    stored = wait_for(lambda: (found := inbound(runtime, ids)) and len(found) == len(ids) and found)
    wait_for(lambda: not spooled(spool_dir))
    # Each stored once, in the order they arrived.
    assert [message.provider_id for message in stored] == ids
    assert [message.text for message in stored] == ["3", DESCRIPTION, "5", "Bonjour", "Bonjour"]
    with runtime.database() as db:
        ussd = db.scalars(select(Message).where(Message.channel == "ussd", Message.direction == Direction.IN)).all()
        assert len(ussd) == 1
        assert db.get(Message, staff_reply.id).status == MessageStatus.DELIVERED
        (complaint,) = db.scalars(select(Feedback)).all()
        assert (complaint.kind, complaint.category, complaint.text) == (
            "complaint",
            "health",
            DESCRIPTION,
        )
        # The report counts from when the person sent it, not from when the database came back.
        assert complaint.created_at == stored[1].created_at

    # A provider's retry arriving after the database is back is recognised: no duplicate.
    retry = french.post(twilio_form(french.number, DESCRIPTION, sid=sids[1]))
    assert retry.status_code == 200 and "Référence" in retry.text
    assert len(inbound(runtime, sids)) == 4

    # The complaint finished during the outage is in the triage queue, and the answers the person
    # could not get then (the reference!) go out by SMS.
    run_worker(runtime.redis)
    with runtime.database() as db:
        assert db.scalar(select(Feedback.ready_at)) is not None
    texts = {}
    for request in twilio.sent:
        texts.setdefault(request.form["To"], []).append(request.form["Body"])
    assert any(complaint.reference in text for text in texts["+22370000011"])
    assert any("Référence" in text for text in texts["+22370000011"])
    assert "+22370000013" in texts  # the stranger gets the language menu

    with capsys.disabled():
        print(
            f"\ndatabase down: {7 + 2} requests, {7} answered 2xx, 2 refused (403, 400), {len(files)} spooled;"
            f" back: {len(stored) + 2} replayed (5 messages, 1 USSD request, 1 delivery report),"
            f" {len(inbound(runtime, ids))} stored, duplicates after a retry: {len(inbound(runtime, sids)) - 4}"
        )


def test_the_language_is_known_without_the_database(spool_dir, twilio, client, database, settings, runtime):
    """Someone who chose Bambara gets the Bambara notice; with Redis down too, every language."""
    person = Phone(client, "+22370000021", settings.twilio_auth_token)
    person.converse("Bonjour", "2", "1")
    with runtime.database() as db:
        assert db.scalar(select(Contact.language)) == "bm"
    database.down()
    assert person.send("1") == BAMBARA


def test_with_redis_down_too_the_answer_is_in_every_language(spool_dir, twilio, client, settings, runtime):
    person = Phone(client, "+22370000022", settings.twilio_auth_token)
    person.converse("Bonjour", "2", "1")  # Bambara, remembered in Redis
    broken = Settings(**{**settings.model_dump(), "redis_url": "redis://127.0.0.1:1/0"})
    sid = f"SM{uuid.uuid4().hex}"
    with TestClient(create_app(broken)) as during:
        Database(during.app.state.runtime.engine).down()
        assert Phone(during, person.number, settings.twilio_auth_token).send("1", sid=sid) == EVERY_LANGUAGE_BY_SMS
        assert during.get("/healthz").json()["redis"] == "down"
    # Kept all the same, and replayed by the process that reaches the database.
    wait_for(lambda: inbound(runtime, [sid]))


def test_a_confidential_report_finished_while_the_database_is_down_is_stored_and_no_text_is_sent(
    spool_dir, twilio, client, database, settings, runtime
):
    person = Phone(client, "+22370000023", settings.twilio_auth_token)
    person.converse("Bonjour", "1", "1", "4")  # a confidential report: what happened?
    database.down()
    assert [person.send(body) for body in ("1", "Mon voisin me menace", "3")] == [FRENCH] * 3
    database.up()
    (report,) = wait_for(lambda: feedbacks(runtime))
    wait_for(lambda: not spooled(spool_dir))  # replayed, and its jobs handed to RQ
    assert report.confidential and report.text is None and report.text_encrypted
    run_worker(runtime.redis)
    # Nothing about it leaves by text: a message arriving later may be read by someone else.
    assert [r for r in twilio.sent if r.form["To"] == person.number] == []


def test_a_ussd_complaint_finished_while_the_database_is_down_is_confirmed_by_sms(
    spool_dir, twilio, client, database, settings, runtime
):
    session = Aggregator(client, phone="+22370000024")
    session.dial()
    session.presses("1", "1", "1", "2", "3")  # French, consent, a complaint, its site, its category
    database.down()
    assert session.press("La latrine est cassée") == f"END {FRENCH}"
    database.up()
    (complaint,) = wait_for(lambda: feedbacks(runtime))
    wait_for(lambda: not spooled(spool_dir))
    assert complaint.text == "La latrine est cassée" and complaint.channel == "ussd"
    run_worker(runtime.redis)
    (sms,) = [r for r in twilio.sent if r.form["To"] == "+22370000024"]
    assert complaint.reference in sms.form["Body"]


def test_a_web_process_whose_database_refuses_connections_keeps_messages_for_the_one_that_can(
    spool_dir, twilio, client, settings, runtime
):
    """A real refused connection: PostgreSQL on a closed port. The web process of the same host that
    reaches the database (here the test's `client`) replays what the other kept."""
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    refused = Settings(**{**settings.model_dump(), "database_url": f"postgresql+psycopg://baro@127.0.0.1:{port}/baro"})
    sids = [f"SM{uuid.uuid4().hex}" for _ in range(5)]
    with TestClient(create_app(refused)) as down:
        person = Phone(down, "+22370000025", settings.twilio_auth_token)
        replies = [person.send(body, sid=sid) for body, sid in zip(("Bonjour", "1", "1", "1", "2"), sids, strict=True)]
        health = down.get("/healthz")
    # Every language until the replay of "1" (French) reaches the other process's language cache.
    assert replies[0] == EVERY_LANGUAGE_BY_SMS and all(reply in (FRENCH, EVERY_LANGUAGE_BY_SMS) for reply in replies)
    assert health.status_code == 200 and health.json()["database"] == "down"
    stored = wait_for(lambda: (found := inbound(runtime, sids)) and len(found) == 5 and found)
    assert [message.provider_id for message in stored] == sids
    assert client.get("/healthz").json() == {"database": "up", "redis": "up"}


def test_without_the_database_nor_a_writable_spool_the_provider_is_told_to_try_later(
    tmp_path, reconfigure, twilio, settings
):
    blocked = tmp_path / "not-a-directory"
    blocked.write_text("")
    unwritable = Settings(**{**settings.model_dump(), "spool_dir": blocked / "spool"})
    with TestClient(create_app(unwritable)) as client:
        Database(client.app.state.runtime.engine).down()
        refused = Phone(client, "+22370000026", settings.twilio_auth_token).post(twilio_form("+22370000026", "Bonjour"))
        health = client.get("/healthz")
    assert (refused.status_code, refused.text) == (503, "the database is unavailable and the request cannot be kept")
    assert health.status_code == 503
    assert health.json() == {"database": "down", "redis": "up", "spool": {"waiting": 0, "failed": 0, "writable": False}}


def test_a_refusal_of_consent_leaves_no_language_behind(spool_dir, twilio, client, database, settings, runtime):
    person = Phone(client, "+22370000027", settings.twilio_auth_token)
    person.converse("Bonjour", "2")  # Bambara chosen: remembered
    assert runtime.redis.keys("baro:language:*")
    person.send("2")  # refuses: only the refusal is kept, not even their language
    assert runtime.redis.keys("baro:language:*") == []
    database.down()
    assert person.send("Bonjour") == EVERY_LANGUAGE_BY_SMS


def test_on_whatsapp_the_answer_the_person_could_not_get_follows_on_whatsapp(
    spool_dir, twilio, client, database, settings, runtime
):
    number = "+22370000028"
    person = Phone(client, f"whatsapp:{number}", settings.twilio_auth_token)
    person.converse("Bonjour", "1", "1")  # French, consent: at the main menu
    database.down()
    assert person.send("5") == FRENCH
    database.up()
    wait_for(lambda: not spooled(spool_dir))
    run_worker(runtime.redis)
    (sent,) = [r for r in twilio.sent if r.form["To"] == f"whatsapp:{number}"]
    assert "Body" in sent.form and "ContentSid" not in sent.form  # within the 24-hour window: free text
