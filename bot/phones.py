"""Phone numbers: normalised to E.164 with `phonenumbers`, whatever the provider sent."""

import phonenumbers

WHATSAPP_PREFIX = "whatsapp:"


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
