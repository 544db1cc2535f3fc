"""What every channel hands to the conversation layer."""

from dataclasses import dataclass


@dataclass(frozen=True)
class InboundMessage:
    channel: str  # sms | whatsapp | ussd | ...
    sender: str  # as the provider wrote it; normalised by the conversation layer
    text: str
    provider_id: str
    media: tuple[str, ...] = ()


class BadRequest(ValueError):
    """Input a provider should never send: answered with a 4xx, never a 500."""

    status = 400


class TooLarge(BadRequest):
    status = 413
