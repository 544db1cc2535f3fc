"""USSD, Africa's Talking protocol: a form POST per key press, a `CON ` or `END ` text answer.

`text` holds every input of the session joined by `*` ("1*2*Water"). We remember the text
we last answered for each session, so the newest input is what extends it (free text may
itself hold `*`), and a replayed request gets the very same answer.
"""

import hashlib
from dataclasses import dataclass, field

from bot.channels.base import BadRequest

SCREEN = 182  # characters a USSD screen holds
MORE, BACK = "98", "0"


@dataclass(frozen=True)
class UssdRequest:
    session_id: str
    phone: str
    text: str
    service_code: str = ""


@dataclass
class UssdSession:
    """What we keep between two requests of one USSD session."""

    text: str | None = None  # the `text` we last answered
    answer: str = ""  # that answer, for a replay
    pages: list[str] = field(default_factory=list)
    page: int = 0
    waiting: bool = True

    @classmethod
    def from_dict(cls, data: dict | None) -> "UssdSession":
        return cls(**data) if data else cls()


def parse(form: dict[str, str], max_text_chars: int) -> UssdRequest:
    session_id, phone = form.get("sessionId", "").strip(), form.get("phoneNumber", "").strip()
    if not session_id or not phone or len(session_id) > 100:
        raise BadRequest("sessionId and phoneNumber are required")
    text = form.get("text", "")
    if len(text) > max_text_chars:
        raise BadRequest("text is too long")
    return UssdRequest(session_id, phone, text, form.get("serviceCode", ""))


def newest_input(previous: str | None, text: str) -> str:
    """What the person just typed: the part of `text` after what we already answered."""
    if previous is None or previous == "":
        return text
    if text.startswith(previous + "*"):
        return text[len(previous) + 1 :]
    return text.rsplit("*", 1)[-1]  # an aggregator that restarted the text: its last input


def provider_id(request: UssdRequest) -> str:
    """One id per distinct request of a session, so a replay is recognised like a Twilio retry."""
    digest = hashlib.sha256(f"{request.session_id}\x00{request.text}".encode()).hexdigest()
    return f"ussd:{digest[:40]}"


def paginate(text: str, more: str, back: str, limit: int = SCREEN) -> list[str]:
    """Screens of at most `limit` characters, with `98` for more and `0` for back; nothing is cut."""
    if len(text) <= limit:
        return [text]
    budget = limit - len(f"\n{MORE} {more}\n{BACK} {back}")
    pages, current = [], ""
    for line in _lines_that_fit(text.split("\n"), budget):
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > budget:
            pages.append(current)
            current = line
        else:
            current = candidate
    pages.append(current)
    last = len(pages) - 1
    return [
        page + (f"\n{MORE} {more}" if i < last else "") + (f"\n{BACK} {back}" if i > 0 else "")
        for i, page in enumerate(pages)
    ]


def _lines_that_fit(lines: list[str], width: int) -> list[str]:
    """Lines longer than a screen are broken between words."""
    fitted = []
    for line in lines:
        while len(line) > width:
            cut = line.rfind(" ", 0, width)
            cut = cut if cut > 0 else width
            fitted.append(line[:cut])
            line = line[cut:].lstrip()
        fitted.append(line)
    return fitted


def respond(text: str, waiting: bool) -> str:
    return ("CON " if waiting else "END ") + text
