"""What a provider is given to send, and how it says it did not send it.

Each channel adapter (bot.channels) implements `Sender` for the channels it can send on.
"""

from dataclasses import dataclass
from typing import Protocol

from bot.vocabulary import Channel


@dataclass(frozen=True)
class Outgoing:
    """One message for a provider to send: the number in clear only for the length of the call."""

    message_id: int
    channel: Channel
    to: str  # E.164
    text: str
    # WhatsApp outside the 24-hour window: only the approved template may carry the text.
    use_template: bool = False


class Sender(Protocol):
    def send(self, out: Outgoing) -> str:
        """The provider's id for the message; raises a SendError saying whether trying again is safe."""


class SendError(Exception):
    """A provider did not take the message."""

    def __init__(self, reason: str, code: str | None = None):
        super().__init__(reason)
        self.reason, self.code = reason, code


class TransientSendError(SendError):
    """Not taken, and safe to try again later (connection refused, 429, 5xx)."""


class PermanentSendError(SendError):
    """Refused for good (invalid or unsubscribed number, no template): never retried."""


class UncertainSendError(SendError):
    """The request may have reached the provider (a read timeout): retrying could send it twice."""
