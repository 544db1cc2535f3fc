"""A generic HTTP SMS gateway, for a local aggregator or operator (Twilio has no two-way SMS in Mali).

Inbound: the gateway POSTs a form `from`, `text`, `id`, `secret` to /webhooks/gateway/sms and sends
the person the `reply` of our JSON answer. Outbound: we POST JSON `{"to", "text", "reference"}` to
GATEWAY_URL with `Authorization: Bearer GATEWAY_TOKEN`, and expect a 2xx answer `{"id": "<gateway
message id>"}`. Delivery reports: the gateway POSTs a form `id`, `status` (sent, delivered,
undelivered or failed), optional `error`, and `secret` to /webhooks/gateway/status.
"""

import hmac
from typing import ClassVar, Literal

import httpx
from pydantic import Field, ValidationInfo, field_validator
from starlette.responses import JSONResponse, Response

from bot.channels.base import (
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
from bot.conversation.inbound import InboundMessage
from bot.outbound.provider import Outgoing, PermanentSendError, Sender, TransientSendError, UncertainSendError
from bot.vocabulary import Channel, MessageStatus

# Gateway ids live beside Twilio's SIDs in one column; the prefix keeps them apart.
ID_PREFIX = "gw:"


class GatewayMessage(ProviderForm):
    sender: str = Field(alias="from", min_length=1)
    id: str = Field(min_length=1, max_length=60)
    text: str = ""

    # The gateway relays SMS: an aggregator may write the GSM `@` as 0x00.
    sms_text: ClassVar = ("text",)

    _strip = field_validator("sender", "id", mode="before")(stripped)

    @field_validator("text")
    @classmethod
    def _text(cls, value: str, info: ValidationInfo) -> str:
        return max_text(value, info, "`text`")


class GatewayStatus(ProviderForm):
    id: str = Field(min_length=1)
    status: Literal["sent", "delivered", "undelivered", "failed"]
    error: str = ""


class HttpGateway(ChannelAdapter):
    name = "gateway"
    statuses: ClassVar = {status: MessageStatus(status) for status in ("sent", "delivered", "undelivered", "failed")}

    def routes(self) -> tuple[Route, ...]:
        return (
            Route("/webhooks/gateway/sms", GatewayMessage, self.receive, "SMS gateway: a message"),
            Route("/webhooks/gateway/status", GatewayStatus, self.delivered, "SMS gateway: a delivery report"),
        )

    def verify(self, request: ProviderRequest, settings: Settings) -> None:
        expected, given = settings.gateway_secret, request.form.get("secret") or ""
        if not expected or not hmac.compare_digest(expected.encode(), given.encode()):
            raise Forbidden("invalid secret")

    def receive(self, form: GatewayMessage, exchange: Exchange) -> Response:
        """Answers `{"reply": text or null}`: the gateway sends the reply, as Twilio does with TwiML."""
        handled = exchange.converse(InboundMessage(Channel.SMS, form.sender, form.text, ID_PREFIX + form.id))
        return JSONResponse({"reply": handled.reply})

    def delivered(self, form: GatewayStatus, exchange: Exchange) -> Response:
        # The gateway's error has no code of its own: "gateway" says whose it is.
        exchange.record(self.report(ID_PREFIX + form.id, form.status, "gateway" if form.error else None, form.error))
        return Response(status_code=204)

    def spooled(self, form: GatewayMessage | GatewayStatus, notice) -> Response:
        """While the database is down: the short notice as the `reply`; a delivery report is taken, applied later."""
        if isinstance(form, GatewayStatus):
            return Response(status_code=204)
        return JSONResponse({"reply": notice(Channel.SMS, form.sender)})

    def senders(self, settings: Settings) -> dict[Channel, Sender]:
        if settings.sms_provider != self.name or not settings.gateway_url:
            return {}
        return {Channel.SMS: GatewaySender(settings.gateway_url, settings.gateway_token)}

    def limits(self):
        return (SMS_PARTS,)


class GatewaySender:
    def __init__(self, url: str, token: str, timeout: float = 10.0):
        self.url = url
        self.client = httpx.Client(timeout=timeout, headers={"Authorization": f"Bearer {token}"})

    def send(self, out: Outgoing) -> str:
        try:
            payload = {"to": out.to, "text": out.text, "reference": str(out.message_id)}
            response = self.client.post(self.url, json=payload)
        except (httpx.ConnectError, httpx.ConnectTimeout) as error:
            raise TransientSendError(f"network: {error.__class__.__name__}", "network") from error
        except httpx.HTTPError as error:  # sent, but no answer: it may have gone out
            raise UncertainSendError(f"network: {error.__class__.__name__}", "network") from error
        if response.status_code == 429 or response.status_code >= 500:
            raise TransientSendError(f"HTTP {response.status_code}", str(response.status_code))
        if response.status_code >= 300:
            raise PermanentSendError(response.text[:500] or f"HTTP {response.status_code}", str(response.status_code))
        try:
            return ID_PREFIX + str(response.json()["id"])
        except (ValueError, KeyError, TypeError) as error:
            raise UncertainSendError("the gateway took it but gave no id", "no_id") from error
