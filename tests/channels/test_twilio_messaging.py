"""Twilio messaging (bot.channels.twilio): what Twilio gets back from each request, and what is stored.

Twilio posts every SMS and WhatsApp message to /webhooks/twilio/messaging and reads our answer as
TwiML; it posts delivery reports to /webhooks/twilio/status. Every request is signed
(`X-Twilio-Signature` over PUBLIC_URL, the path, the query and the form); a retry carries the same
`MessageSid`. Each case below is one such request, posted through the real app.

Sending through Twilio (the `OutgoingCase`s of this adapter) is specified where the real SDK meets
the local double of its API: tests/outbound/test_pipeline.py (the form of an SMS and of a WhatsApp message,
the template outside WhatsApp's 24-hour window, retries after 429/5xx, a refusal kept with its code,
21610 at send time, an answer lost on the way back) and tests/test_twilio_double.py (the double itself).
"""

from dataclasses import dataclass, field
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from bot.channels.twilio import MAX_MEDIA, TwilioMessaging, common_twiml
from bot.models import Contact, Feedback, Message
from tests.channels.support import Inbound, a_contact, count, inbound_messages, opted_out, rows, sent_message, stored
from tests.conftest import TEST_URL, WEBHOOK, Phone, replies, sign, twilio_form

STATUS_PATH = "/webhooks/twilio/status"
NUMBER = "+22370000001"
SID = "SM" + "1" * 32
FORM = "application/x-www-form-urlencoded"
MEDIA = tuple(f"https://api.twilio.com/media/ME{index}" for index in range(12))


def message(**changes: str | None) -> dict[str, str]:
    """The form Twilio posts for an SMS "Bonjour" from NUMBER, with `changes` (None removes a field)."""
    form = {**twilio_form(NUMBER, "Bonjour", SID), **changes}
    return {name: value for name, value in form.items() if value is not None}


def media(count: int) -> dict[str, str]:
    return {f"MediaUrl{index}": MEDIA[index] for index in range(count)}


# How a case's X-Twilio-Signature is made: (auth token, public URL, path with query, form) -> header or None.
SIGNATURES = {
    "by Twilio": lambda token, public, path, form: sign(token, public + path, form),
    "not at all": lambda token, public, path, form: None,
    "with another auth token": lambda token, public, path, form: sign("not-the-token", public + path, form),
    "over another URL": lambda token, public, path, form: sign(token, "http://elsewhere" + path, form),
    "over the URL without its query": lambda token, public, path, form: sign(token, public + WEBHOOK, form),
    "over the address the app sees": lambda token, public, path, form: sign(token, TEST_URL + path, form),
    # Twilio may sign https://host:443/... for https://host/...: both are the URL it called.
    "with the default port written": lambda token, public, path, form: sign(token, with_port(public) + path, form),
}


def with_port(url: str) -> str:
    parts = urlsplit(url)
    return parts._replace(netloc=f"{parts.hostname}:{443 if parts.scheme == 'https' else 80}").geturl()


@dataclass(frozen=True)
class IncomingCase:
    """One request to the messaging webhook, what Twilio gets back, and what is stored."""

    label: str
    form: dict[str, str] = field(default_factory=message)
    raw: bytes | None = None  # a body posted as it is, unsigned, instead of `form`
    query: str = ""  # after the path, e.g. "?region=bamako"
    signed: str = "by Twilio"  # one of SIGNATURES
    tampered: dict[str, str] = field(default_factory=dict)  # fields changed after signing
    env: dict[str, str | None] = field(default_factory=dict)  # settings for this case
    before: tuple[str, ...] = ()  # what the same number texted first
    times: int = 1  # posted this many times (Twilio retries with the same MessageSid)
    status: int = 200
    body: str | None = None  # the exact answer: a refusal's reason
    says: tuple[str, ...] = ()  # in the one TwiML <Message>
    silent: bool = False  # an empty TwiML <Response/>
    stored: Inbound | None = None  # the one inbound message stored; None: nothing at all


BONJOUR = Inbound("sms", NUMBER, "Bonjour", SID)
LANGUAGE_MENU = ("1 Français", "2 Bamanankan")  # as written: WhatsApp keeps ç
# As an SMS carries it (SMS_ALPHABET=auto): its 84 characters are one GSM-7 SMS once ç is folded, 2 UCS-2 parts if not.
SMS_LANGUAGE_MENU = ("1 Francais", "2 Bamanankan")

INCOMING = [
    IncomingCase("a first SMS gets the language menu", says=SMS_LANGUAGE_MENU, stored=BONJOUR),
    IncomingCase(
        "a WhatsApp message is stored on the whatsapp channel, from the number without its prefix",
        form=message(From=f"whatsapp:{NUMBER}", To="whatsapp:+22320000001"),
        says=LANGUAGE_MENU,
        stored=Inbound("whatsapp", NUMBER, "Bonjour", SID),
    ),
    IncomingCase(
        "Twilio's retry gets the same answer and is stored once", times=3, says=SMS_LANGUAGE_MENU, stored=BONJOUR
    ),
    IncomingCase(
        "a number written with 00 instead of + is stored as E.164",
        form=message(From="0022370000001"),
        says=SMS_LANGUAGE_MENU,
        stored=BONJOUR,
    ),
    IncomingCase(
        "spaces around MessageSid and From are not part of them",
        form=message(MessageSid=f" {SID} ", From=f" {NUMBER} "),
        says=SMS_LANGUAGE_MENU,
        stored=BONJOUR,
    ),
    IncomingCase(
        "a sender that is not a number still gets an answer",
        form=message(From="ORANGE-INFO"),
        says=("Bamanankan",),
        stored=Inbound("sms", "ORANGE-INFO", "Bonjour", SID),
    ),
    IncomingCase(
        "a missing Body is an empty message",
        form=message(Body=None),
        says=("Bamanankan",),
        stored=Inbound("sms", NUMBER, "", SID),
    ),
    IncomingCase(
        "an empty Body at the consent question repeats it with a hint",
        form=message(Body=""),
        before=("Bonjour", "1"),
        says=("Répondez avec un des numéros", "J'accepte"),
        stored=Inbound("sms", NUMBER, "", SID),
    ),
    IncomingCase(
        "after STOP, a message is stored and answered with an empty response",
        form=message(Body="encore"),
        before=("Bonjour", "1", "1", "STOP"),
        silent=True,
        stored=Inbound("sms", NUMBER, "encore", SID),
    ),
    IncomingCase(
        "fields Twilio adds without notice are accepted",
        form=message(ProfileName="Awa", NewFieldTwilioAddedToday="x"),
        says=("Bamanankan",),
        stored=BONJOUR,
    ),
    IncomingCase(
        "a Body of MAX_TEXT_CHARS is taken whole",
        form=message(Body="x" * 20),
        env={"MAX_TEXT_CHARS": "20"},
        says=SMS_LANGUAGE_MENU,
        stored=Inbound("sms", NUMBER, "x" * 20, SID),
    ),
    IncomingCase(
        "a MessageSid of 64 characters is taken whole",
        form=message(MessageSid="SM" + "6" * 62),
        says=SMS_LANGUAGE_MENU,
        stored=Inbound("sms", NUMBER, "Bonjour", "SM" + "6" * 62),
    ),
    # Media: the URLs Twilio announces with NumMedia, at most MAX_MEDIA of them.
    IncomingCase(
        "a photo's URL is kept with the message",
        form=message(NumMedia="1", MediaContentType0="image/jpeg", **media(1)),
        says=SMS_LANGUAGE_MENU,
        stored=Inbound("sms", NUMBER, "Bonjour", SID, MEDIA[:1]),
    ),
    IncomingCase(
        "of 12 media, the first 10 URLs are kept",
        form=message(NumMedia="12", **media(12)),
        says=SMS_LANGUAGE_MENU,
        stored=Inbound("sms", NUMBER, "Bonjour", SID, MEDIA[:MAX_MEDIA]),
    ),
    IncomingCase(
        "a MediaUrl beyond NumMedia is not kept",
        form=message(NumMedia="1", **media(2)),
        says=SMS_LANGUAGE_MENU,
        stored=Inbound("sms", NUMBER, "Bonjour", SID, MEDIA[:1]),
    ),
    IncomingCase(
        "a blank NumMedia means no media",
        form=message(NumMedia="", **media(1)),
        says=SMS_LANGUAGE_MENU,
        stored=BONJOUR,
    ),
    IncomingCase(
        "a negative NumMedia means no media",
        form=message(NumMedia="-1", **media(1)),
        says=SMS_LANGUAGE_MENU,
        stored=BONJOUR,
    ),
    IncomingCase(
        "a NumMedia that is not a number is refused",
        form=message(NumMedia="many"),
        status=400,
        body="NumMedia: Input should be a valid integer, unable to parse string as an integer",
    ),
    # What no Twilio request lacks.
    IncomingCase(
        "a message without MessageSid is refused",
        form=message(MessageSid=None),
        status=400,
        body="MessageSid: Field required",
    ),
    IncomingCase("a message without From is refused", form=message(From=None), status=400, body="From: Field required"),
    IncomingCase(
        "a blank MessageSid is refused",
        form=message(MessageSid="  "),
        status=400,
        body="MessageSid: String should have at least 1 character",
    ),
    IncomingCase(
        "a blank From is refused",
        form=message(From=" "),
        status=400,
        body="From: String should have at least 1 character",
    ),
    IncomingCase(
        "a MessageSid over 64 characters is refused",
        form=message(MessageSid="SM" + "6" * 63),
        status=400,
        body="MessageSid: String should have at most 64 characters",
    ),
    IncomingCase(
        "a Body over MAX_TEXT_CHARS is refused",
        form=message(Body="x" * 21),
        env={"MAX_TEXT_CHARS": "20"},
        status=400,
        body="Body: Value error, Body is too long",
    ),
    IncomingCase(
        "a body over MAX_BODY_BYTES is refused before anything else",
        form=message(Body="x" * 70_000),
        status=413,
        body="body too large",
    ),
    IncomingCase(
        "percent-escapes that are not UTF-8 are refused, signed or not",
        raw=b"MessageSid=SM1&From=%2B22370000001&Body=%FF%FE",
        signed="not at all",
        status=400,
        body="the form is not valid UTF-8",
    ),
    IncomingCase(
        "a body that is not UTF-8 is refused",
        raw=b"MessageSid=SM1&From=%2B22370000001&Body=caf\xe9",
        signed="not at all",
        status=400,
        body="the form is not valid UTF-8",
    ),
    # The signature: only Twilio's requests are answered.
    IncomingCase("an unsigned request is refused", signed="not at all", status=403, body="invalid signature"),
    IncomingCase(
        "a request signed with another auth token is refused",
        signed="with another auth token",
        status=403,
        body="invalid signature",
    ),
    IncomingCase(
        "a signature over another URL is refused", signed="over another URL", status=403, body="invalid signature"
    ),
    IncomingCase(
        "a form changed after signing is refused",
        tampered={"Body": "Bonsoir"},
        status=403,
        body="invalid signature",
    ),
    IncomingCase(
        "an unsigned request is refused before its form is read",
        form=message(MessageSid=None, From=None),
        signed="not at all",
        status=403,
        body="invalid signature",
    ),
    IncomingCase(
        "the query string is part of what Twilio signs",
        query="?site=niamana",
        says=SMS_LANGUAGE_MENU,
        stored=BONJOUR,
    ),
    IncomingCase(
        "a signature without the query string is refused",
        query="?site=niamana",
        signed="over the URL without its query",
        status=403,
        body="invalid signature",
    ),
    IncomingCase(
        "behind a proxy, Twilio signs PUBLIC_URL",
        env={"PUBLIC_URL": "https://baro.example.org"},
        says=SMS_LANGUAGE_MENU,
        stored=BONJOUR,
    ),
    IncomingCase(
        "behind a proxy, a signature over PUBLIC_URL with its default port written is taken",
        env={"PUBLIC_URL": "https://baro.example.org"},
        signed="with the default port written",
        says=SMS_LANGUAGE_MENU,
        stored=BONJOUR,
    ),
    IncomingCase(
        "behind a proxy, a signature over the address the app sees is refused",
        env={"PUBLIC_URL": "https://baro.example.org"},
        signed="over the address the app sees",
        status=403,
        body="invalid signature",
    ),
]


@pytest.mark.parametrize("case", INCOMING, ids=[case.label for case in INCOMING])
def test_a_message_webhook_request(case: IncomingCase, reconfigure, request):
    reconfigure(**case.env)
    client, runtime, settings = (request.getfixturevalue(name) for name in ("client", "runtime", "settings"))
    number = case.form.get("From", NUMBER)
    for text in case.before:
        Phone(client, number, settings.twilio_auth_token).send(text)
    before, earlier = rows(runtime), len(inbound_messages(runtime))

    path = WEBHOOK + case.query
    if case.raw is not None:
        post = lambda: client.post(path, content=case.raw, headers={"content-type": FORM})  # noqa: E731
    else:
        signature = SIGNATURES[case.signed](settings.twilio_auth_token, settings.public_url, path, case.form)
        headers = {"X-Twilio-Signature": signature} if signature else {}
        post = lambda: client.post(path, data={**case.form, **case.tampered}, headers=headers)  # noqa: E731
    responses = [post() for _ in range(case.times)]

    for response in responses:
        assert (response.status_code, response.text) == (case.status, responses[0].text)
    response = responses[0]
    if case.status == 200:
        assert response.headers["content-type"].startswith("application/xml")
        if case.silent:
            assert replies(response.text) == []
            assert response.text.replace(" ", "").endswith("<Response/>")
        else:
            (reply,) = replies(response.text)
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
# Delivery reports: Twilio's status, read through TwilioMessaging.statuses, moves our message up
# the delivery ladder and never down; ErrorCode 21610 (the number replied STOP to the carrier)
# opts the person out.


@dataclass(frozen=True)
class StatusCase:
    """Reports Twilio posts about a message we sent, in order, and what our message says afterwards."""

    label: str
    reports: tuple[tuple[str, str | None], ...]  # (MessageStatus, ErrorCode), as Twilio posts them
    extra: dict[str, str] = field(default_factory=dict)  # fields added to each report
    without: tuple[str, ...] = ()  # fields removed from each report
    sid: str | None = None  # the MessageSid reported, if not our message's
    signed: str = "by Twilio"  # one of SIGNATURES
    answer: int = 204  # Twilio gets this back for each report
    status: str = "queued"  # our message's status afterwards (it was `queued`, as Twilio took it)
    error_code: str | None = None
    error_message: str | None = None
    opted_out: bool = False


def reported(status: str, ours: str) -> StatusCase:
    return StatusCase(f"{status} is {ours}", ((status, None),), status=ours)


STATUSES = [
    reported("queued", "queued"),
    reported("sending", "sending"),
    reported("sent", "sent"),
    reported("delivered", "delivered"),
    reported("undelivered", "undelivered"),
    reported("failed", "failed"),
    reported("read", "read"),
    # Twilio's statuses that are not on our ladder change nothing.
    reported("accepted", "queued"),
    reported("scheduled", "queued"),
    reported("canceled", "queued"),
    # Out of order: never back down.
    StatusCase(
        "a late sent after delivered stays delivered",
        (("sent", None), ("delivered", None), ("sent", None)),
        status="delivered",
    ),
    StatusCase("delivered then read is read", (("delivered", None), ("read", None)), status="read"),
    StatusCase("a late delivered after read stays read", (("read", None), ("delivered", None)), status="read"),
    StatusCase("a late queued after sending stays sending", (("sending", None), ("queued", None)), status="sending"),
    # Errors.
    StatusCase(
        "a failed delivery keeps its error code and message",
        (("failed", "30003"),),
        extra={"ErrorMessage": "Unreachable destination handset"},
        status="failed",
        error_code="30003",
        error_message="Unreachable destination handset",
    ),
    StatusCase(
        "21610 keeps its code and opts the person out",
        (("undelivered", "21610"),),
        status="undelivered",
        error_code="21610",
        opted_out=True,
    ),
    StatusCase(
        "21610 in a late report still opts the person out",
        (("delivered", None), ("sent", "21610")),
        status="delivered",
        opted_out=True,
    ),
    # Reports that change nothing.
    StatusCase(
        "a report about a message that is not ours is accepted and changes nothing",
        (("delivered", None),),
        sid="SM" + "0" * 32,
    ),
    StatusCase("an unsigned report is refused", (("delivered", None),), signed="not at all", answer=403),
    StatusCase(
        "a report signed with another auth token is refused",
        (("failed", "21610"),),
        signed="with another auth token",
        answer=403,
    ),
    StatusCase(
        "a report without MessageStatus is refused",
        (("delivered", None),),
        without=("MessageStatus",),
        answer=400,
    ),
]


@pytest.mark.parametrize("case", STATUSES, ids=[case.label for case in STATUSES])
def test_a_delivery_report(case: StatusCase, twilio, client, runtime, settings):
    contact = a_contact(runtime, NUMBER)
    sent = sent_message(runtime, contact, "Votre cas avance.")
    for status, error_code in case.reports:
        url, form = twilio.status_callback(sent.provider_id, status, error_code)
        assert url == TEST_URL + STATUS_PATH
        if case.sid:
            form |= {"MessageSid": case.sid, "SmsSid": case.sid}
        form = {name: value for name, value in (form | case.extra).items() if name not in case.without}
        signature = SIGNATURES[case.signed](settings.twilio_auth_token, settings.public_url, STATUS_PATH, form)
        headers = {"X-Twilio-Signature": signature} if signature else {}
        assert client.post(STATUS_PATH, data=form, headers=headers).status_code == case.answer
    message = stored(runtime, sent.id)
    assert (message.status, message.error_code, message.error_message) == (
        case.status,
        case.error_code,
        case.error_message,
    )
    assert opted_out(runtime, contact) is case.opted_out


def test_every_status_twilio_reports_has_its_case():
    single = {case.reports[0][0] for case in STATUSES if len(case.reports) == 1}
    assert set(TwilioMessaging.statuses) <= single


# ---------------------------------------------------------------------------------------------
# Conversations that go through the webhook.


def test_a_retry_of_a_submission_creates_one_feedback(phone, runtime):
    phone.converse("Bonjour", "1", "1", "1", "1", "2")
    form = twilio_form(phone.number, "La pompe est cassée", sid="SM" + "b" * 32)
    first, retry = phone.post(form), phone.post(form)
    assert replies(first.text) == replies(retry.text)
    assert "Référence" in replies(first.text)[0]
    assert count(runtime, Feedback) == 1


def test_the_answers_within_a_confidential_report_are_not_kept_in_memory(phone):
    common_twiml.cache_clear()
    phone.converse("Bonjour", "1", "1")  # consent, language, the main menu: what everyone is told is kept
    kept = common_twiml.cache_info().currsize
    assert kept == 3
    phone.converse("4", "1", "Il me menace")  # a confidential report, its details given
    assert common_twiml.cache_info().currsize == kept


def test_odd_number_formats_are_one_person(make_phone, runtime):
    make_phone("+22370000009").converse("Bonjour", "2")
    reply = make_phone("0022370000009").send("1")  # same number, international prefix instead of +
    assert "N sònna" not in reply and "Gèlèya dò fò" in reply  # consent accepted, menu in Bambara (folded: 1 SMS)
    assert count(runtime, Contact) == 1


def test_emoji_and_bambara_letters_are_stored_as_sent(phone, runtime):
    phone.converse("Bonjour", "2", "1", "1", "1", "2")
    text = "Ji tɛ yen, ɲɔgɔn ka dɔgɔ 😢 ŋ"
    assert "Nimòrò" in phone.send(text)  # the answer, folded to one SMS; what the person wrote is kept as written
    with runtime.database() as db:
        assert db.scalar(select(Feedback.text)) == text
        assert text in db.scalars(select(Message.text).where(Message.direction == "in")).all()


def test_a_media_only_message_is_kept_and_asks_for_words(phone, runtime):
    phone.converse("Bonjour", "1", "1", "1", "1", "2")
    photo = {"NumMedia": "1", "MediaUrl0": "https://api.twilio.com/media/ME1", "MediaContentType0": "image/jpeg"}
    reply = phone.send("", **photo)
    assert "Écrivez votre message en mots" in reply
    assert inbound_messages(runtime)[-1].media == (photo["MediaUrl0"],)
    assert count(runtime, Feedback) == 0
