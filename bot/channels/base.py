"""What every channel hands to the conversation layer."""

from dataclasses import dataclass
from urllib.parse import parse_qsl


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


def parse_form(body: bytes) -> dict[str, str]:
    """A form body, strictly UTF-8 (percent-escapes included): providers never send anything else."""
    try:
        return dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True, encoding="utf-8", errors="strict"))
    except UnicodeDecodeError as error:
        raise BadRequest("the form is not valid UTF-8") from error
