"""The HTTP SMS gateway (bot.channels.gateway): a local aggregator's messages, delivery reports and sends.

The gateway POSTs a form `from`, `text`, `id`, `secret` to /webhooks/gateway/sms and sends the person
the `reply` of our JSON answer; it POSTs `id`, `status`, `error`, `secret` to /webhooks/gateway/status.
We POST `{"to", "text", "reference"}` to GATEWAY_URL with `Authorization: Bearer GATEWAY_TOKEN` and
keep the `id` it answers, prefixed `gw:` beside Twilio's SIDs. Each case is posted through the real
app, or sent by a real RQ worker to a local gateway (tests/channels/conftest.py).
"""

from dataclasses import dataclass, field

import pytest
from sqlalchemy import select

from bot.channels.gateway import HttpGateway
from bot.db import transaction
from bot.models import Contact
from tests.channels.conftest import GATEWAY_SECRET
from tests.channels.support import Inbound, a_contact, inbound_messages, queued, rows, sent_message, stored
from tests.conftest import run_worker

INBOUND = "/webhooks/gateway/sms"
STATUS = "/webhooks/gateway/status"
NUMBER = "+22370000065"
FORM = "application/x-www-form-urlencoded"
# As an SMS carries it (SMS_ALPHABET=auto): its 84 characters are one GSM-7 SMS once ç is folded, 2 UCS-2 parts if not.
LANGUAGE_MENU = ("1 Francais", "2 Bamanankan")


def message(**changes: str | None) -> dict[str, str]:
    """The form the gateway posts for "Bonjour" from NUMBER, with `changes` (None removes a field)."""
    form = {"from": NUMBER, "text": "Bonjour", "id": "in-1", "secret": GATEWAY_SECRET, **changes}
    return {name: value for name, value in form.items() if value is not None}


@dataclass(frozen=True)
class IncomingCase:
    """One request to /webhooks/gateway/sms, what the gateway gets back, and what is stored."""

    label: str
    form: dict[str, str] = field(default_factory=message)
    raw: bytes | None = None  # a body posted as it is, instead of `form`
    query: str = ""
    env: dict[str, str | None] = field(default_factory=dict)
    before: tuple[str, ...] = ()  # what the same number texted first
    times: int = 1  # posted this many times (a gateway's retry carries the same id)
    status: int = 200
    body: str | None = None  # the exact answer: a refusal's reason
    says: tuple[str, ...] = ()  # in the JSON `reply`
    silent: bool = False  # `{"reply": null}`: the gateway sends nothing
    stored: Inbound | None = None  # the one inbound message stored; None: nothing at all


BONJOUR = Inbound("sms", NUMBER, "Bonjour", "gw:in-1")

INCOMING = [
    IncomingCase("a first SMS gets the language menu as the reply", says=LANGUAGE_MENU, stored=BONJOUR),
    IncomingCase(
        "the gateway's retry gets the same answer and is stored once", times=3, says=LANGUAGE_MENU, stored=BONJOUR
    ),
    IncomingCase(
        "spaces around from and id are not part of them",
        form=message(**{"from": f" {NUMBER} ", "id": " in-1 "}),
        says=LANGUAGE_MENU,
        stored=BONJOUR,
    ),
    IncomingCase(
        "a number without its country code is read as Malian",
        form=message(**{"from": "70000065"}),
        says=LANGUAGE_MENU,
        stored=BONJOUR,
    ),
    IncomingCase(
        "a missing text is an empty message",
        form=message(text=None),
        says=LANGUAGE_MENU,
        stored=Inbound("sms", NUMBER, "", "gw:in-1"),
    ),
    IncomingCase(
        "fields the gateway adds are accepted",
        form=message(to="36123", operator="Orange Mali", received_at="2024-05-03T06:04:45Z"),
        says=LANGUAGE_MENU,
        stored=BONJOUR,
    ),
    IncomingCase(
        "after STOP, a message is stored and the reply is null",
        form=message(text="encore"),
        before=("Bonjour", "1", "1", "STOP"),
        silent=True,
        stored=Inbound("sms", NUMBER, "encore", "gw:in-1"),
    ),
    IncomingCase(
        "an id of 60 characters is taken whole",
        form=message(id="i" * 60),
        says=LANGUAGE_MENU,
        stored=Inbound("sms", NUMBER, "Bonjour", "gw:" + "i" * 60),
    ),
    IncomingCase(
        "a text of MAX_TEXT_CHARS is taken whole",
        form=message(text="x" * 20),
        env={"MAX_TEXT_CHARS": "20"},
        says=LANGUAGE_MENU,
        stored=Inbound("sms", NUMBER, "x" * 20, "gw:in-1"),
    ),
    # What no gateway request lacks.
    IncomingCase(
        "a message without from is refused", form=message(**{"from": None}), status=400, body="from: Field required"
    ),
    IncomingCase("a message without id is refused", form=message(id=None), status=400, body="id: Field required"),
    IncomingCase(
        "a blank from is refused",
        form=message(**{"from": "  "}),
        status=400,
        body="from: String should have at least 1 character",
    ),
    IncomingCase(
        "a blank id is refused", form=message(id=" "), status=400, body="id: String should have at least 1 character"
    ),
    IncomingCase(
        "an id over 60 characters is refused",
        form=message(id="i" * 61),
        status=400,
        body="id: String should have at most 60 characters",
    ),
    IncomingCase(
        "a text over MAX_TEXT_CHARS is refused",
        form=message(text="x" * 21),
        env={"MAX_TEXT_CHARS": "20"},
        status=400,
        body="text: Value error, `text` is too long",
    ),
    IncomingCase(
        "a body over MAX_BODY_BYTES is refused",
        form=message(text="x" * 5000),
        env={"MAX_BODY_BYTES": "4096"},
        status=413,
        body="body too large",
    ),
    IncomingCase(
        "a body that is not UTF-8 is refused",
        raw=f"from=%2B22370000065&id=in-1&secret={GATEWAY_SECRET}&text=caf".encode() + b"\xe9",
        status=400,
        body="the form is not valid UTF-8",
    ),
    IncomingCase(
        "percent-escapes that are not UTF-8 are refused",
        raw=f"from=%2B22370000065&id=in-1&secret={GATEWAY_SECRET}&text=caf%E9".encode(),
        status=400,
        body="the form is not valid UTF-8",
    ),
    # The shared secret.
    IncomingCase("a wrong secret is refused", form=message(secret="wrong"), status=403, body="invalid secret"),
    IncomingCase("a missing secret is refused", form=message(secret=None), status=403, body="invalid secret"),
    IncomingCase(
        "the secret in the URL instead of the form is refused",
        form=message(secret=None),
        query=f"?secret={GATEWAY_SECRET}",
        status=403,
        body="invalid secret",
    ),
    IncomingCase(
        "without a configured GATEWAY_SECRET every request is refused, even with an empty secret",
        form=message(secret=""),
        env={"GATEWAY_SECRET": None},
        status=403,
        body="invalid secret",
    ),
    IncomingCase(
        "a request without the secret is refused before its form is read",
        form={"secret": "wrong"},
        status=403,
        body="invalid secret",
    ),
]


def post_message(client, form: dict[str, str], query: str = ""):
    return client.post(INBOUND + query, data=form)


@pytest.mark.parametrize("case", INCOMING, ids=[case.label for case in INCOMING])
def test_a_message_from_the_gateway(case: IncomingCase, gateway, reconfigure, request):
    reconfigure(**case.env)
    client, runtime = request.getfixturevalue("client"), request.getfixturevalue("runtime")
    for index, text in enumerate(case.before):
        earlier = message(**{"from": case.form.get("from", NUMBER), "text": text, "id": f"before-{index}"})
        assert post_message(client, earlier).status_code == 200
    before, earlier = rows(runtime), len(inbound_messages(runtime))

    if case.raw is not None:
        responses = [
            client.post(INBOUND + case.query, content=case.raw, headers={"content-type": FORM})
            for _ in range(case.times)
        ]
    else:
        responses = [post_message(client, case.form, case.query) for _ in range(case.times)]

    for response in responses:
        assert (response.status_code, response.text) == (case.status, responses[0].text)
    response = responses[0]
    if case.status == 200:
        assert response.headers["content-type"] == "application/json"
        reply = response.json()["reply"]
        if case.silent:
            assert response.json() == {"reply": None}
        for words in case.says:
            assert words in reply
    else:
        assert response.headers["content-type"].startswith("text/plain")
        assert response.text == case.body

    if case.stored is None:
        assert rows(runtime) == before  # no message, no contact
    else:
        assert inbound_messages(runtime)[earlier:] == [case.stored]
        assert rows(runtime).outbound - before.outbound == (0 if case.silent else 1)


# ---------------------------------------------------------------------------------------------
# Delivery reports: the gateway's status, read through HttpGateway.statuses.


def report(**changes: str | None) -> dict[str, str]:
    """The report the gateway posts: our message (its id `AGG-1`, as it answered the send) was delivered."""
    form = {"id": "AGG-1", "status": "delivered", "secret": GATEWAY_SECRET, **changes}
    return {name: value for name, value in form.items() if value is not None}


@dataclass(frozen=True)
class StatusCase:
    """Reports the gateway posts about a message it took, in order, and what our message says afterwards."""

    label: str
    reports: tuple[dict[str, str], ...]
    answer: int = 204  # the gateway gets this back for each report
    body: str = ""  # and this text
    status: str = "queued"  # our message's status afterwards (it was `queued`, as the gateway took it)
    error_code: str | None = None
    error_message: str | None = None


def reported(status: str, ours: str) -> StatusCase:
    return StatusCase(f"{status} is {ours}", (report(status=status),), status=ours)


STATUSES = [
    reported("sent", "sent"),
    reported("delivered", "delivered"),
    reported("undelivered", "undelivered"),
    reported("failed", "failed"),
    StatusCase(
        "a late sent after delivered stays delivered",
        (report(status="sent"), report(status="delivered"), report(status="sent")),
        status="delivered",
    ),
    StatusCase(
        "the gateway's error is kept, as the gateway's",
        (report(status="failed", error="Number unreachable"),),
        status="failed",
        error_code="gateway",
        error_message="Number unreachable",
    ),
    StatusCase(
        "a blank error is no error",
        (report(status="undelivered", error=""),),
        status="undelivered",
    ),
    StatusCase(
        "a status the contract does not name is refused and changes nothing",
        (report(status="expired"),),
        answer=400,
        body="status: Input should be 'sent', 'delivered', 'undelivered' or 'failed'",
    ),
    StatusCase(
        "a report without a status is refused",
        (report(status=None),),
        answer=400,
        body="status: Field required",
    ),
    StatusCase(
        "a report without an id is refused",
        (report(id=None),),
        answer=400,
        body="id: Field required",
    ),
    StatusCase(
        "a report about a message that is not ours is accepted and changes nothing",
        (report(id="AGG-2"),),
    ),
    StatusCase(
        "the id is the gateway's own, without our gw: prefix",
        (report(id="gw:AGG-1"),),
    ),
    StatusCase(
        "a report with a wrong secret is refused",
        (report(secret="wrong"),),
        answer=403,
        body="invalid secret",
    ),
    StatusCase(
        "a report without the secret is refused",
        (report(secret=None),),
        answer=403,
        body="invalid secret",
    ),
]


@pytest.mark.parametrize("case", STATUSES, ids=[case.label for case in STATUSES])
def test_a_delivery_report_from_the_gateway(case: StatusCase, gateway, client, runtime):
    sent = sent_message(runtime, a_contact(runtime, NUMBER), "Suivi")
    assert sent.provider_id == "gw:AGG-1"
    for form in case.reports:
        response = client.post(STATUS, data=form)
        assert (response.status_code, response.text) == (case.answer, case.body)
    message = stored(runtime, sent.id)
    assert (message.status, message.error_code, message.error_message) == (
        case.status,
        case.error_code,
        case.error_message,
    )


def test_every_status_of_the_contract_has_its_case():
    single = {case.reports[0].get("status") for case in STATUSES if len(case.reports) == 1}
    assert set(HttpGateway.statuses) <= single


# ---------------------------------------------------------------------------------------------
# Sending: a real RQ worker sends each message to the local gateway.

EVERY_ATTEMPT = "every attempt"  # SEND_ATTEMPTS requests, then the message has failed


@dataclass(frozen=True)
class OutgoingCase:
    """What the gateway answers to our sends, and what becomes of the message."""

    label: str
    answers: tuple[tuple[int, object], ...]  # the gateway's answers in order (HTTP status, JSON or text)
    env: dict[str, str | None] = field(default_factory=dict)
    requests: int | str = 1  # how many sends reached the gateway
    status: str = "queued"
    provider_id: str | None = None
    error_code: str | None = None
    error: str | None = None  # within the stored error message


OUTGOING = [
    OutgoingCase(
        "a message the gateway takes is queued with its id", ((200, {"id": "AGG-1"}),), provider_id="gw:AGG-1"
    ),
    OutgoingCase("a numeric id is kept as text", ((201, {"id": 4711}),), provider_id="gw:4711"),
    OutgoingCase(
        "a busy gateway is asked again until it takes the message",
        ((503, {"error": "busy"}), (200, {"id": "AGG-7"})),
        requests=2,
        provider_id="gw:AGG-7",
    ),
    OutgoingCase(
        "a gateway in trouble is retried until the attempts run out",
        ((503, {"error": "busy"}),),
        requests=EVERY_ATTEMPT,
        status="failed",
        error_code="503",
    ),
    OutgoingCase(
        "a gateway that asks us to slow down is retried",
        ((429, {"error": "slow down"}),),
        requests=EVERY_ATTEMPT,
        status="failed",
        error_code="429",
    ),
    OutgoingCase(
        "a refusal is kept with the gateway's words and not retried",
        ((400, "unknown number"),),
        status="failed",
        error_code="400",
        error="unknown number",
    ),
    OutgoingCase(
        "a gateway that took the message without an id leaves it unknown, never sent again",
        ((200, {"ok": True}),),
        status="unknown",
        error_code="no_id",
    ),
    OutgoingCase(
        "an answer that is not JSON leaves the message unknown",
        ((200, "OK"),),
        status="unknown",
        error_code="no_id",
    ),
    OutgoingCase(
        "a gateway that cannot be reached is retried until the attempts run out",
        ((200, {"id": "AGG-1"}),),
        env={"GATEWAY_URL": "http://127.0.0.1:1/send"},
        requests=0,
        status="failed",
        error_code="network",
    ),
]


@pytest.mark.parametrize("case", OUTGOING, ids=[case.label for case in OUTGOING])
def test_sending_through_the_gateway(case: OutgoingCase, gateway, reconfigure, request):
    reconfigure(**case.env)
    runtime = request.getfixturevalue("runtime")
    gateway.answers = list(case.answers)
    message_id = queued(runtime, a_contact(runtime, NUMBER), "Par l'agrégateur")

    run_worker(runtime.redis)

    expected = runtime.settings.send_attempts if case.requests == EVERY_ATTEMPT else case.requests
    assert len(gateway.received) == expected
    for authorization, body in gateway.received:
        assert authorization == "Bearer out-token"
        assert body == {"to": NUMBER, "text": "Par l'agrégateur", "reference": str(message_id)}
    message = stored(runtime, message_id)
    assert (message.status, message.provider_id, message.error_code) == (
        case.status,
        case.provider_id,
        case.error_code,
    )
    if case.error:
        assert case.error in message.error_message


def test_a_person_who_wrote_through_the_gateway_is_answered_later_through_it(gateway, client, runtime):
    """The round trip: a message in, a later text out to the same number, and its delivery report."""
    assert client.post(INBOUND, data=message()).status_code == 200
    with transaction(runtime.database) as db:
        contact = db.scalars(select(Contact)).one()
        contact.consent = "accepted"
        contact_id = contact.id
    message_id = queued(runtime, contact_id, "Suivi")
    run_worker(runtime.redis)
    ((_, sent),) = gateway.received
    assert sent == {"to": NUMBER, "text": "Suivi", "reference": str(message_id)}
    assert client.post(STATUS, data=report()).status_code == 204
    assert stored(runtime, message_id).status == "delivered"
