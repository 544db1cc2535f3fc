"""Phone numbers: normalised to E.164 with `phonenumbers`, whatever the provider sent."""

from functools import lru_cache

import phonenumbers

WHATSAPP_PREFIX = "whatsapp:"


# Every message normalises its sender, and parsing was 4% of a turn (bench/turn_cpu.py): the same people write
# again within minutes. The numbers kept are those the process is answering anyway, never written anywhere.
@lru_cache(maxsize=4096)
def normalize(raw: str, region: str) -> str:
    """E.164 when the sender is a possible number; otherwise the sender id itself, trimmed.

    Some senders are not numbers (operator short codes, alphanumeric ids): they are
    still one person to answer, so they keep a stable identity instead of an error.
    """
    raw = raw.strip().removeprefix(WHATSAPP_PREFIX).strip()
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return "".join(raw.split())
    if not phonenumbers.is_possible_number(number):
        return "".join(raw.split())
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def mask(e164: str) -> str:
    """`+223 •• •• •• 41`: enough to tell two people apart on screen, not to call them."""
    if not e164.startswith("+") or len(e164) < 6:
        return "••••"
    country = "+223" if e164.startswith("+223") else e164[:3]
    return f"{country} •• •• •• {e164[-2:]}"
