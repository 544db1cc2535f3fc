"""An RQ worker killed with SIGKILL in the middle of a burst loses nothing and sends nothing twice (issue 9).

While people file complaints and confidential reports and staff answer earlier cases, the pool's RQ
workers are killed outright, one after the other, as the OOM killer or a power cut would: whatever job
each was running dies with it. The pool starts them again; the sweep queues again what the killed jobs
left undone; a send cut off mid-way becomes `unknown` for staff after its lease, never sent blindly.
"""

import time
from collections import Counter
from datetime import timedelta

import httpx
from sqlalchemy import select

from bot.cases import lifecycle
from bot.db import transaction
from bot.handover import AfterCommit
from bot.models import Feedback, Message, ProtectionAlert, StaffUser, utcnow
from bot.outbound.sending import expire_leases
from tests.admin_support import make_staff
from tests.faults.deployment import COMPLAINT, FOCAL_POINTS, NO_CALL_BACK, REPORT, SETTLED, Count, interleaved, settles
from tests.real_processes import wait_for

EARLIER, COMPLAINTS, REPORTS = 6, 12, 4
# Where in the burst a worker is killed: people send one message each in turn, so the descriptions, hence
# the intake and alert jobs, come in its last third.
KILL_AT = (0.7, 0.8, 0.9, 0.95)


def complaint(n: int) -> tuple[str, tuple[str, ...]]:
    return f"+2237300{n:04d}", (*COMPLAINT, f"Plainte numéro {n} : il n'y a plus d'eau au forage")


def report(n: int) -> tuple[str, tuple[str, ...]]:
    return f"+2237400{n:04d}", (*REPORT, f"Signalement numéro {n}", NO_CALL_BACK)


def staff_reply(runtime, staff_id: int, feedback_id: int, text: str) -> None:
    """What the case page's reply does: store the text, then hand its send to RQ."""
    desk = lifecycle.Desk(runtime.catalogues, runtime.settings, runtime.vault)
    with transaction(runtime.database) as db:
        sends = lifecycle.reply(db, db.get(Feedback, feedback_id), db.get(StaffUser, staff_id), text, desk)
    runtime.transactions.hand_over(AfterCommit(messages=sends))


def test_workers_killed_mid_burst_lose_no_submission_no_alert_and_send_nothing_twice(deployment, runtime, twilio):
    count = Count(runtime, twilio)
    with httpx.Client(timeout=20, limits=httpx.Limits(max_keepalive_connections=0)) as client:
        for sender, body in interleaved([complaint(n) for n in range(EARLIER)]):
            deployment.text(client, sender, body)
        wait_for(lambda: count.submissions() == (EARLIER, EARLIER), 60, "the earlier cases in triage")
        with runtime.database() as db:
            earlier = list(db.scalars(select(Feedback.id).order_by(Feedback.id)))
        staff = make_staff(runtime, "awa@ong.ml", "triage")

        burst = interleaved([complaint(EARLIER + n) for n in range(COMPLAINTS)] + [report(n) for n in range(REPORTS)])
        kill_at = {int(len(burst) * at) for at in KILL_AT}
        reply_at = {len(burst) * (k + 1) // (EARLIER + 1): case for k, case in enumerate(earlier)}
        answers, killed = [], []
        for n, (sender, body) in enumerate(burst):
            if n in kill_at:
                killed.append(deployment.kill_a_worker())
            if n in reply_at:
                staff_reply(runtime, staff, reply_at[n], f"Réponse à la plainte {reply_at[n]} : l'équipe passe demain")
            answers.append(deployment.text(client, sender, body))

    refused = [answer for answer in answers if not answer.startswith("<?xml")]
    descriptions = [body for sender, messages in [complaint(n) for n in range(EARLIER + COMPLAINTS)] for body in
                    messages[-1:]] + [messages[-2] for _, messages in [report(n) for n in range(REPORTS)]]
    total = EARLIER + COMPLAINTS + REPORTS

    # The pool started its killed workers again, the sweep queued again what they dropped.
    wait_for(lambda: len(deployment.rq_workers()) == 2, 30, "the pool's two workers again")
    wait_for(lambda: count.submissions() == (total, total), 60, f"{total} submissions ready for triage")
    wait_for(lambda: count.alerts() == (REPORTS, REPORTS), 60, "every protection alert done")
    # Every message sent, or claimed by a worker that died. A live send takes milliseconds: a claim still
    # there after that is a dead worker's. Its lease (ten minutes) is not waited for: the sweep runs as
    # it will then, and marks it `unknown` for staff.
    settles(lambda: set(count.outbound()) <= {*SETTLED, "claimed"}, 60)
    time.sleep(2)
    lease = timedelta(seconds=runtime.settings.send_lease_seconds + 1)
    cut_off = expire_leases(runtime, now=utcnow() + lease)
    settled = count.settled()

    outbound = count.outbound()
    with runtime.database() as db:
        alert_ids = [i for ids in db.scalars(select(ProtectionAlert.message_ids)) for i in ids]
        alert_statuses = Counter(db.scalars(select(Message.status).where(Message.id.in_(alert_ids))))
    alerts_sent = Counter(sent.form["To"] for sent in twilio.sent if "signalement confidentiel" in sent.form["Body"])
    print(
        f"\nworker killed {len(killed)} times ({sum(killed)} mid-job) during {len(burst)} messages and "
        f"{len(reply_at)} staff replies: "
        f"{len(refused)} refused; submissions stored {count.submissions()[0]}/{total}, triage-ready "
        f"{count.submissions()[1]}; alerts done {count.alerts()[1]}/{REPORTS}, alert SMS {dict(alert_statuses)}; "
        f"outbound {dict(outbound)} ({cut_off} cut off mid-send); "
        f"sent to Twilio {len(twilio.sent)}, twice {len(count.sent_twice())}"
    )
    assert settled, dict(outbound)
    assert refused == []
    assert sorted(count.texts()) == sorted(descriptions)  # each stored once, none lost
    assert count.sent_twice() == []
    # Every focal point heard of every report, but for a send a kill cut off: that one is `unknown`, for staff.
    assert sum(alert_statuses.values()) == REPORTS * len(FOCAL_POINTS)
    assert set(alert_statuses) <= {"queued", "sending", "sent", "delivered", "unknown"}
    assert sum(alerts_sent.values()) >= REPORTS * len(FOCAL_POINTS) - alert_statuses["unknown"]
    assert set(alerts_sent) == set(FOCAL_POINTS)
    assert outbound["failed"] == 0
