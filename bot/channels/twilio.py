"""Twilio messaging (SMS and WhatsApp): the webhook answered in TwiML, delivery callbacks, and sending.

`From: whatsapp:+223…` is the same person as `+223…` by SMS. Every request is signed by Twilio
(`X-Twilio-Signature` over the public URL and the form); a retry carries the same `MessageSid`.
"""

import json
from functools import lru_cache
from typing import ClassVar

import requests
import urllib3
from pydantic import Field, ValidationInfo, field_validator
from starlette.responses import Response
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.request_validator import RequestValidator, compare
from twilio.rest import Client
from twilio.twiml.messaging_response import MessagingResponse

from bot.channels.base import (
    NUL,
    ChannelAdapter,
    Exchange,
    Forbidden,
    ProviderForm,
    ProviderRequest,
    Route,
    max_text,
    stripped,
)
from bot.channels.sms import SMS_PARTS
from bot.config import Settings
from bot.conversation.inbound import InboundMedia, InboundMessage
from bot.outbound.provider import (
    Outgoing,
    PermanentSendError,
    Sender,
    SendError,
    TransientSendError,
    UncertainSendError,
)
from bot.phones import WHATSAPP_PREFIX
from bot.vocabulary import Channel, MessageStatus

# Twilio sends at most 10 media items; anything beyond is not from Twilio.
MAX_MEDIA = 10


class TwilioMessage(ProviderForm):
    MessageSid: str = Field(min_length=1, max_length=64)
    From: str = Field(min_length=1)
    Body: str = ""
    NumMedia: int = 0

    # Twilio SMS may come from an aggregator writing the GSM `@` as 0x00; WhatsApp never does.
    sms_text: ClassVar = ("Body",)

    @classmethod
    def is_sms(cls, form) -> bool:
        return not str(form.get("From", "")).replace(NUL, "").strip().startswith(WHATSAPP_PREFIX)

    _strip = field_validator("MessageSid", "From", mode="before")(stripped)

    @field_validator("NumMedia", mode="before")
    @classmethod
    def _no_media(cls, value: object) -> object:
        return value or 0

    @field_validator("Body")
    @classmethod
    def _body(cls, value: str, info: ValidationInfo) -> str:
        return max_text(value, info, "Body")

    @property
    def media(self) -> tuple[InboundMedia, ...]:
        extra = self.model_extra or {}
        count = max(0, min(self.NumMedia, MAX_MEDIA))
        return tuple(
            InboundMedia(url, str(extra.get(f"MediaContentType{index}") or ""))
            for index in range(count)
            if (url := extra.get(f"MediaUrl{index}"))
        )


class TwilioStatus(ProviderForm):
    MessageSid: str = Field(min_length=1)
    MessageStatus: str = Field(min_length=1)
    ErrorCode: str = ""
    ErrorMessage: str = ""


class TwilioMessaging(ChannelAdapter):
    name = "twilio"
    statuses: ClassVar = {
        "queued": MessageStatus.QUEUED,
        "sending": MessageStatus.SENDING,
        "sent": MessageStatus.SENT,
        "delivered": MessageStatus.DELIVERED,
        "undelivered": MessageStatus.UNDELIVERED,
        "failed": MessageStatus.FAILED,
        "read": MessageStatus.READ,
    }

    def routes(self) -> tuple[Route, ...]:
        return (
            Route("/webhooks/twilio/messaging", TwilioMessage, self.receive, "Twilio: an SMS or WhatsApp message"),
            Route("/webhooks/twilio/status", TwilioStatus, self.delivered, "Twilio: a delivery report"),
        )

    def verify(self, request: ProviderRequest, settings: Settings) -> None:
        signature = request.headers.get("x-twilio-signature")
        validator, form = RequestValidator(settings.twilio_auth_token), dict(request.form)
        # The URL as called first: one HMAC. The library's own check, with and without the port (Twilio signs
        # either), only when that fails: it always computes both.
        if not signature or not (
            compare(validator.compute_signature(request.url, form), signature)
            or validator.validate(request.url, form, signature)
        ):
            raise Forbidden("invalid signature")

    def receive(self, form: TwilioMessage, exchange: Exchange) -> Response:
        channel = Channel.WHATSAPP if form.From.startswith(WHATSAPP_PREFIX) else Channel.SMS
        handled = exchange.converse(InboundMessage(channel, form.From, form.Body, form.MessageSid, form.media))
        written = twiml(handled.reply) if handled.confidential else common_twiml(handled.reply)
        return Response(written, media_type="application/xml")

    def delivered(self, form: TwilioStatus, exchange: Exchange) -> Response:
        exchange.record(self.report(form.MessageSid, form.MessageStatus, form.ErrorCode, form.ErrorMessage))
        return Response(status_code=204)

    def spooled(self, form: TwilioMessage | TwilioStatus, notice) -> Response:
        """While the database is down: the short notice in TwiML; a delivery report is taken, to be applied later."""
        if isinstance(form, TwilioStatus):
            return Response(status_code=204)
        channel = Channel.WHATSAPP if form.From.startswith(WHATSAPP_PREFIX) else Channel.SMS
        return Response(twiml(notice(channel, form.From)), media_type="application/xml")

    def senders(self, settings: Settings) -> dict[Channel, Sender]:
        if not settings.twilio_account_sid or not (settings.twilio_sms_from or settings.twilio_whatsapp_from):
            return {}
        sender = TwilioSender(
            make_client(settings.twilio_account_sid, settings.twilio_auth_token, settings.twilio_api_url),
            sms_from=settings.twilio_sms_from,
            whatsapp_from=settings.twilio_whatsapp_from,
            template_sid=settings.whatsapp_template_sid,
            status_callback=f"{settings.public_url}/webhooks/twilio/status",
        )
        senders: dict[Channel, Sender] = {}
        if settings.twilio_whatsapp_from:
            senders[Channel.WHATSAPP] = sender
        if settings.sms_provider == self.name and settings.twilio_sms_from:
            senders[Channel.SMS] = sender
        return senders

    def limits(self):
        return (SMS_PARTS,)


def twiml(reply: str | None) -> str:
    response = MessagingResponse()
    if reply:
        response.message(reply)
    return str(response)


# Most answers are the same few texts (a menu, a question), and the SDK's writing of one cost a twentieth of
# a turn (bench/turn_cpu.py): each is written once. Never an answer within a confidential report: it is kept
# no longer than its turn.
common_twiml = lru_cache(maxsize=512)(twiml)


class TwilioSender:
    """Sends SMS and WhatsApp through the Twilio SDK, with a status callback for every message."""

    def __init__(self, client: Client, sms_from: str, whatsapp_from: str, template_sid: str, status_callback: str):
        self.client = client
        self.sms_from = sms_from
        self.whatsapp_from = whatsapp_from
        self.template_sid = template_sid
        self.status_callback = status_callback

    def _arguments(self, out: Outgoing) -> dict:
        if out.channel == Channel.SMS:
            return {"to": out.to, "from_": self.sms_from, "body": out.text}
        arguments = {"to": f"{WHATSAPP_PREFIX}{out.to}", "from_": f"{WHATSAPP_PREFIX}{self.whatsapp_from}"}
        if not out.use_template:
            return arguments | {"body": out.text}
        if not self.template_sid:
            raise PermanentSendError("outside WhatsApp's 24-hour window and no template configured", "no_template")
        return arguments | {"content_sid": self.template_sid, "content_variables": json.dumps({"1": out.text})}

    def send(self, out: Outgoing) -> str:
        """Twilio's message SID; raises a SendError saying whether trying again is safe."""
        arguments = self._arguments(out) | {"status_callback": self.status_callback}
        try:
            return self.client.messages.create(**arguments).sid
        except TwilioRestException as error:
            reason = error.msg or f"HTTP {error.status}"
            if error.status == 429 or error.status >= 500:
                raise TransientSendError(reason, str(error.code or error.status)) from error
            raise PermanentSendError(reason, str(error.code or error.status)) from error
        except requests.exceptions.RequestException as error:
            raise classify_network_error(error) from error


def classify_network_error(error: requests.exceptions.RequestException) -> SendError:
    """Only a request that surely never left is safe to repeat."""
    never_sent = isinstance(error, requests.exceptions.ConnectTimeout) or (
        isinstance(error, requests.exceptions.ConnectionError) and _refused(error)
    )
    cls = TransientSendError if never_sent else UncertainSendError
    return cls(f"network: {error.__class__.__name__}", "network")


def _refused(error: requests.exceptions.ConnectionError) -> bool:
    reason = getattr(error.args[0], "reason", None) if error.args else None
    return isinstance(reason, urllib3.exceptions.NewConnectionError)


def make_client(account_sid: str, auth_token: str, api_url: str, timeout: float = 15.0) -> Client:
    # The SDK waits forever by default; a stuck request would hold a worker and its send slot.
    client = Client(account_sid, auth_token, http_client=TwilioHttpClient(timeout=timeout))
    client.api.base_url = api_url  # the real API, or a local double in tests
    return client
