"""A send whose worker died after claiming it is marked `unknown` once its lease is over, and sent again only by staff.

A staff reply goes through the real pipeline: a real RQ worker in a process of its own claims it and
calls the Twilio double, which receives it and is slow to answer; the worker is SIGKILLed right then,
so the person may have the message and baro cannot know. The sweep runs as `baro cron` runs it.
"""

import html
import threading
import time
from datetime import timedelta

import pytest
from pydantic import ValidationError
from rq import Queue
from sqlalchemy import select, update

from bot.config import Settings
from bot.db import transaction
from bot.handover import INTAKE_QUEUE
from bot.models import CaseEvent, Message, utcnow
from bot.outbound.sending import LEASE_EXPIRED, expire_leases, send
from tests.admin_support import csrf_of, feedback_by_text, log_in, make_staff, submit_complaint
from tests.conftest import run_worker
from tests.worker_faults import kill_worker, start_worker

COMPLAINT = "Les latrines débordent au bloc D"
REPLY = "Une équipe passe demain matin."


def wait_until(condition, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def sweep_as_cron_does(runtime) -> None:
    Queue(INTAKE_QUEUE, connection=runtime.redis).enqueue("workers.jobs.sweep_intake")
    run_worker(runtime.redis)


def the_reply(runtime) -> Message:
    with runtime.database() as db:
        return db.scalars(select(Message).where(Message.text.endswith(f" : {REPLY}"))).one()  # "REF : ..."


def lease_passes(runtime, message_id: int) -> None:
    """The claim was made longer ago than SEND_LEASE_SECONDS."""
    with transaction(runtime.database) as db:
        claimed_at = db.get(Message, message_id).status_at
        earlier = claimed_at - timedelta(seconds=runtime.settings.send_lease_seconds + 1)
        db.execute(update(Message).where(Message.id == message_id).values(status_at=earlier))


@pytest.fixture
def case_with_reply(twilio, client, phone, runtime):
    """A complaint in triage, and an admin signed in on `client` who has just replied to it (not yet sent)."""
    submit_complaint(phone, COMPLAINT)
    run_worker(runtime.redis)
    make_staff(runtime, "admin@ong.ml", "admin")
    assert log_in(client, "admin@ong.ml").status_code == 303
    reference = feedback_by_text(runtime, COMPLAINT).reference
    token = csrf_of(client.get(f"/admin/cases/{reference}").text)
    answer = client.post(f"/admin/cases/{reference}/reply", data={"csrf": token, "text": REPLY}, follow_redirects=False)
    assert answer.status_code == 303
    twilio.reset()  # only the reply from here on
    assert the_reply(runtime).status == "pending"
    return reference


def send_again(client, message_id: int):
    token = csrf_of(client.get("/admin/sends").text)
    return client.post(f"/admin/sends/{message_id}/again", data={"csrf": token}, follow_redirects=False)


def test_a_send_cut_off_mid_send_is_unknown_after_its_lease_and_goes_again_once_on_staff_word(
    twilio, case_with_reply, client, phone, runtime, redis_url
):
    # The provider receives the reply and is slow to answer; the worker dies meanwhile.
    twilio.delay = 30
    worker = start_worker(redis_url)
    wait_until(lambda: len(twilio.requests) == 1)
    kill_worker(worker)
    twilio.delay = 0
    reply = the_reply(runtime)
    assert reply.status == "claimed" and len(twilio.sent) == 1  # the person may well have it

    # Within its lease it is left alone: a live send may be that slow.
    sweep_as_cron_does(runtime)
    assert the_reply(runtime).status == "claimed"

    lease_passes(runtime, reply.id)
    sweep_as_cron_does(runtime)
    reply = the_reply(runtime)
    assert (reply.status, reply.error_code) == ("unknown", LEASE_EXPIRED)
    sweep_as_cron_does(runtime)
    assert len(twilio.requests) == 1  # never sent again on baro's own

    # Staff see it, with the case it is about, and decide.
    client.cookies.set("lang", "fr")
    page = client.get("/admin/sends")
    assert page.status_code == 200
    assert REPLY in page.text and case_with_reply in page.text and "Peut-être envoyés" in page.text
    assert send_again(client, reply.id).status_code == 303
    assert "Renvoyé" in client.get("/admin/sends").text
    run_worker(runtime.redis)

    assert [sent.form["To"] for sent in twilio.sent] == [phone.number, phone.number]
    reply = the_reply(runtime)
    assert (reply.status, reply.provider_id) == ("queued", twilio.sent[-1].sid)
    # A second click finds nothing to send again.
    assert send_again(client, reply.id).status_code == 303
    assert "n'attend plus de décision" in html.unescape(client.get("/admin/sends").text)
    run_worker(runtime.redis)
    assert len(twilio.sent) == 2
    # The case's trail says who sent it again.
    trail = client.get(f"/admin/cases/{case_with_reply}").text
    assert "Message renvoyé, il était : peut-être envoyé" in trail
    with runtime.database() as db:
        (event,) = db.scalars(select(CaseEvent).where(CaseEvent.action == "sent_again")).all()
        assert event.actor.email == "admin@ong.ml"


def test_an_answer_arriving_after_the_lease_is_recorded_if_nobody_sent_it_again(twilio, case_with_reply, runtime):
    reply = the_reply(runtime)
    twilio.delay = 1.0
    sending = threading.Thread(target=send, args=(runtime, reply.id))
    sending.start()
    wait_until(lambda: len(twilio.requests) == 1)
    lease = timedelta(seconds=runtime.settings.send_lease_seconds + 1)
    assert expire_leases(runtime, now=utcnow() + lease) == 1
    assert the_reply(runtime).status == "unknown"
    sending.join()
    # The provider's answer came after all: it is the truth, not the guess.
    reply = the_reply(runtime)
    assert (reply.status, reply.provider_id, reply.error_code) == ("queued", twilio.sent[0].sid, None)


def test_an_answer_arriving_after_staff_sent_it_again_changes_nothing(twilio, case_with_reply, client, runtime):
    reply = the_reply(runtime)
    twilio.delay = 1.0
    sending = threading.Thread(target=send, args=(runtime, reply.id))
    sending.start()
    wait_until(lambda: len(twilio.requests) == 1)
    expire_leases(runtime, now=utcnow() + timedelta(seconds=runtime.settings.send_lease_seconds + 1))
    assert send_again(client, reply.id).status_code == 303
    sending.join()
    assert the_reply(runtime).status == "pending"  # the late answer was about the attempt given up
    twilio.delay = 0
    run_worker(runtime.redis)
    assert the_reply(runtime).status == "queued" and the_reply(runtime).provider_id == twilio.sent[-1].sid


def test_the_lease_is_far_longer_than_a_provider_timeout():
    assert Settings().send_lease_seconds == 600
    with pytest.raises(ValidationError):
        Settings(send_lease_seconds=20)
