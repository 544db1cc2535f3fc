"""baro grows past one machine (issue 14): everything that runs keeps its state in the database and Redis, so
any number of web processes can stand behind a load balancer and any number of RQ workers can run elsewhere.

Two `baro web` and two `baro worker` processes, each on its own (tests/scale_out_support.py), on the
session's database: SQLite here, PostgreSQL in CI's second pass, which is the proof for production.
A person's messages alternate between the web processes; a broadcast's sends are shared by the workers;
nothing is stored, sent or counted twice.
"""

import os
import re
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from rq.job import Job
from rq.registry import FinishedJobRegistry
from sqlalchemy import func, select

from bot.models import Broadcast, Contact, Feedback, Message
from bot.outbound.bulk import BULK_QUEUE
from bot.vocabulary import Direction
from tests.api.test_feedback_api import token_for
from tests.broadcasts.conftest import crowd, received
from tests.conftest import replies, twilio_form
from tests.real_processes import COMPLAINT, wait_for
from tests.scale_out_support import ScaledOut, post_signed

FOCAL_POINTS = ("+22376000001", "+22376000002")
# Language, consent, main menu, confidential report, violence, the text, no call back.
REPORT = ("Bonjour", "1", "1", "4", "1", "Des hommes armés menacent les femmes au point d'eau", "3")
# Enough for several drain slices at the test's pace (100 a second, slices of 0.2 s).
PEOPLE = 200
TEXTS = {"fr": "Distribution de savon samedi à 9 h au site.", "bm": "Safinɛ tila bɛ kɛ sibiri sɔgɔma lɛrɛ 9."}


@pytest.fixture
def line(clean_state, twilio, reconfigure, tmp_path):
    """Two web and two worker processes; the broadcast's pace is slow enough for several drain slices."""
    reconfigure(
        PROTECTION_ALERT_NUMBERS=",".join(FOCAL_POINTS),
        SMS_PER_SECOND=100,
        BULK_SLICE_SECONDS=0.2,
    )
    running = ScaledOut(tmp_path, dict(os.environ))
    try:
        yield running.start()
    finally:
        running.stop()
        print(running.logs())  # captured: pytest shows it with a failure, in setup's or teardown's output


def converse(line: ScaledOut, sender: str, bodies: tuple[str, ...], web: list[int]) -> list[str]:
    """What the person reads after each message, message i sent to web process `web[i]`."""
    said = []
    with httpx.Client(timeout=20) as client:
        for body, n in zip(bodies, web, strict=True):
            response = post_signed(client, line.urls[n], line.env["TWILIO_AUTH_TOKEN"], twilio_form(sender, body))
            assert response.status_code == 200, response.text
            said.append("\n".join(replies(response.text)))
    return said


def contact_of(runtime, phone: str) -> int:
    with runtime.database() as db:
        return db.scalar(select(Contact.id).where(Contact.phone_hash == runtime.vault.lookup_hash(phone)))


def stored(runtime, contact_id: int, direction: Direction = Direction.IN) -> list[str]:
    """The messages stored from (or to) the person, oldest first (sealed ones decrypted)."""
    with runtime.database() as db:
        found = db.scalars(
            select(Message).where(Message.contact_id == contact_id, Message.direction == direction).order_by(Message.id)
        )
        return [runtime.vault.decrypt(m.text_encrypted) if m.text_encrypted else m.text for m in found]


def submissions(runtime, contact_id: int) -> list[Feedback]:
    with runtime.database() as db:
        return list(db.scalars(select(Feedback).where(Feedback.contact_id == contact_id)))


def test_a_conversation_alternating_between_two_web_processes_reads_as_through_one(line, runtime, twilio):
    alternating, single = "+22370000101", "+22370000102"
    said = converse(line, alternating, COMPLAINT, [i % 2 for i in range(len(COMPLAINT))])
    expected = converse(line, single, COMPLAINT, [0] * len(COMPLAINT))

    person, other = contact_of(runtime, alternating), contact_of(runtime, single)
    [feedback], [theirs] = submissions(runtime, person), submissions(runtime, other)
    assert feedback.reference != theirs.reference and feedback.reference in said[-1]
    assert [reply.replace(feedback.reference, "REF") for reply in said] == [
        reply.replace(theirs.reference, "REF") for reply in expected
    ]
    assert stored(runtime, person) == list(COMPLAINT)
    assert stored(runtime, person, Direction.OUT) == said  # each answer kept once, as the person read it
    # A worker takes the submission into triage; the person got their answers in the replies, nothing by SMS.
    wait_for(lambda: all(f.ready_at for f in submissions(runtime, person)), 30, "the submission ready for triage")
    assert [sent.form["To"] for sent in twilio.sent] == []


def test_a_confidential_report_alternating_between_web_processes_alerts_each_focal_point_once(line, runtime, twilio):
    reporter = "+22370000103"
    said = converse(line, reporter, REPORT, [(i + 1) % 2 for i in range(len(REPORT))])

    person = contact_of(runtime, reporter)
    [report] = submissions(runtime, person)
    assert report.confidential and report.reference in said[-1]
    assert stored(runtime, person) == list(REPORT)
    wait_for(lambda: len(twilio.sent) >= len(FOCAL_POINTS), 30, "the focal points' alerts")
    wait_for(lambda: submissions(runtime, person)[0].ready_at, 30, "the report ready for triage")
    # What the workers would send late, if anything were sent twice, has had time to arrive.
    wait_for(line.idle, 10, "the workers idle")
    assert Counter(sent.form["To"] for sent in twilio.sent) == Counter(FOCAL_POINTS)


def test_the_same_message_posted_to_both_web_processes_is_stored_once(line, runtime):
    sender, token = "+22370000104", line.env["TWILIO_AUTH_TOKEN"]
    forms = [twilio_form(sender, body) for body in COMPLAINT[:3]]  # a retry carries the same MessageSid
    with httpx.Client(timeout=20) as client, ThreadPoolExecutor(2) as both:
        said = []
        for form in forms:  # each posted to both processes at once
            answers = list(both.map(lambda url, form=form: post_signed(client, url, token, form), line.urls))
            assert [answer.status_code for answer in answers] == [200, 200], [answer.text for answer in answers]
            first, second = (replies(answer.text) for answer in answers)
            assert first == second and first  # the same answer, whichever process stored the message
            said.append(first)
        # Twilio's retry of the first message, much later, reaches the other process: the answer given then.
        assert replies(post_signed(client, line.urls[1], token, forms[0]).text) == said[0]

    person = contact_of(runtime, sender)
    assert stored(runtime, person) == list(COMPLAINT[:3])
    assert stored(runtime, person, Direction.OUT) == ["\n".join(answer) for answer in said]


def test_a_broadcast_is_sent_by_both_workers_to_each_person_once(line, runtime, twilio):
    # One channel, so one drain at a time (bot.outbound.bulk): the workers share it slice by slice, each
    # slice's continuation taken by whichever worker is free, the very case where a send could go twice.
    people = crowd(runtime, PEOPLE // 2, language="fr") + crowd(runtime, PEOPLE // 2, PEOPLE, language="bm")
    organizer = token_for(runtime, "moussa@ong.ml", "organizer")
    with httpx.Client(base_url=line.urls[1], headers=organizer, timeout=20) as api:
        created = api.post("/api/v1/broadcasts", json={"texts": TEXTS})
        assert created.status_code == 201, created.text
        assert created.json()["recipients"] == PEOPLE
        number = created.json()["id"]
        wait_for(lambda: api.get(f"/api/v1/broadcasts/{number}").json()["status"] == "done", 60, "the broadcast done")
        done = api.get(f"/api/v1/broadcasts/{number}").json()

    assert len(twilio.sent) == PEOPLE  # nobody twice
    assert received(twilio) == {person.phone: [TEXTS[person.language]] for person in people}  # nobody missing
    assert done["counts"] == {"queued": 0, "sent": PEOPLE, "delivered": 0, "failed": 0, "unknown": 0, "cancelled": 0}
    with runtime.database() as db:
        assert db.scalar(select(func.count(Message.id)).where(Message.broadcast_id == number)) == PEOPLE
        assert db.get(Broadcast, number).recipients == PEOPLE

    # Who sent what: each slice's RQ job result names the worker that ran it and says how many it sent.
    slices = sent_by(line)
    print(f"\n{PEOPLE} broadcast messages sent in slices, by `baro worker` process: {slices}")
    assert sum(map(sum, slices.values())) == PEOPLE
    assert set(slices) == {0, 1}


def sent_by(line: ScaledOut) -> dict[int, list[int]]:
    """The drain slices each `baro worker` process ran (0, 1), as how many messages each sent."""
    workers, redis = line.rq_workers(), line.redis()
    slices: dict[int, list[int]] = {}
    for job in Job.fetch_many(FinishedJobRegistry(BULK_QUEUE, connection=redis).get_job_ids(), connection=redis):
        result = job.latest_result()
        if sent := re.fullmatch(r"\w+: (\d+) sent", str(result.return_value)):  # not a drain that found one running
            slices.setdefault(workers[result.worker_name], []).append(int(sent[1]))
    return slices
