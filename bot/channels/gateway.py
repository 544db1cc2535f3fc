"""A generic HTTP SMS gateway, for a local aggregator or operator (Twilio has no two-way SMS in Mali).

Inbound: the gateway POSTs a form `from`, `text`, `id`, `secret` to /webhooks/gateway/sms.
Outbound: we POST JSON `{"to", "text", "reference"}` to GATEWAY_URL with `Authorization:
Bearer GATEWAY_TOKEN`, and expect a 2xx answer `{"id": "<gateway message id>"}`.
Delivery reports: the gateway POSTs a form `id`, `status` (delivered | failed), optional
`error`, and `secret` to /webhooks/gateway/status.
"""

import hmac

import httpx

from bot.channels.base import BadRequest, InboundMessage
from bot.outbound.provider import (
    Outgoing,
    PermanentSendError,
    TransientSendError,
    UncertainSendError,
)

# Gateway ids live beside Twilio's SIDs in one column; the prefix keeps them apart.
ID_PREFIX = "gw:"


def secret_is_valid(expected: str, given: str | None) -> bool:
    return bool(expected) and hmac.compare_digest(expected.encode(), (given or "").encode())


def to_inbound(form: dict[str, str], max_text_chars: int) -> InboundMessage:
    sender, message_id = form.get("from", "").strip(), form.get("id", "").strip()
    if not sender or not message_id or len(message_id) > 60:
        raise BadRequest("`from` and `id` are required")
    text = form.get("text", "")
    if len(text) > max_text_chars:
        raise BadRequest("`text` is too long")
    return InboundMessage(channel="sms", sender=sender, text=text, provider_id=ID_PREFIX + message_id)


class GatewaySender:
    def __init__(self, url: str, token: str, timeout: float = 10.0):
        self.url = url
        self.client = httpx.Client(timeout=timeout, headers={"Authorization": f"Bearer {token}"})

    def send(self, out: Outgoing) -> str:
        try:
            response = self.client.post(
                self.url, json={"to": out.to, "text": out.text, "reference": str(out.message_id)}
            )
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
