"""Providers' delivery reports applied to our messages (bot.outbound.status.record_status).

Reports may arrive out of order, so a message's status only climbs the delivery ladder
(MessageStatus.rank): claimed < queued < sending < sent < delivered = undelivered = failed < read.
A report that is not on it changes nothing; one about a message we never sent is answered False.
Twilio's error 21610 (the number replied STOP to the carrier) opts the person out.
"""

import pytest
from sqlalchemy import select

from bot.db import transaction
from bot.models import Contact, Message, utcnow
from bot.outbound.status import UNSUBSCRIBED, record_status
from bot.vocabulary import Direction, MessageStatus
from tests import domain_support as rows

# (the message's status, the status reported, the status it then has)
LADDER = [
    ("pending", "queued", "queued"),
    ("claimed", "queued", "queued"),
    ("claimed", "sent", "sent"),
    ("queued", "sending", "sending"),
    ("queued", "sent", "sent"),
    ("sent", "delivered", "delivered"),
    ("sent", "undelivered", "undelivered"),
    ("sent", "failed", "failed"),
    ("delivered", "read", "read"),
    ("unknown", "delivered", "delivered"),  # the provider had it after all
    ("retry", "sent", "sent"),
    # out of order: a late report of an earlier step changes nothing
    ("sent", "queued", "sent"),
    ("sent", "sending", "sent"),
    ("delivered", "sent", "delivered"),
    ("read", "delivered", "read"),
    ("failed", "queued", "failed"),
    # the same step again
    ("sent", "sent", "sent"),
    # the final rung is shared: the later report wins
    ("delivered", "undelivered", "undelivered"),
    ("failed", "delivered", "delivered"),
    # not on the ladder: nothing changes
    ("queued", "accepted", "queued"),
    ("sent", "scheduled", "sent"),
    ("sent", "unknown", "sent"),
    ("sent", "pending", "sent"),
    ("sent", "", "sent"),
]


@pytest.fixture
def send(runtime):
    """Store an outgoing message the provider knows as `provider_id`, in `status`; returns its id."""

    def store(status: str | None, provider_id: str = "SM1", direction: str = Direction.OUT) -> int:
        with transaction(runtime.database) as db:
            person = rows.person(db, runtime.vault)
            return rows.message(db, person, "Bonjour", direction=direction, status=status, provider_id=provider_id).id

    return store


def report(runtime, provider_id: str, status: str, code: str | None = None, text: str | None = None) -> bool:
    with transaction(runtime.database) as db:
        return record_status(db, provider_id, status, code, text)


def stored(runtime, message_id: int) -> Message:
    with runtime.database() as db:
        return db.get(Message, message_id)


def test_a_status_only_climbs_the_delivery_ladder(runtime, send):
    messages = {(current, reported): send(current, f"SM{n}") for n, (current, reported, _) in enumerate(LADDER)}
    for n, (_, reported, _) in enumerate(LADDER):
        assert report(runtime, f"SM{n}", reported) is True

    with runtime.database() as db:
        got = {step: db.get(Message, message_id) for step, message_id in messages.items()}
    assert {step: message.status for step, message in got.items()} == {
        (current, reported): expected for current, reported, expected in LADDER
    }
    # The time of the status is that of the report that set it; a report that changes nothing leaves none.
    assert {step for step, message in got.items() if message.status_at is not None} == {
        (current, reported) for current, reported, expected in LADDER if expected == reported
    }


def test_the_ladder_is_the_one_the_vocabulary_defines():
    rungs = {status.value: status.rank for status in MessageStatus if status.rank is not None}
    assert rungs == {
        "claimed": 0, "queued": 1, "sending": 2, "sent": 3, "delivered": 4, "undelivered": 4, "failed": 4, "read": 5,
    }


def test_a_failure_keeps_the_providers_error_code_and_message(runtime, send):
    message_id = send("sent")
    report(runtime, "SM1", "undelivered", "30003", "Unreachable destination handset")
    message = stored(runtime, message_id)
    assert (message.status, message.error_code, message.error_message) == (
        "undelivered",
        "30003",
        "Unreachable destination handset",
    )


def test_the_error_of_a_report_that_arrives_too_late_is_not_kept(runtime, send):
    message_id = send("read")
    report(runtime, "SM1", "failed", "30008", "Unknown error")
    message = stored(runtime, message_id)
    assert (message.status, message.error_code, message.error_message) == ("read", None, None)


def test_a_report_about_a_message_we_never_sent_is_answered_false(runtime, send):
    inbound_id = send(None, provider_id="SM-in", direction=Direction.IN)
    assert report(runtime, "SM-nobody", "delivered") is False
    assert report(runtime, "SM-in", "delivered") is False  # the person's own message is not ours to report on
    assert stored(runtime, inbound_id).status is None


def test_a_number_that_replied_stop_to_the_carrier_is_opted_out(runtime, send):
    message_id = send("queued")
    report(runtime, "SM1", "failed", UNSUBSCRIBED, "Attempt to send to unsubscribed recipient")
    message = stored(runtime, message_id)
    assert (message.status, message.error_code) == ("failed", "21610")
    with runtime.database() as db:
        assert db.get(Contact, message.contact_id).opted_out_at is not None


def test_a_late_stop_report_still_opts_out_and_keeps_the_first_opt_out_time(runtime, send):
    message_id = send("read")
    earlier = utcnow().replace(year=2024)
    with transaction(runtime.database) as db:
        db.scalars(select(Contact)).one().opted_out_at = earlier
    report(runtime, "SM1", "failed", UNSUBSCRIBED, "Attempt to send to unsubscribed recipient")
    with runtime.database() as db:
        contact = db.get(Contact, stored(runtime, message_id).contact_id)
        assert contact.opted_out_at == earlier


def test_another_error_does_not_opt_out(runtime, send):
    message_id = send("queued")
    report(runtime, "SM1", "failed", "30006", "Landline or unreachable carrier")
    with runtime.database() as db:
        assert db.get(Contact, stored(runtime, message_id).contact_id).opted_out_at is None
