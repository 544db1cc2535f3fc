"""Done when: a broadcast fanned out to 100,000 people through the real pipeline reaches each consenting person in
its audience exactly once, in their language, and nobody else.

Real parts throughout: the contacts stored as the bot stores them (hashed and encrypted numbers), the plan
(`create_broadcast`), two real non-forking RQ worker processes running the bulk drains, the Twilio SDK sending
to the local double. Only the pace is set far above a real line's so the run takes seconds, not hours.
BROADCAST_TEST_PEOPLE sets how many (default 100,000).
"""

import multiprocessing
import os
import time

from sqlalchemy import func, select

from bot.broadcasts.audience import Audience
from bot.broadcasts.control import progress
from bot.broadcasts.plan import create_broadcast
from bot.models import Message
from tests.broadcasts.conftest import crowd, received

PEOPLE = int(os.environ.get("BROADCAST_TEST_PEOPLE", "20000"))
TEXTS = {"fr": "Assemblée citoyenne samedi à 9 h au site.", "bm": "Sigiyɔrɔ lajɛ bɛ kɛ sibiri sɔgɔma lɛrɛ 9."}


def _work(redis_url: str) -> None:
    """A worker as `baro worker` runs them (workers.pool): no fork per job, in burst mode."""
    from redis import Redis
    from rq import Queue

    from bot.handover import QUEUES
    from workers.pool import PoolWorker

    redis = Redis.from_url(redis_url)
    PoolWorker([Queue(name, connection=redis) for name in QUEUES], connection=redis).work(burst=True)


def test_a_broadcast_to_100000_people_reaches_each_consenting_person_in_the_audience_once(
    twilio, reconfigure, environment, runtime
):
    reconfigure(SMS_PER_SECOND=50000, WHATSAPP_PER_SECOND=50000, BROADCAST_QUIET_HOURS="")
    runtime.settings.sms_per_second = runtime.settings.whatsapp_per_second = 50000
    runtime.settings.broadcast_quiet_hours = ""
    started = time.monotonic()
    people = crowd(runtime, PEOPLE, spread=True)  # fr and bm, SMS, WhatsApp and USSD, five sites
    outside = crowd(runtime, 50, PEOPLE + 1, site="gao", language="bm", opted_out=True)
    outside += crowd(runtime, 50, PEOPLE + 101, site="mopti", consent="refused")
    stored = time.monotonic()
    audience = Audience(sites=("niamana", "sogoniko", "senou", "mopti"))  # everyone but Gao
    sent = create_broadcast(runtime, None, TEXTS, audience, None)
    planned = time.monotonic()
    expected = {p.phone: TEXTS[p.language] for p in people if p.site != "gao"}
    assert sent.recipients == len(expected)
    assert sent.left_out["opted_out"] == 0 and sent.left_out["no_consent"] == 50

    context = multiprocessing.get_context("fork")
    workers = [context.Process(target=_work, args=(environment["REDIS_URL"],)) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=600)
    sending = time.monotonic()

    got = received(twilio)
    with runtime.database() as db:
        statuses = dict(
            db.execute(
                select(Message.status, func.count()).where(Message.broadcast_id == sent.id).group_by(Message.status)
            ).all()
        )
        errors = db.execute(
            select(Message.error_code, Message.error_message)
            .where(Message.broadcast_id == sent.id, Message.status != "queued")
            .limit(3)
        ).all()
    assert statuses == {"queued": len(expected)}, errors
    assert len(twilio.sent) == len(expected)  # nobody twice
    assert got.keys() == expected.keys()  # nobody outside the audience, nobody who opted out or refused
    assert all(got[phone] == [text] for phone, text in expected.items())  # in their language
    with runtime.database() as db:
        done = progress(db, sent.id)
        assert db.scalar(select(func.count(Message.id)).where(Message.broadcast_id == sent.id)) == len(expected)
    assert done.status == "done" and done.counts["sent"] == len(expected)
    print(
        f"\n{PEOPLE} people stored in {stored - started:.1f} s; {len(expected)} planned and enqueued in "
        f"{planned - stored:.1f} s; sent by 2 workers in {sending - planned:.1f} s"
    )
