"""The Twilio double, driven by the real Twilio SDK with its default HTTP client."""

import json
import re
import threading
from datetime import datetime

import pytest
import requests
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from tests.twilio_double import TwilioDouble

SENDER = "+15005550006"
RECIPIENT = "+22376000001"
CALLBACK = "http://testserver/webhooks/twilio/status"


@pytest.fixture
def twilio_api():
    """A started TwilioDouble, stopped after the test."""
    with TwilioDouble() as double:
        yield double


def sdk(double: TwilioDouble, sid: str | None = None, token: str | None = None) -> Client:
    """The way the app builds its client: a plain Client, then the API's base URL."""
    client = Client(sid or double.account_sid, token or double.auth_token)
    client.api.base_url = double.url
    return client


def send(client: Client, **overrides):
    values = {"to": RECIPIENT, "from_": SENDER, "body": "I ni ce", "status_callback": CALLBACK}
    return client.messages.create(**{**values, **overrides})


def test_a_plain_send_is_queued_and_recorded_with_its_form(twilio_api):
    client = sdk(twilio_api)
    assert type(client.http_client) is TwilioHttpClient and client.http_client.session is not None

    message = send(client)

    assert re.fullmatch(r"SM[0-9a-f]{32}", message.sid)
    assert message.status == "queued"
    assert (message.to, message.from_, message.body) == (RECIPIENT, SENDER, "I ni ce")
    assert message.account_sid == twilio_api.account_sid
    assert message.direction == "outbound-api" and message.api_version == "2010-04-01"
    assert message.num_segments == "1" and message.error_code is None and message.price is None
    assert isinstance(message.date_created, datetime)
    assert message.uri == f"/2010-04-01/Accounts/{twilio_api.account_sid}/Messages/{message.sid}.json"
    [recorded] = twilio_api.requests
    assert twilio_api.sent == [recorded]
    assert (recorded.method, recorded.status, recorded.sid, recorded.auth_ok) == ("POST", 201, message.sid, True)
    assert recorded.path == f"/2010-04-01/Accounts/{twilio_api.account_sid}/Messages.json"
    assert recorded.form == {"To": RECIPIENT, "From": SENDER, "Body": "I ni ce", "StatusCallback": CALLBACK}


def test_the_pooled_connection_is_reused_and_fetch_works(twilio_api):
    client = sdk(twilio_api)
    first, second = send(client), send(client, body="Aw ni ce " * 30)

    assert first.sid != second.sid
    assert second.num_segments == "2"  # 270 GSM characters
    assert client.messages(second.sid).fetch().body == "Aw ni ce " * 30
    assert [r.status for r in twilio_api.requests] == [201, 201, 200]


def test_wrong_credentials_are_refused_with_401(twilio_api):
    with pytest.raises(TwilioRestException) as refused:
        send(sdk(twilio_api, token="not-the-token"))

    assert (refused.value.status, refused.value.code) == (401, 20003)
    assert refused.value.msg == "Unable to create record: Authenticate"
    [recorded] = twilio_api.requests
    assert (recorded.auth_ok, recorded.status, recorded.sid) == (False, 401, None)
    assert twilio_api.sent == []


def test_an_api_key_is_accepted_as_credentials(twilio_api):
    twilio_api.api_keys["SK" + "1" * 32] = "key-secret"
    client = Client("SK" + "1" * 32, "key-secret", twilio_api.account_sid)
    client.api.base_url = twilio_api.url

    assert send(client).status == "queued"


def test_a_500_raises_once_without_retry_and_the_next_send_succeeds(twilio_api):
    client = sdk(twilio_api)
    twilio_api.fail_next(1, 500)

    with pytest.raises(TwilioRestException) as failed:
        send(client)
    assert (failed.value.status, failed.value.code) == (500, 20500)
    assert failed.value.msg == "Unable to create record: An internal server error has occurred"
    assert [r.status for r in twilio_api.requests] == [500]  # the SDK does not retry

    message = send(client)
    assert message.status == "queued"
    assert [r.status for r in twilio_api.requests] == [500, 201]
    assert [r.sid for r in twilio_api.sent] == [message.sid]


def test_rate_limiting_raises_429_with_code_20429(twilio_api):
    twilio_api.fail_next(1, status=429, code=20429)

    with pytest.raises(TwilioRestException) as limited:
        send(sdk(twilio_api))

    assert (limited.value.status, limited.value.code) == (429, 20429)
    assert [r.status for r in twilio_api.requests] == [429]
    assert twilio_api.sent == []


def test_a_non_json_gateway_error_gets_the_http_status_as_its_code(twilio_api):
    twilio_api.fail_next(1, status=503, body="<html><body>503 Service Unavailable</body></html>")

    with pytest.raises(TwilioRestException) as failed:
        send(sdk(twilio_api))

    assert (failed.value.status, failed.value.code) == (503, 503)
    assert failed.value.msg == "Unable to create record"


@pytest.mark.parametrize("recipient", [RECIPIENT, f"whatsapp:{RECIPIENT}"])
def test_an_opted_out_number_is_refused_with_21610(twilio_api, recipient):
    twilio_api.opted_out.add(RECIPIENT)

    with pytest.raises(TwilioRestException) as refused:
        send(sdk(twilio_api), to=recipient)

    assert (refused.value.status, refused.value.code) == (400, 21610)
    assert "unsubscribed recipient" in refused.value.msg
    assert [r.status for r in twilio_api.requests] == [400] and twilio_api.sent == []


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"to": "", "from_": SENDER, "body": "I ni ce"}, 21604),
        ({"to": "76000001", "from_": SENDER, "body": "I ni ce"}, 21211),
        ({"to": "whatsapp:22376000001", "from_": SENDER, "body": "I ni ce"}, 21211),
        ({"to": RECIPIENT, "body": "I ni ce"}, 21603),
        ({"to": RECIPIENT, "from_": SENDER}, 21619),
        ({"to": RECIPIENT, "from_": SENDER, "body": ""}, 21619),
    ],
)
def test_invalid_messages_are_refused_like_twilio(twilio_api, fields, code):
    with pytest.raises(TwilioRestException) as refused:
        sdk(twilio_api).messages.create(**fields)

    assert (refused.value.status, refused.value.code) == (400, code)
    assert [r.status for r in twilio_api.requests] == [400] and twilio_api.sent == []


def test_a_dropped_connection_raises_connection_error_and_the_pool_recovers(twilio_api):
    client = sdk(twilio_api)
    send(client)  # a kept-alive connection now sits in the SDK's pool
    twilio_api.drop_next(1)

    with pytest.raises(requests.exceptions.ConnectionError) as dropped:
        send(client)
    assert not isinstance(dropped.value, TwilioException)
    assert [r.status for r in twilio_api.requests] == [201, 0]

    assert send(client).status == "queued"
    assert len(twilio_api.sent) == 2


def test_a_slow_answer_times_out_but_the_message_was_sent(twilio_api):
    client = Client(twilio_api.account_sid, twilio_api.auth_token, http_client=TwilioHttpClient(timeout=0.1))
    client.api.base_url = twilio_api.url
    twilio_api.delay = 0.3

    with pytest.raises(requests.exceptions.ReadTimeout):
        send(client)

    assert len(twilio_api.sent) == 1  # Twilio took it: a retry would send it twice


def test_a_whatsapp_template_send_is_recorded_with_its_content(twilio_api):
    variables = json.dumps({"1": "x"})

    message = sdk(twilio_api).messages.create(
        to=f"whatsapp:{RECIPIENT}",
        from_=f"whatsapp:{SENDER}",
        content_sid="HX" + "a" * 32,
        content_variables=variables,
        status_callback=CALLBACK,
    )

    assert message.status == "queued" and message.to == f"whatsapp:{RECIPIENT}"
    [recorded] = twilio_api.sent
    assert recorded.form == {
        "To": f"whatsapp:{RECIPIENT}",
        "From": f"whatsapp:{SENDER}",
        "ContentSid": "HX" + "a" * 32,
        "ContentVariables": '{"1": "x"}',
        "StatusCallback": CALLBACK,
    }


def test_a_messaging_service_send_is_accepted_without_a_sender(twilio_api):
    service = "MG" + "b" * 32

    message = sdk(twilio_api).messages.create(to=RECIPIENT, messaging_service_sid=service, body="I ni ce")

    assert (message.status, message.from_, message.messaging_service_sid) == ("accepted", None, service)
    assert twilio_api.sent[0].form == {"To": RECIPIENT, "MessagingServiceSid": service, "Body": "I ni ce"}


def test_media_urls_are_recorded_as_a_list(twilio_api):
    urls = ["https://example.org/a.jpg", "https://example.org/b.jpg"]

    message = sdk(twilio_api).messages.create(to=RECIPIENT, from_=SENDER, media_url=urls)

    assert message.num_media == "2"
    assert twilio_api.sent[0].form["MediaUrl"] == urls


def test_status_callback_gives_the_url_and_form_twilio_would_post(twilio_api):
    client = sdk(twilio_api)
    message = send(client)

    url, form = twilio_api.status_callback(message.sid, "delivered")
    assert url == CALLBACK
    assert form == {
        "MessageSid": message.sid,
        "MessageStatus": "delivered",
        "SmsSid": message.sid,
        "SmsStatus": "delivered",
        "AccountSid": twilio_api.account_sid,
        "From": SENDER,
        "To": RECIPIENT,
        "ApiVersion": "2010-04-01",
    }

    url, form = twilio_api.status_callback(message.sid, "undelivered", error_code=30005)
    assert (url, form["MessageStatus"], form["ErrorCode"]) == (CALLBACK, "undelivered", "30005")
    fetched = client.messages(message.sid).fetch()
    assert (fetched.status, fetched.error_code) == ("undelivered", 30005)


def test_a_message_without_a_callback_has_no_callback_url(twilio_api):
    message = sdk(twilio_api).messages.create(to=RECIPIENT, from_=SENDER, body="I ni ce")

    assert twilio_api.status_callback(message.sid, "sent")[0] is None


def test_concurrent_sends_are_all_recorded(twilio_api):
    sids: list[str] = []

    def worker():
        client = sdk(twilio_api)
        for _ in range(5):
            sids.append(send(client).sid)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(set(sids)) == 20
    assert sorted(r.sid for r in twilio_api.sent) == sorted(sids)


def test_faults_apply_in_order_then_stop():
    with TwilioDouble() as double:
        client = sdk(double)
        double.fail_next(1, 503)
        double.drop_next(1)
        with pytest.raises(TwilioRestException):
            send(client)
        with pytest.raises(requests.exceptions.ConnectionError):
            send(client)
        send(client)
        assert [r.status for r in double.requests] == [503, 0, 201]
        url = double.url

    assert url.startswith("http://127.0.0.1:")
    with pytest.raises(requests.exceptions.ConnectionError):  # stopped: nothing listens any more
        client.messages.create(to=RECIPIENT, from_=SENDER, body="I ni ce")
