"""Twilio's messaging webhook (SMS and WhatsApp): verify, parse, and answer in TwiML."""

from urllib.parse import parse_qsl

from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse

from bot.channels.base import BadRequest, InboundMessage
from bot.phones import WHATSAPP_PREFIX

# Twilio sends at most 10 media items; anything beyond is not from Twilio.
MAX_MEDIA = 10


def parse_form(body: bytes) -> dict[str, str]:
    """The form fields, strictly UTF-8: Twilio never sends anything else."""
    try:
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=False, encoding="utf-8", errors="strict")
    except UnicodeDecodeError as error:
        raise BadRequest("the form is not valid UTF-8") from error
    return dict(pairs)


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
