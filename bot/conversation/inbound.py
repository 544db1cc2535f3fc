"""What every channel hands to the conversation: one message from a person."""

from dataclasses import dataclass

from bot.vocabulary import Channel


@dataclass(frozen=True)
class InboundMedia:
    """A file the person sent (a voice note, a photo, a call's recording), still at the provider's URL."""

    url: str
    content_type: str
    # A recording's length, when the provider says it (Twilio's RecordingDuration).
    seconds: int | None = None


@dataclass(frozen=True)
class InboundMessage:
    channel: Channel
    sender: str  # as the provider wrote it; normalised by the conversation
    text: str
    # The provider's id for the message, unique per channel: a retry with the same id gets the same answer.
    provider_id: str
    media: tuple[InboundMedia, ...] = ()
