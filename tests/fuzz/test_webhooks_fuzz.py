"""Fuzzing every provider webhook: never a 5xx, never a lost text.

What is fuzzed (hypothesis, a bounded and fixed number of cases: see tests/fuzz/conftest.py for FUZZ_EXAMPLES),
on every route the channel adapters declare (bot.channels: Twilio's messages and delivery reports, the HTTP
gateway's messages and delivery reports, USSD, Twilio Voice's calls, keys and recordings):
- requests the provider really sent (Twilio's signature computed with the auth token, the gateway's shared
  secret, the USSD token), every field any text: NUL and other control characters, Bambara letters, digits
  that are not ASCII ('²', '٣'), emoji, thousands of characters; fields left out, and fields no provider sends;
- conversations of several texts from one sender, and USSD sessions of several key presses;
- requests that are not the provider's (no or a wrong signature, secret or token) and bodies that are not
  forms (random bytes, JSON, multipart, other content types, more than MAX_BODY_BYTES), and the providers'
  own forms with random bytes inserted or cut out.

What must hold:
- the answer is never a 5xx;
- a signed message is taken (2xx) exactly when its form is valid: a sender, an id of 1 to 64 characters
  (Twilio; 60 for the gateway, 100 for a USSD session), a text of at most MAX_TEXT_CHARS, a body within
  MAX_BODY_BYTES; otherwise it is refused with a 4xx;
- a message taken is stored, once, under its provider's id, its text word for word as the form reads it:
  a NUL (0x00) is the GSM `@` in the text of an SMS (Twilio SMS, the gateway) and dropped anywhere else,
  and nothing else changes (the text is not trimmed; ids and senders are); its answer is well-formed for
  its provider (TwiML, JSON, a USSD screen); in a conversation or a USSD session, every text or key press
  is stored so, whatever question it answers;
- a delivery report is taken exactly when valid; on a message of ours it moves the status only up the ladder,
  and keeps the provider's error with it;
- a request that is not the provider's is refused with a 4xx and stores nothing; a garbled one with the
  provider's proof stores at most the one message it may still be.

"""

import hashlib
import json
import re
import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from sqlalchemy import select

from bot.channels import ADAPTERS
from bot.db import transaction
from bot.models import Feedback, Message
from bot.outbound.store import queue_message
from bot.vocabulary import Channel, MessageStatus
from tests.channels.support import a_contact, count
from tests.conftest import TEST_URL, sign
from tests.fuzz.conftest import (
    GATEWAY_SECRET,
    NASTY,
    NUL,
    USSD_TOKEN,
    answered,
    assert_kept,
    extra_fields,
    fuzz,
    inbound_count,
    long_texts,
    mali_numbers,
    senders,
    short_texts,
    sometimes_absent,
    texts,
)

MESSAGING = "/webhooks/twilio/messaging"
TWILIO_STATUS = "/webhooks/twilio/status"
GATEWAY_SMS = "/webhooks/gateway/sms"
GATEWAY_STATUS = "/webhooks/gateway/status"
USSD = "/webhooks/ussd"
VOICE = "/webhooks/twilio/voice"
VOICE_ROUTES = (VOICE, f"{VOICE}/gather", f"{VOICE}/record")
WEBHOOKS = (MESSAGING, TWILIO_STATUS, GATEWAY_SMS, GATEWAY_STATUS, USSD, *VOICE_ROUTES)
INBOUND = (MESSAGING, GATEWAY_SMS, USSD)
FORM = "application/x-www-form-urlencoded"
USSD_SCREEN = 182
# What people type at the menus, so that conversations go past the first question.
MENU_KEYS = ["1", "2", "3", "4", "5", "0", "9", "98", "Bonjour", "STOP", "AIDE", "oui", "ɔwɔ"]


def test_the_fuzzed_routes_are_every_route_of_every_channel():
    assert {route.path for adapter in ADAPTERS for route in adapter.routes()} == set(WEBHOOKS)


# --- posting as a provider -------------------------------------------------------------------


def post(web, path: str, body: bytes, content_type: str | None = FORM, headers: dict | None = None):
    return web.post(
        path, content=body, headers={**({"content-type": content_type} if content_type else {}), **(headers or {})}
    )


def as_twilio(web, path: str, form: dict):
    """Signed by Twilio: the signature over the public URL and the form, with the settings' auth token."""
    token = web.app.state.runtime.settings.twilio_auth_token
    return post(web, path, urlencode(form).encode(), headers={"x-twilio-signature": sign(token, TEST_URL + path, form)})


def as_gateway(web, path: str, form: dict):
    return post(web, path, urlencode({**form, "secret": GATEWAY_SECRET}).encode())


def as_aggregator(web, form: dict):
    return post(web, f"{USSD}?token={USSD_TOKEN}", urlencode(form).encode())


def limits(web) -> tuple[int, int]:
    settings = web.app.state.runtime.settings
    return settings.max_text_chars, settings.max_body_bytes


# --- what the forms make of a request (bot.channels.base.ProviderForm and each adapter's form) ---------


def without_nul(value: str) -> str:
    return value.replace(NUL, "")


def ussd_id(session_id: str, text: str) -> str:
    """The provider id of a USSD request (bot.channels.ussd.provider_id): one per session and text."""
    return "ussd:" + hashlib.sha256(f"{session_id}\x00{text}".encode()).hexdigest()[:40]


@dataclass(frozen=True)
class Expected:
    """What must become of a signed message: taken or refused (None: either may be right, e.g. NumMedia "1e3"
    that pydantic may or may not read as a number), and if taken, what is stored."""

    taken: bool | None
    channel: str = ""
    provider_id: str = ""
    text: str = ""
    media: tuple[str, ...] | None = ()  # None: not predicted


def _media_count(raw: str) -> int | None:
    raw = without_nul(raw)
    if raw == "":
        return 0
    return int(raw) if re.fullmatch(r"[0-9]{1,4}", raw) else None


def expected_twilio(form: dict, max_text: int, body_bytes: int, max_body: int) -> Expected:
    if "MessageSid" not in form or "From" not in form:
        return Expected(False)
    sid, sender = without_nul(form["MessageSid"]).strip(), without_nul(form["From"]).strip()
    whatsapp = sender.startswith("whatsapp:")
    text = form.get("Body", "").replace(NUL, "" if whatsapp else "@")
    count = _media_count(form.get("NumMedia", ""))
    if not (1 <= len(sid) <= 64 and sender and len(text) <= max_text and body_bytes <= max_body):
        return Expected(False)
    media = None
    if count is not None:
        urls = (without_nul(form.get(f"MediaUrl{index}", "")) for index in range(max(0, min(count, 10))))
        media = tuple(url for url in urls if url)
    return Expected(True if count is not None else None, "whatsapp" if whatsapp else "sms", sid, text, media)


def expected_gateway(form: dict, max_text: int, body_bytes: int, max_body: int) -> Expected:
    if "from" not in form or "id" not in form:
        return Expected(False)
    sender, message_id = without_nul(form["from"]).strip(), without_nul(form["id"]).strip()
    text = form.get("text", "").replace(NUL, "@")
    if not (sender and 1 <= len(message_id) <= 60 and len(text) <= max_text and body_bytes <= max_body):
        return Expected(False)
    return Expected(True, "sms", "gw:" + message_id, text)


def expected_ussd(form: dict, max_text: int, body_bytes: int, max_body: int) -> Expected:
    """A fresh session's request: what was typed is the whole `text`."""
    if "sessionId" not in form or "phoneNumber" not in form:
        return Expected(False)
    session, phone = without_nul(form["sessionId"]).strip(), without_nul(form["phoneNumber"]).strip()
    text = without_nul(form.get("text", ""))
    if not (1 <= len(session) <= 100 and phone and len(text) <= max_text and body_bytes <= max_body):
        return Expected(False)
    return Expected(True, "ussd", ussd_id(session, text), text)


# --- what is checked of every signed message ----------------------------------------------------


def check_taken(runtime, tally, expected: Expected, response) -> None:
    """Taken exactly when valid; a taken message stored word for word; a refusal a 4xx."""
    answered(tally, response)
    if expected.taken is True:
        assert response.status_code == 200, response.text[:500]
    elif expected.taken is False:
        assert 400 <= response.status_code < 500, response.text[:500]
    if response.status_code != 200:
        return
    assert expected.channel, "taken, though its form is not valid"
    assert_kept(runtime, expected.channel, expected.provider_id, expected.text, expected.media)
    tally["texts kept"] += 1


def check_twiml(response) -> None:
    assert response.headers["content-type"].startswith("application/xml")
    ET.fromstring(response.text)  # well-formed TwiML, whatever the person wrote


def check_gateway_reply(response) -> None:
    reply = response.json()["reply"]
    assert reply is None or isinstance(reply, str)


def check_ussd_screen(response) -> str:
    assert response.headers["content-type"].startswith("text/plain")
    answer = response.text
    assert answer[:4] in ("CON ", "END "), answer[:200]
    assert len(answer) - 4 <= USSD_SCREEN, f"{len(answer) - 4} characters on one screen"
    return answer


# --- strategies of the providers' forms ----------------------------------------------------------


def unique(prefix: str, valid: bool = True):
    """A provider's id no other case uses (a retry from another sender would rightly be refused with a 409), with up
    to 20 characters of any kind after it; or, not `valid`, also ids that are empty, blank, a NUL, or too long."""
    fresh = st.builds(lambda tail: f"{prefix}{uuid.uuid4().hex}{tail}", st.text(alphabet=NASTY, max_size=20))
    if valid:
        return fresh
    return st.one_of(
        fresh,
        st.builds(lambda tail: f"{prefix}{uuid.uuid4().hex}{tail}", st.one_of(short_texts, long_texts)),
        st.sampled_from(["", " ", NUL, f" {NUL}\t"]),
    )


# A sender the forms take (not blank once NULs are dropped): a number as providers write it, or any sender id.
valid_senders = senders.filter(lambda sender: without_nul(sender).strip() != "")


def field(draw, strategy, valid: bool, invalid=None):
    """A field's value: from `strategy` if `valid`; otherwise perhaps left out (None), or from `invalid`."""
    if valid:
        return draw(strategy)
    return draw(st.one_of(strategy, st.none(), *([invalid] if invalid is not None else [])))


def form_of(draw, extra: bool, **fields) -> dict:
    """The fields drawn (None: left out), over random extra fields that never replace them."""
    form = dict(draw(extra_fields)) if extra else {}
    form.update({name: value for name, value in fields.items() if value is not None})
    return form


@st.composite
def twilio_messages(draw, valid: bool = True, extra: bool = True) -> dict:
    """Twilio's webhook form; `valid`: with every field it needs, in a shape the form takes (the text may still be
    too long, and refused)."""
    media = draw(st.lists(st.one_of(st.just("https://api.twilio.com/2010-04-01/Media/ME1"), short_texts), max_size=3))
    counts = st.one_of(st.integers(0, 12).map(str), st.just(""))
    form = form_of(
        draw,
        extra,
        MessageSid=field(draw, unique("SM"), valid, unique("SM", valid=False)),
        AccountSid="AC" + "0" * 32,
        From=field(draw, valid_senders, valid, senders),
        To="+22320000000",
        Body=field(draw, texts, valid),
        NumMedia=field(draw, counts, valid, st.one_of(short_texts, st.just(str(10**30)))),
    )
    form.update({f"MediaUrl{index}": url for index, url in enumerate(media)})
    return form


@st.composite
def voice_requests(draw, valid: bool = True, extra: bool = True) -> dict:
    """Twilio Voice's form: a call, a key pressed, or a recording made (its URL perhaps not Twilio's)."""
    recordings = st.one_of(st.just("https://api.twilio.com/2010-04-01/Accounts/AC0/Recordings/RE1"), short_texts)
    return form_of(
        draw,
        extra,
        CallSid=field(draw, unique("CA"), valid, unique("CA", valid=False)),
        AccountSid="AC" + "0" * 32,
        From=field(draw, valid_senders, valid, senders),
        To="+22320000000",
        Direction=field(draw, st.sampled_from(["inbound", "outbound-api"]), valid, short_texts),
        Digits=field(draw, st.one_of(st.sampled_from(MENU_KEYS), short_texts), valid),
        RecordingSid=field(draw, unique("RE"), valid, unique("RE", valid=False)),
        RecordingUrl=field(draw, recordings, valid),
        RecordingDuration=field(draw, st.integers(0, 200).map(str), valid, short_texts),
    )


@st.composite
def gateway_messages(draw, valid: bool = True, extra: bool = True) -> dict:
    return form_of(
        draw,
        extra,
        **{"from": field(draw, valid_senders, valid, senders)},
        id=field(draw, unique("in-"), valid, unique("in-", valid=False)),
        text=field(draw, texts, valid),
    )


@st.composite
def ussd_requests(draw, valid: bool = True, extra: bool = True) -> dict:
    return form_of(
        draw,
        extra,
        sessionId=field(draw, unique("ATUid_"), valid, unique("ATUid_", valid=False)),
        phoneNumber=field(draw, valid_senders, valid, senders),
        serviceCode=field(draw, st.one_of(st.just("*384*123#"), short_texts), valid),
        networkCode=field(draw, st.one_of(st.just("61001"), short_texts), valid),
        text=field(draw, texts, valid),
    )


# Delivery reports name one of the messages of the `reported` fixture, or no message of ours.
TWILIO_SID, GATEWAY_ID = "SM" + "d" * 32, "AGG-1"
TWILIO_STATUSES = ["queued", "sending", "sent", "delivered", "undelivered", "failed", "read", "accepted", "canceled"]
GATEWAY_STATUSES = ["sent", "delivered", "undelivered", "failed"]
# Error codes that fit the column (20 characters); longer ones are kept whole in the error message, see
# test_a_twilio_delivery_report_with_an_error_code_longer_than_20_characters_is_never_a_5xx.
error_codes = st.one_of(st.sampled_from(["30005", "21610", "30003", "30008", ""]), st.text(max_size=20))


@st.composite
def twilio_reports(draw, ours: bool = False, extra: bool = True) -> dict:
    """Twilio's delivery report; `ours`: about the message of the `reported` fixture, in one of Twilio's statuses."""
    if ours:
        return form_of(
            draw,
            extra,
            MessageSid=TWILIO_SID,
            MessageStatus=draw(st.sampled_from(TWILIO_STATUSES)),
            ErrorCode=draw(st.one_of(error_codes, st.none())),
            ErrorMessage=draw(st.one_of(texts, st.none())),
        )
    sid = st.one_of(st.just(TWILIO_SID), st.just(f"SM\x00{TWILIO_SID[2:]}"), short_texts)
    return form_of(
        draw,
        extra,
        MessageSid=draw(sometimes_absent(sid)),
        MessageStatus=draw(sometimes_absent(st.one_of(st.sampled_from(TWILIO_STATUSES), short_texts))),
        ErrorCode=draw(sometimes_absent(error_codes)),
        ErrorMessage=draw(sometimes_absent(texts)),
    )


@st.composite
def gateway_reports(draw, ours: bool = False, extra: bool = True) -> dict:
    """The gateway's delivery report; `ours`: about the message of the `reported` fixture, in one of its statuses."""
    if ours:
        return form_of(
            draw,
            extra,
            id=GATEWAY_ID,
            status=draw(st.sampled_from(GATEWAY_STATUSES)),
            error=draw(st.one_of(texts, st.none())),
        )
    message_id = st.one_of(st.just(GATEWAY_ID), st.just("AGG-\x001"), short_texts)
    return form_of(
        draw,
        extra,
        id=draw(sometimes_absent(message_id)),
        status=draw(sometimes_absent(st.one_of(st.sampled_from(GATEWAY_STATUSES), short_texts))),
        error=draw(sometimes_absent(texts)),
    )


def valid_twilio_report(form: dict) -> bool:
    return bool(without_nul(form.get("MessageSid", ""))) and bool(without_nul(form.get("MessageStatus", "")))


def valid_gateway_report(form: dict) -> bool:
    return bool(without_nul(form.get("id", ""))) and without_nul(form.get("status", "")) in GATEWAY_STATUSES


# --- signed messages, one at a time ---------------------------------------------------------------


@fuzz(35)
@given(form=twilio_messages())
def test_a_valid_signed_twilio_message_is_taken_and_its_text_stored_word_for_word(form, web, runtime, tally):
    max_text, max_body = limits(web)
    expected = expected_twilio(form, max_text, len(urlencode(form).encode()), max_body)

    response = as_twilio(web, MESSAGING, form)

    check_taken(runtime, tally, expected, response)
    if response.status_code == 200:
        check_twiml(response)


@fuzz(30)
@given(form=twilio_messages(valid=False))
def test_any_signed_twilio_form_is_never_a_5xx_and_is_taken_only_if_valid(form, web, runtime, tally):
    max_text, max_body = limits(web)
    expected = expected_twilio(form, max_text, len(urlencode(form).encode()), max_body)

    response = as_twilio(web, MESSAGING, form)

    check_taken(runtime, tally, expected, response)


@fuzz(40)
@given(
    path=st.sampled_from(VOICE_ROUTES),
    form=voice_requests(valid=False),
    step=st.one_of(st.none(), st.integers(0, 12).map(str), short_texts),
)
def test_any_signed_voice_request_is_never_a_5xx_and_is_answered_in_twiml_or_refused(
    path, form, step, web, runtime, tally
):
    url = path + ("" if step is None else "?" + urlencode({"step": step}))
    token = web.app.state.runtime.settings.twilio_auth_token
    body = urlencode(form).encode()
    response = post(web, url, body, headers={"x-twilio-signature": sign(token, TEST_URL + url, parsed(body) or {})})

    answered(tally, response)
    if response.status_code < 300:
        check_twiml(response)
        assert ET.fromstring(response.text).tag == "Response"
    else:
        assert 400 <= response.status_code < 500, response.text[:500]


@fuzz(35)
@given(form=gateway_messages())
def test_a_valid_gateway_message_with_its_secret_is_taken_and_its_text_stored_word_for_word(form, web, runtime, tally):
    max_text, max_body = limits(web)
    expected = expected_gateway(form, max_text, len(urlencode({**form, "secret": GATEWAY_SECRET}).encode()), max_body)

    response = as_gateway(web, GATEWAY_SMS, form)

    check_taken(runtime, tally, expected, response)
    if response.status_code == 200:
        check_gateway_reply(response)


@fuzz(30)
@given(form=gateway_messages(valid=False))
def test_any_gateway_form_with_its_secret_is_never_a_5xx_and_is_taken_only_if_valid(form, web, runtime, tally):
    max_text, max_body = limits(web)
    expected = expected_gateway(form, max_text, len(urlencode({**form, "secret": GATEWAY_SECRET}).encode()), max_body)

    response = as_gateway(web, GATEWAY_SMS, form)

    check_taken(runtime, tally, expected, response)


@fuzz(35)
@given(form=ussd_requests())
def test_a_valid_ussd_request_with_its_token_is_answered_with_a_screen_and_what_was_typed_is_stored(
    form, web, runtime, tally
):
    max_text, max_body = limits(web)
    expected = expected_ussd(form, max_text, len(urlencode(form).encode()), max_body)

    response = as_aggregator(web, form)

    check_taken(runtime, tally, expected, response)
    if response.status_code == 200:
        check_ussd_screen(response)


@fuzz(30)
@given(form=ussd_requests(valid=False))
def test_any_ussd_form_with_its_token_is_never_a_5xx_and_is_taken_only_if_valid(form, web, runtime, tally):
    max_text, max_body = limits(web)
    expected = expected_ussd(form, max_text, len(urlencode(form).encode()), max_body)

    response = as_aggregator(web, form)

    check_taken(runtime, tally, expected, response)


# --- conversations -----------------------------------------------------------------------------------

# The way to a complaint's description (French, consent, a complaint, a site, a category) and to a confidential
# report's details: conversations start somewhere along one, so that fuzzed texts land on every question.
COMPLAINT = ("Bonjour", "1", "1", "1", "1", "2")
CONFIDENTIAL = ("Bonjour", "1", "1", "4", "1")
conversations = st.tuples(
    st.sampled_from([COMPLAINT, CONFIDENTIAL]).flatmap(
        lambda script: st.one_of(st.just(script), st.integers(0, len(script)).map(lambda length: script[:length]))
    ),
    st.one_of(st.text(alphabet=NASTY, min_size=1, max_size=40).filter(str.strip), texts),  # the answer to the question
    st.lists(st.one_of(texts, st.sampled_from(MENU_KEYS)), max_size=3),
).map(lambda parts: [*parts[0], parts[1], *parts[2]])


@fuzz(10)
@given(line=st.sampled_from(["sms", "whatsapp", "gateway"]), bodies=conversations)
def test_every_text_of_a_conversation_is_stored_word_for_word_whatever_the_menus_make_of_it(
    line, bodies, web, runtime, tally
):
    number = f"+2237{uuid.uuid4().int % 10**7:07d}"  # a newcomer, for the conversation to start at its beginning
    max_text, max_body = limits(web)
    for body in bodies:
        if line == "gateway":
            form = {"from": number, "id": f"in-{uuid.uuid4().hex}", "text": body}
            expected = expected_gateway(form, max_text, 0, max_body)
            response = as_gateway(web, GATEWAY_SMS, form)
        else:
            sender = f"whatsapp:{number}" if line == "whatsapp" else number
            form = {"MessageSid": f"SM{uuid.uuid4().hex}", "From": sender, "Body": body, "NumMedia": "0"}
            expected = expected_twilio(form, max_text, 0, max_body)
            response = as_twilio(web, MESSAGING, form)

        check_taken(runtime, tally, expected, response)
    tally["submissions filed, in all"] = count(runtime, Feedback)


ussd_inputs = st.one_of(st.sampled_from(MENU_KEYS), st.sampled_from(MENU_KEYS), short_texts).filter(
    lambda typed: without_nul(typed) != ""  # an empty input is the aggregator repeating its request
)


@fuzz(15)
@given(number=mali_numbers, inputs=st.lists(ussd_inputs, min_size=1, max_size=6))
def test_every_key_press_of_a_ussd_session_is_stored_as_typed(number, inputs, web, runtime, tally):
    session = f"ATUid_{uuid.uuid4().hex}"
    typed: list[str] = []
    for key in ["", *inputs]:  # dialling first: an empty text
        if key:
            typed.append(key)
        text = without_nul("*".join(typed))
        form = {"sessionId": session, "phoneNumber": number, "serviceCode": "*384*123#", "text": "*".join(typed)}

        response = as_aggregator(web, form)

        answered(tally, response)
        assert response.status_code == 200, response.text[:500]
        answer = check_ussd_screen(response)
        newest = without_nul(key)
        if newest in ("98", "0"):
            tally["paging keys, not checked"] += 1  # `98` and `0` may turn a page rather than be a message
        else:
            assert_kept(runtime, "ussd", ussd_id(session, text), newest)
            tally["texts kept"] += 1
        if answer.startswith("END "):
            break  # the session is over: the aggregator sends nothing more


# --- delivery reports ----------------------------------------------------------------------------------


def sent(runtime, channel: Channel, provider_id: str) -> int:
    """An outbound message a provider took (status `sent`), for its delivery reports to find."""
    contact = a_contact(runtime, "+22376543210")
    with transaction(runtime.database) as db:
        message = queue_message(db, contact, channel, "Votre plainte est reçue")
        message.provider_id, message.status = provider_id, MessageStatus.SENT
        db.flush()
        return message.id


def status_of(runtime, message_id: int) -> Message:
    with runtime.database() as db:
        return db.get(Message, message_id)


@pytest.fixture
def reported(web, runtime) -> dict[str, int]:
    """One message sent by Twilio and one by the gateway (status `sent`), by the provider's id."""
    return {
        TWILIO_SID: sent(runtime, Channel.WHATSAPP, TWILIO_SID),
        GATEWAY_ID: sent(runtime, Channel.SMS, f"gw:{GATEWAY_ID}"),
    }


def set_status(runtime, message_id: int, status: str) -> None:
    """The message back at `status`, with no error, as if only that report had come."""
    with transaction(runtime.database) as db:
        message = db.get(Message, message_id)
        message.status, message.error_code, message.error_message = status, None, None


LADDER = ["queued", "sending", "sent", "delivered", "undelivered", "failed", "read"]


@dataclass(frozen=True)
class Delivery:
    status: str
    error_code: str | None
    error_message: str | None


def delivery(runtime, message_id: int) -> Delivery:
    message = status_of(runtime, message_id)
    return Delivery(message.status, message.error_code, message.error_message)


def after_report(before: Delivery, status: str, error_code: str | None, error_message: str | None) -> Delivery:
    """What a report does (bot.outbound.status.record_status): a status of the ladder at least as far as the
    message's replaces it, with the report's error if it has a code; anything else changes nothing."""
    new = MessageStatus(status).rank if MessageStatus.has(status) else None
    if new is None or new < (MessageStatus(before.status).rank or 0):
        return before
    if error_code:
        return Delivery(status, error_code, error_message or None)
    return Delivery(status, before.error_code, before.error_message)


@fuzz(30)
@given(form=twilio_reports(ours=True), start=st.sampled_from(LADDER))
def test_a_signed_twilio_report_on_a_message_of_ours_is_recorded_and_only_moves_its_status_up(
    form, start, web, runtime, reported, tally
):
    set_status(runtime, reported[TWILIO_SID], start)
    before = delivery(runtime, reported[TWILIO_SID])

    response = as_twilio(web, TWILIO_STATUS, form)

    answered(tally, response)
    assert response.status_code == 204, response.text[:500]
    status, code, text = (without_nul(form.get(name, "")) for name in ("MessageStatus", "ErrorCode", "ErrorMessage"))
    assert delivery(runtime, reported[TWILIO_SID]) == after_report(before, status, code, text)


@fuzz(25)
@given(form=twilio_reports())
def test_any_signed_twilio_report_is_never_a_5xx_and_is_taken_only_if_valid(form, web, runtime, reported, tally):
    response = as_twilio(web, TWILIO_STATUS, form)

    answered(tally, response)
    assert response.status_code == (204 if valid_twilio_report(form) else 400), response.text[:500]


@fuzz(30)
@given(form=gateway_reports(ours=True), start=st.sampled_from(LADDER))
def test_a_gateway_report_on_a_message_of_ours_is_recorded_and_only_moves_its_status_up(
    form, start, web, runtime, reported, tally
):
    set_status(runtime, reported[GATEWAY_ID], start)
    before = delivery(runtime, reported[GATEWAY_ID])

    response = as_gateway(web, GATEWAY_STATUS, form)

    answered(tally, response)
    assert response.status_code == 204, response.text[:500]
    error = without_nul(form.get("error", ""))
    assert delivery(runtime, reported[GATEWAY_ID]) == after_report(
        before, form["status"], "gateway" if error else None, error
    )


@fuzz(25)
@given(form=gateway_reports())
def test_any_gateway_report_with_its_secret_is_never_a_5xx_and_is_taken_only_if_valid(
    form, web, runtime, reported, tally
):
    response = as_gateway(web, GATEWAY_STATUS, form)

    answered(tally, response)
    assert response.status_code == (204 if valid_gateway_report(form) else 400), response.text[:500]


@fuzz(10)
@example(code="3" * 21)  # a 500 the suite found, fixed
@given(code=st.text(min_size=21, max_size=200))
def test_a_twilio_delivery_report_with_an_error_code_longer_than_20_characters_is_never_a_5xx(
    code, web, runtime, reported, tally
):
    response = as_twilio(web, TWILIO_STATUS, {"MessageSid": TWILIO_SID, "MessageStatus": "failed", "ErrorCode": code})

    answered(tally, response)
    assert response.status_code == 204
    with runtime.database() as db:
        stored = db.scalar(select(Message).where(Message.provider_id == TWILIO_SID))
    kept = code.replace(NUL, "")  # a NUL is dropped from every field but an SMS's text
    if len(kept) > 20:
        assert stored.error_code == kept[:20] and stored.error_message.startswith(f"{kept}: ")
    elif kept:  # nothing left: no error to record
        assert stored.error_code == kept


# --- requests that are not the providers', and bodies that are not forms --------------------------------


def _form_bytes(form: dict) -> bytes:
    return urlencode(form).encode()


not_forms = st.one_of(
    st.binary(max_size=300),
    texts.map(lambda text: text.encode()),
    st.dictionaries(short_texts, texts, max_size=4).map(lambda value: json.dumps(value).encode()),
    st.builds(
        lambda name, value: (
            f'--x\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n--x--\r\n'.encode()
        ),
        short_texts,
        texts,
    ),
    st.sampled_from([64 * 1024, 64 * 1024 + 1, 300_000]).map(lambda size: b"Body=" + b"x" * size),
)
provider_forms = st.one_of(
    twilio_messages(valid=False, extra=False),
    twilio_reports(extra=False),
    gateway_messages(valid=False, extra=False),
    gateway_reports(extra=False),
    ussd_requests(valid=False, extra=False),
).map(_form_bytes)
content_types = st.sampled_from(
    [
        FORM,
        None,
        "application/json",
        "multipart/form-data; boundary=x",
        "text/plain",
        "application/x-www-form-urlencoded; charset=latin-1",
        "application/xml",
        "",
        "\x7f/\x7f",
    ]
)
# What a stranger puts where the providers put their proof: nothing, a wrong secret or token, garbage.
wrong_proofs = st.one_of(
    st.none(),
    st.sampled_from(["", "wrong", "ussd-secre", "ussd-secret ", "in-secret"]),
    st.text(alphabet=NASTY, max_size=30).filter(lambda proof: proof not in (USSD_TOKEN, GATEWAY_SECRET)),
)


@fuzz(50)
@given(
    path=st.sampled_from(WEBHOOKS),
    body=st.one_of(not_forms, provider_forms),
    content_type=content_types,
    proof=wrong_proofs,
)
def test_a_request_without_the_providers_proof_is_refused_with_a_4xx_and_stores_nothing(
    path, body, content_type, proof, web, runtime, tally
):
    before = inbound_count(runtime)
    query, headers = "", {}
    if proof is not None:
        # Put where each provider puts its proof: a signature, a secret in the form, a token in the URL.
        headers = {"x-twilio-signature": proof.encode("utf-8").hex()}
        body += b"&" + urlencode({"secret": proof}).encode()
        query = "?" + urlencode({"token": proof})

    response = post(web, path + query, body, content_type, headers)

    answered(tally, response)
    assert 400 <= response.status_code < 500, response.text[:500]
    assert inbound_count(runtime) == before


@st.composite
def mangled(draw, form: dict) -> bytes:
    """A provider's form, encoded, with random bytes inserted, cut out or replaced (or none)."""
    body = bytearray(_form_bytes(form))
    for _ in range(draw(st.integers(0, 3))):
        at = draw(st.integers(0, len(body)))
        edit = draw(st.sampled_from(["insert", "cut", "replace"]))
        chunk = draw(
            st.one_of(
                st.text(alphabet=NASTY, min_size=1, max_size=4).map(str.encode),
                st.binary(min_size=1, max_size=4),
                st.sampled_from([b"%", b"%0", b"%00", b"%FF", b"%C3", b"&", b"=", b"+"]),
            )
        )
        if edit == "insert":
            body[at:at] = chunk
        elif edit == "cut":
            del body[at : at + len(chunk)]
        else:
            body[at : at + len(chunk)] = chunk
    return bytes(body)


def parsed(body: bytes) -> dict[str, str] | None:
    """The form as the app parses it (bot.web.providers.parse_form), to sign it as Twilio would; None if not UTF-8."""
    try:
        return dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True, encoding="utf-8", errors="strict"))
    except UnicodeDecodeError:
        return None


FORMS = {
    MESSAGING: twilio_messages(extra=False),
    TWILIO_STATUS: twilio_reports(extra=False),
    GATEWAY_SMS: gateway_messages(extra=False),
    GATEWAY_STATUS: gateway_reports(extra=False),
    USSD: ussd_requests(extra=False),
}
# Each route with its own provider's form, garbled, or with a body that is no form at all.
# (The voice routes are fuzzed signed above, and unsigned with the rest: a call's answer is no text to count.)
garbled_requests = st.sampled_from(tuple(FORMS)).flatmap(
    lambda path: st.tuples(
        st.just(path), st.one_of(FORMS[path].flatmap(mangled), FORMS[path].flatmap(mangled), not_forms)
    )
)


@fuzz(50)
@given(request=garbled_requests, content_type=content_types)
def test_a_garbled_body_with_the_providers_proof_is_never_a_5xx_and_a_message_taken_is_stored_once(
    request, content_type, web, runtime, reported, tally
):
    path, body = request
    before = inbound_count(runtime)
    query, headers = "", {}
    if path in (MESSAGING, TWILIO_STATUS):
        form = parsed(body)
        token = web.app.state.runtime.settings.twilio_auth_token
        headers = {"x-twilio-signature": sign(token, TEST_URL + path, form) if form is not None else "garbage"}
    elif path in (GATEWAY_SMS, GATEWAY_STATUS):
        body += b"&" + urlencode({"secret": GATEWAY_SECRET}).encode()  # the last value of a repeated field counts
    else:
        query = f"?token={USSD_TOKEN}"

    response = post(web, path + query, body, content_type, headers)

    answered(tally, response)
    taken = 200 <= response.status_code < 300
    assert inbound_count(runtime) == before + (1 if taken and path in INBOUND else 0)
