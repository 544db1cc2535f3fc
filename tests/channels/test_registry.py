"""The registry of channel adapters (bot.channels) and the plumbing every provider route goes through.

Which adapter sends each channel under each SMS_PROVIDER; that every adapter's routes are mounted
in the app; that each screen limit is checked once; and that adding a channel is one adapter, one
registration: a test-only adapter gets the body limit, strict UTF-8, its own verification and its
form parsing from bot.web.providers, its senders and limits from the registry, exactly as the real ones.
"""

from dataclasses import dataclass, field
from typing import ClassVar

import pytest
from fastapi.testclient import TestClient
from pydantic import Field, ValidationInfo, field_validator
from starlette.responses import JSONResponse, Response

import bot.channels
from bot.app import create_app
from bot.channels import ADAPTERS, limits, senders
from bot.channels.base import (
    ChannelAdapter,
    Exchange,
    Forbidden,
    ProviderForm,
    ProviderRequest,
    Route,
    StatusReport,
    max_text,
)
from bot.channels.console import ConsoleSender
from bot.channels.gateway import GatewaySender
from bot.channels.sms import SMS_PARTS
from bot.channels.twilio import TwilioSender
from bot.channels.ussd import UssdScreen
from bot.config import Settings, get_settings
from bot.conversation.inbound import InboundMessage
from bot.db import transaction
from bot.outbound.provider import Outgoing
from bot.outbound.store import queue_message
from bot.runtime import Runtime, check_flows
from bot.screens import Screen
from bot.vocabulary import Channel, MessageStatus
from bot.web.providers import provider_routes
from tests.channels.support import Inbound, Rows, a_contact, inbound_messages, rows, stored

SMS_FROM, WHATSAPP_FROM = "+22320000000", "+22320000001"
GATEWAY_URL = "http://127.0.0.1:9/send"
SENT_BY = {TwilioSender: "twilio", GatewaySender: "gateway", ConsoleSender: "console"}


@dataclass(frozen=True)
class SendersCase:
    """Settings, and the adapter that sends each channel under them (a channel not listed is not sent)."""

    label: str
    env: dict[str, str | None]
    sent_by: dict[Channel, str]


def configured(provider: str, *, sms: bool = False, whatsapp: bool = False, gateway: bool = False, **env):
    return {
        "SMS_PROVIDER": provider,
        "TWILIO_SMS_FROM": SMS_FROM if sms else None,
        "TWILIO_WHATSAPP_FROM": WHATSAPP_FROM if whatsapp else None,
        "GATEWAY_URL": GATEWAY_URL if gateway else None,
        **env,
    }


SMS, WHATSAPP = Channel.SMS, Channel.WHATSAPP
SENDERS = [
    SendersCase(
        "twilio: SMS and WhatsApp through Twilio",
        configured("twilio", sms=True, whatsapp=True),
        {SMS: "twilio", WHATSAPP: "twilio"},
    ),
    SendersCase("twilio without TWILIO_WHATSAPP_FROM: SMS only", configured("twilio", sms=True), {SMS: "twilio"}),
    SendersCase(
        "twilio without TWILIO_SMS_FROM: WhatsApp only", configured("twilio", whatsapp=True), {WHATSAPP: "twilio"}
    ),
    SendersCase("twilio without a number: nothing is sent", configured("twilio"), {}),
    SendersCase(
        "twilio without an account: nothing is sent",
        configured("twilio", sms=True, whatsapp=True, TWILIO_ACCOUNT_SID=None),
        {},
    ),
    SendersCase(
        "gateway: SMS through the gateway, WhatsApp through Twilio",
        configured("gateway", sms=True, whatsapp=True, gateway=True),
        {SMS: "gateway", WHATSAPP: "twilio"},
    ),
    SendersCase(
        "gateway without TWILIO_WHATSAPP_FROM: SMS only", configured("gateway", gateway=True), {SMS: "gateway"}
    ),
    SendersCase(
        "gateway without GATEWAY_URL: no SMS, not even through Twilio",
        configured("gateway", sms=True, whatsapp=True),
        {WHATSAPP: "twilio"},
    ),
    SendersCase(
        "console: SMS and WhatsApp to the outbox",
        configured("console", gateway=True),
        {SMS: "console", WHATSAPP: "console"},
    ),
    SendersCase(
        "console with TWILIO_WHATSAPP_FROM: WhatsApp through Twilio, SMS to the outbox",
        configured("console", sms=True, whatsapp=True),
        {SMS: "console", WHATSAPP: "twilio"},
    ),
    SendersCase("none: nothing is sent", configured("none", sms=True, gateway=True), {}),
    SendersCase(
        "none with TWILIO_WHATSAPP_FROM: WhatsApp only", configured("none", whatsapp=True), {WHATSAPP: "twilio"}
    ),
]


@pytest.mark.parametrize("case", SENDERS, ids=[case.label for case in SENDERS])
def test_who_sends_each_channel(case: SendersCase, reconfigure):
    reconfigure(**case.env)
    settings = get_settings()
    chosen = senders(settings)
    assert {channel: SENT_BY[type(sender)] for channel, sender in chosen.items()} == case.sent_by
    assert Runtime(settings).senders.keys() == case.sent_by.keys()  # what the pipeline sends with
    for sender in chosen.values():
        if isinstance(sender, TwilioSender):
            assert (sender.sms_from, sender.whatsapp_from) == (settings.twilio_sms_from, settings.twilio_whatsapp_from)
            assert sender.status_callback == f"{settings.public_url}/webhooks/twilio/status"
        elif isinstance(sender, GatewaySender):
            assert sender.url == GATEWAY_URL
        else:
            assert sender.outbox == settings.outbox


# ---------------------------------------------------------------------------------------------
# The adapters' routes, all mounted.

PROVIDER_PATHS = {
    "/webhooks/ussd",
    "/webhooks/twilio/messaging",
    "/webhooks/twilio/status",
    "/webhooks/twilio/voice",
    "/webhooks/twilio/voice/gather",
    "/webhooks/twilio/voice/record",
    "/webhooks/gateway/sms",
    "/webhooks/gateway/status",
}
ROUTES = [(adapter, route) for adapter in ADAPTERS for route in adapter.routes()]


def test_the_adapters_are_ussd_twilio_voice_gateway_and_console_each_once():
    assert [adapter.name for adapter in ADAPTERS] == ["ussd", "twilio", "twilio-voice", "gateway", "console"]
    assert {route.path for _, route in ROUTES} == PROVIDER_PATHS and len(ROUTES) == len(PROVIDER_PATHS)


@pytest.mark.parametrize("adapter, route", ROUTES, ids=[route.path for _, route in ROUTES])
def test_every_route_of_every_adapter_answers_a_post(adapter, route, client):
    response = client.post(route.path)
    assert response.status_code not in (404, 405)
    assert response.status_code == 403  # mounted: the adapter's verification refuses an empty request


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
def test_a_provider_route_takes_only_posts(method, client):
    response = client.request(method, "/webhooks/twilio/messaging")
    assert (response.status_code, response.headers["allow"]) == (405, "POST")


def test_the_app_mounts_no_other_provider_route_and_describes_each(app):
    schema = app.openapi()["paths"]
    assert {path for path in schema if path.startswith("/webhooks/")} == PROVIDER_PATHS
    for _, route in ROUTES:
        assert schema[route.path]["post"]["summary"] == route.summary != ""


def test_each_screen_limit_is_given_once():
    assert limits() == (UssdScreen(), SMS_PARTS)  # USSD's screen, and the SMS parts of three SMS adapters
    declared = [limit for adapter in ADAPTERS for limit in adapter.limits()]
    assert declared.count(SMS_PARTS) == 3 and set(declared) == set(limits())


# ---------------------------------------------------------------------------------------------
# Adding an adapter: a test-only "loopback" provider, one subclass and one registration.

KEY = "loopback-key"
NUMBER = "+22370000070"


class LoopbackMessage(ProviderForm):
    id: str = Field(min_length=1, max_length=20)
    sender: str = Field(alias="from", min_length=1)
    text: str = ""

    @field_validator("text")
    @classmethod
    def _text(cls, value: str, info: ValidationInfo) -> str:
        return max_text(value, info, "text")


class LoopbackStatus(ProviderForm):
    id: str = Field(min_length=1)
    status: str


class LoopbackSender:
    def send(self, out: Outgoing) -> str:
        return f"lb:{out.message_id}"


@dataclass(frozen=True)
class LoopbackScreen:
    """A channel whose screens hold 10 characters: every real screen is over it."""

    characters: int = 10

    def summary(self) -> str:
        return f"A loopback screen holds {self.characters} characters"

    def problem(self, screen: Screen, alphabet: str) -> str | None:
        return f"the `{screen.language}` screen is over a loopback screen" if len(screen.text) > 10 else None

    def note(self, screen: Screen, alphabet: str) -> str | None:
        return "over a loopback screen" if len(screen.text) > 10 else None


class Loopback(ChannelAdapter):
    name = "loopback"
    statuses: ClassVar = {"ok": MessageStatus.DELIVERED, "lost": MessageStatus.FAILED}

    def routes(self) -> tuple[Route, ...]:
        return (
            Route("/webhooks/loopback/sms", LoopbackMessage, self.receive, "Loopback: a message"),
            Route("/webhooks/loopback/status", LoopbackStatus, self.delivered, "Loopback: a delivery report"),
        )

    def verify(self, request: ProviderRequest, settings: Settings) -> None:
        if request.headers.get("x-loopback-key") != KEY:
            raise Forbidden("invalid key")

    def receive(self, form: LoopbackMessage, exchange: Exchange) -> Response:
        handled = exchange.converse(InboundMessage(Channel.SMS, form.sender, form.text, f"lb:{form.id}"))
        return JSONResponse({"reply": handled.reply, "extra": form.model_extra})

    def delivered(self, form: LoopbackStatus, exchange: Exchange) -> Response:
        return JSONResponse({"ours": exchange.record(self.report(form.id, form.status, "", ""))})

    def senders(self, settings: Settings) -> dict[Channel, LoopbackSender]:
        return {Channel.SMS: LoopbackSender()}

    def limits(self):
        return (SMS_PARTS, LoopbackScreen())


@pytest.fixture
def loopback(settings):
    """The app with the loopback adapter's routes mounted as bot.app mounts the registry's."""
    app = create_app(settings)
    app.include_router(provider_routes((Loopback(),)))
    with TestClient(app) as client:
        yield client


def loopback_message(**changes: str | None) -> dict[str, str]:
    form = {"id": "1", "from": NUMBER, "text": "Bonjour", **changes}
    return {name: value for name, value in form.items() if value is not None}


@dataclass(frozen=True)
class PlumbingCase:
    """A request to the loopback adapter's message route, what the provider gets back, and what is stored."""

    label: str
    form: dict[str, str] = field(default_factory=loopback_message)
    raw: bytes | None = None  # a body posted as it is, instead of `form`
    verified: bool = True  # sent with the adapter's key
    env: dict[str, str | None] = field(default_factory=dict)
    status: int = 200
    body: str | None = None  # the exact answer: a refusal's reason
    extra: dict[str, str] = field(default_factory=dict)  # the unknown fields the handler was given
    stored: Inbound | None = None


PLUMBING = [
    PlumbingCase(
        "a verified message reaches the adapter's handler, in a transaction that is committed",
        stored=Inbound("sms", NUMBER, "Bonjour", "lb:1"),
    ),
    PlumbingCase(
        "unknown fields reach the handler",
        form=loopback_message(operator="Orange Mali"),
        extra={"operator": "Orange Mali"},
        stored=Inbound("sms", NUMBER, "Bonjour", "lb:1"),
    ),
    PlumbingCase(
        "a field given twice: the last one counts",
        raw=b"id=1&id=2&from=%2B22370000070&text=Bonjour",
        stored=Inbound("sms", NUMBER, "Bonjour", "lb:2"),
    ),
    PlumbingCase(
        "a request the adapter does not verify is refused with its reason",
        verified=False,
        status=403,
        body="invalid key",
    ),
    PlumbingCase(
        "verification comes before the form: an unverified empty form is a 403",
        form={},
        verified=False,
        status=403,
        body="invalid key",
    ),
    PlumbingCase(
        "a verified form without a required field is refused with the field's name",
        form=loopback_message(id=None),
        status=400,
        body="id: Field required",
    ),
    PlumbingCase(
        "every wrong field is named, by the provider's name for it",
        form={"id": "i" * 21},
        status=400,
        body="id: String should have at most 20 characters; from: Field required",
    ),
    PlumbingCase(
        "the form is given MAX_TEXT_CHARS",
        env={"MAX_TEXT_CHARS": "5"},
        status=400,
        body="text: Value error, text is too long",
    ),
    PlumbingCase(
        "a body over MAX_BODY_BYTES is refused before verification",
        form=loopback_message(text="x" * 200),
        verified=False,
        env={"MAX_BODY_BYTES": "100"},
        status=413,
        body="body too large",
    ),
    PlumbingCase(
        "a body that is not UTF-8 is refused before verification",
        raw=b"id=1&from=%2B22370000070&text=caf\xe9",
        verified=False,
        status=400,
        body="the form is not valid UTF-8",
    ),
]


@pytest.mark.parametrize("case", PLUMBING, ids=[case.label for case in PLUMBING])
def test_a_new_adapter_answers_through_the_same_plumbing(case: PlumbingCase, reconfigure, request):
    reconfigure(**case.env)
    client, runtime = request.getfixturevalue("loopback"), request.getfixturevalue("runtime")
    headers = {"x-loopback-key": KEY} if case.verified else {}
    if case.raw is not None:
        headers["content-type"] = "application/x-www-form-urlencoded"
        response = client.post("/webhooks/loopback/sms", content=case.raw, headers=headers)
    else:
        response = client.post("/webhooks/loopback/sms", data=case.form, headers=headers)

    assert response.status_code == case.status
    if case.status == 200:
        assert "Bamanankan" in response.json()["reply"]
        assert response.json()["extra"] == case.extra
        assert inbound_messages(runtime) == [case.stored]
    else:
        assert response.headers["content-type"].startswith("text/plain")
        assert response.text == case.body
        assert rows(runtime) == Rows(inbound=0, outbound=0, contacts=0)


def test_a_new_adapters_delivery_reports_are_read_through_its_status_table(loopback, runtime):
    contact_id = a_contact(runtime, NUMBER)
    with transaction(runtime.database) as db:
        message = queue_message(db, contact_id, Channel.SMS, "Suivi")
        message.provider_id, message.status = "lb-out-1", MessageStatus.QUEUED
        message_id = message.id

    def report(status: str, provider_id: str = "lb-out-1") -> dict:
        response = loopback.post(
            "/webhooks/loopback/status", data={"id": provider_id, "status": status}, headers={"x-loopback-key": KEY}
        )
        assert response.status_code == 200
        return response.json()

    assert report("whatever") == {"ours": True}  # not in its table: nothing changes
    assert stored(runtime, message_id).status == "queued"
    assert report("ok") == {"ours": True}
    assert stored(runtime, message_id).status == "delivered"
    assert report("ok", "lb-out-2") == {"ours": False}


def test_an_adapters_report_reads_its_status_table_and_blank_errors_are_none():
    assert Loopback().report("x", "lost", "E1", "gone") == StatusReport("x", MessageStatus.FAILED, "E1", "gone")
    assert Loopback().report("x", "whatever", "", "") == StatusReport("x", None, None, None)


def test_a_registered_adapter_sends_what_no_earlier_one_does_and_its_limit_is_checked(reconfigure, monkeypatch):
    monkeypatch.setattr(bot.channels, "ADAPTERS", (*ADAPTERS, Loopback()))
    reconfigure(**configured("none", whatsapp=True))
    settings = get_settings()
    chosen = senders(settings)
    assert isinstance(chosen[Channel.SMS], LoopbackSender) and isinstance(chosen[Channel.WHATSAPP], TwilioSender)

    reconfigure(**configured("twilio", sms=True))
    assert isinstance(senders(get_settings())[Channel.SMS], TwilioSender)  # the first registered sends

    assert limits() == (UssdScreen(), SMS_PARTS, LoopbackScreen())
    _, problems = check_flows(settings, Runtime(settings).catalogues)  # what `baro flows check` reports
    assert any("over a loopback screen" in problem for problem in problems)
