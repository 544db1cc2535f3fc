"""Twilio's messaging webhook (SMS and WhatsApp): verify, parse, and answer in TwiML."""

import json

import requests
import urllib3
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.request_validator import RequestValidator
from twilio.rest import Client
from twilio.twiml.messaging_response import MessagingResponse

from bot.channels.base import BadRequest, InboundMessage
from bot.outbound.provider import (
    Outgoing,
    PermanentSendError,
    SendError,
    TransientSendError,
    UncertainSendError,
)
from bot.phones import WHATSAPP_PREFIX

# Twilio sends at most 10 media items; anything beyond is not from Twilio.
MAX_MEDIA = 10


def signature_is_valid(auth_token: str, url: str, params: dict[str, str], signature: str | None) -> bool:
    return bool(signature) and RequestValidator(auth_token).validate(url, params, signature)


def to_inbound(params: dict[str, str], max_text_chars: int) -> InboundMessage:
    sid, sender = params.get("MessageSid", "").strip(), params.get("From", "").strip()
    if not sid or not sender:
        raise BadRequest("MessageSid and From are required")
    if len(sid) > 64:
        raise BadRequest("MessageSid is too long")
    try:
        media_count = min(int(params.get("NumMedia") or 0), MAX_MEDIA)
    except ValueError as error:
        raise BadRequest("NumMedia is not a number") from error
    media = tuple(url for i in range(media_count) if (url := params.get(f"MediaUrl{i}")))
    text = params.get("Body", "")
    if len(text) > max_text_chars:
        raise BadRequest("Body is longer than any message Twilio delivers")
    channel = "whatsapp" if sender.startswith(WHATSAPP_PREFIX) else "sms"
    return InboundMessage(channel=channel, sender=sender, text=text, provider_id=sid, media=media)


def twiml(reply: str | None) -> str:
    response = MessagingResponse()
    if reply:
        response.message(reply)
    return str(response)


class TwilioSender:
    """Sends SMS and WhatsApp through the Twilio SDK, with a status callback for every message."""

    def __init__(self, client: Client, sms_from: str, whatsapp_from: str, template_sid: str, status_callback: str):
        self.client = client
        self.sms_from = sms_from
        self.whatsapp_from = whatsapp_from
        self.template_sid = template_sid
        self.status_callback = status_callback

    def _arguments(self, out: Outgoing) -> dict:
        if out.channel == "sms":
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
