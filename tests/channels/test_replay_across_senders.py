"""A provider message id belongs to its sender: reusing another person's id gets nothing of theirs (issue 9, item 15).

With the gateway's secret (or Twilio's auth token), someone could replay a message id another
person used and read the answer stored for them. A retry is the same id from the same sender; the
same id from anyone else is refused, and nothing is stored for them.
"""

from sqlalchemy import func, select

from bot.models import Contact, Message
from tests.channels.conftest import GATEWAY_SECRET
from tests.conftest import twilio_form

ALICE, MALLORY = "+22370000061", "+22370000062"


def messages(runtime) -> int:
    with runtime.database() as db:
        return db.scalar(select(func.count()).select_from(Message))


def contacts(runtime) -> int:
    with runtime.database() as db:
        return db.scalar(select(func.count()).select_from(Contact))


def test_the_gateway_refuses_an_id_reused_by_another_sender(gateway, client, runtime):
    form = {"from": ALICE, "text": "Bonjour", "id": "in-7", "secret": GATEWAY_SECRET}
    first = client.post("/webhooks/gateway/sms", data=form)
    assert first.status_code == 200 and "Bamanankan" in first.json()["reply"]
    stored = messages(runtime)

    retried = client.post("/webhooks/gateway/sms", data=form)
    stolen = client.post("/webhooks/gateway/sms", data={**form, "from": MALLORY})

    assert retried.json() == first.json()  # Alice's own retry: the same answer, stored once
    assert stolen.status_code == 409
    assert "Bamanankan" not in stolen.text and "Bienvenue" not in stolen.text
    assert messages(runtime) == stored and contacts(runtime) == 1


def test_twilio_refuses_a_message_sid_reused_by_another_number(phone, make_phone, runtime):
    form = twilio_form(phone.number, "Bonjour")
    assert phone.post(form).status_code == 200
    stored = messages(runtime)

    stolen = make_phone(MALLORY).post({**form, "From": MALLORY})

    assert stolen.status_code == 409
    assert messages(runtime) == stored
