"""NUL characters (0x00) from providers: the message is kept, never a 5xx.

PostgreSQL refuses 0x00 in text, so before the adapters took it out a message holding one was answered
with a 500 and lost (Twilio does not retry). Some SMS aggregators deliver the GSM-7 `@` (code 0) as
0x00: on the SMS channels (Twilio SMS, the HTTP gateway) it is read as `@` in the person's text;
elsewhere (WhatsApp, USSD) and in every other field (numbers, ids, delivery errors) it is dropped.
Each case is posted through the real app; on PostgreSQL (TEST_DATABASE_URL) they are the 500s of before.
"""

from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient

from bot.models import Message
from bot.vocabulary import Channel
from tests.channels.conftest import GATEWAY_SECRET
from tests.channels.support import Inbound, a_contact, inbound_messages, sent_message, stored
from tests.channels.ussd_aggregator import PHONE, TOKEN, USSD
from tests.conftest import TEST_URL, WEBHOOK, sign, twilio_form

NUMBER = "+22370000001"
SID = "SM" + "7" * 32


@pytest.fixture
def web(gateway, app):
    """The real app with every channel configured (Twilio, the gateway, USSD), answering a crash with a 500
    as a server would, instead of raising it into the test."""
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def twilio_post(client, form: dict, path: str = WEBHOOK):
    return client.post(path, data=form, headers={"X-Twilio-Signature": sign(_token(client), TEST_URL + path, form)})


def _token(client) -> str:
    return client.app.state.runtime.settings.twilio_auth_token


@dataclass(frozen=True)
class NulCase:
    label: str
    path: str
    form: dict[str, str]
    stored: Inbound


CASES = [
    NulCase(
        "Twilio SMS: 0x00 is the GSM `@`",
        WEBHOOK,
        twilio_form(NUMBER, "Ecrivez a awa\x00ong.ml svp", SID),
        Inbound("sms", NUMBER, "Ecrivez a awa@ong.ml svp", SID),
    ),
    NulCase(
        "WhatsApp: 0x00 is dropped; a field named with one is no field",
        WEBHOOK,
        twilio_form(
            f"whatsapp:{NUMBER}",
            "Bon\x00jour",
            SID,
            To="whatsapp:+22320000001",
            ProfileName="A\x00wa",
            **{"Bo\x00dy": "not the body"},
        ),
        Inbound("whatsapp", NUMBER, "Bonjour", SID),
    ),
    NulCase(
        "Twilio: 0x00 in the sender, the id and a media URL is dropped, not made an `@`",
        WEBHOOK,
        twilio_form(
            "+2237000\x000001",
            "Photo",
            "SM\x00" + "7" * 32,
            NumMedia="1",
            MediaUrl0="https://api.twilio.com/media/ME\x001",
        ),
        Inbound("sms", NUMBER, "Photo", SID, ("https://api.twilio.com/media/ME1",)),
    ),
    NulCase(
        "the HTTP gateway (SMS): 0x00 is the GSM `@`",
        "/webhooks/gateway/sms",
        {"from": "+2237000\x000001", "text": "rdv 10h\x00gare", "id": "in-\x001", "secret": GATEWAY_SECRET},
        Inbound("sms", NUMBER, "rdv 10h@gare", "gw:in-1"),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[case.label for case in CASES])
def test_a_message_holding_a_nul_is_kept(case: NulCase, web, runtime):
    response = twilio_post(web, case.form) if case.path == WEBHOOK else web.post(case.path, data=case.form)

    assert response.status_code == 200, response.text
    assert "Bamanankan" in response.text  # the person got the language menu
    assert inbound_messages(runtime) == [case.stored]


def test_a_ussd_key_press_holding_a_nul_drops_it(web, runtime):
    form = {"sessionId": "ATUid_\x00nul", "phoneNumber": PHONE, "serviceCode": "*384*123#", "text": "1\x00"}

    response = web.post(f"{USSD}?token={TOKEN}", data=form)

    assert response.status_code == 200, response.text
    assert response.text.startswith("CON ")
    assert [(m.channel, m.sender, m.text) for m in inbound_messages(runtime)] == [("ussd", PHONE, "1")]


def test_a_delivery_report_holding_a_nul_is_recorded(web, runtime):
    contact = a_contact(runtime, NUMBER)
    by_twilio = sent_message(runtime, contact, "Votre plainte est reçue", Channel.WHATSAPP)
    status = {
        "MessageSid": by_twilio.provider_id,
        "MessageStatus": "failed",
        "ErrorCode": "300\x0005",
        "ErrorMessage": "Unreachable\x00 handset",
    }

    assert twilio_post(web, status, "/webhooks/twilio/status").status_code == 204

    failed: Message = stored(runtime, by_twilio.id)
    assert (failed.status, failed.error_code, failed.error_message) == ("failed", "30005", "Unreachable handset")


def test_a_gateway_delivery_report_holding_a_nul_is_recorded(web, runtime):
    contact = a_contact(runtime, NUMBER)
    by_gateway = sent_message(runtime, contact, "Votre plainte est reçue")
    report = {
        "id": by_gateway.provider_id.removeprefix("gw:"),
        "status": "undelivered",
        "error": "absent\x00 subscriber",
        "secret": GATEWAY_SECRET,
    }

    assert web.post("/webhooks/gateway/status", data=report).status_code == 204

    assert stored(runtime, by_gateway.id).error_message == "absent subscriber"
