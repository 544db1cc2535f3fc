"""USSD, Africa's Talking protocol: a form POST per key press, a `CON ` or `END ` text answer.

`text` holds every input of the session joined by `*` ("1*2*Water"). We remember the text
we last answered for each session, so the newest input is what extends it (free text may
itself hold `*`), and a replayed request gets the very same answer. No screen holds more than
182 characters: longer ones are paged (`98` more, `0` back), never cut. There is no request
signing: the callback URL carries a secret, `?token=USSD_TOKEN`.
"""

import hashlib
import hmac
from dataclasses import asdict, dataclass, field

from pydantic import Field, ValidationInfo, field_validator
from starlette.responses import PlainTextResponse, Response

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
from bot.config import Settings
from bot.conversation.inbound import InboundMessage
from bot.engine.texts import N_, OPTED_OUT
from bot.screens import Screen
from bot.vocabulary import Channel

SCREEN = 182  # characters a USSD screen holds
MORE, BACK = "98", "0"
MORE_LABEL = N_("ussd", "More")
BACK_LABEL = N_("ussd", "Back")


class UssdForm(ProviderForm):
    sessionId: str = Field(min_length=1, max_length=100)
    phoneNumber: str = Field(min_length=1)
    text: str = ""
    serviceCode: str = ""

    _strip = field_validator("sessionId", "phoneNumber", mode="before")(stripped)

    @field_validator("text")
    @classmethod
    def _text(cls, value: str, info: ValidationInfo) -> str:
        return max_text(value, info, "text")


@dataclass
class Paging:
    """What we keep between two requests of one USSD session: the answer being read, page by page."""

    text: str | None = None  # the `text` we last answered
    answer: str = ""  # that answer, for a replay
    pages: list[str] = field(default_factory=list)
    page: int = 0
    waiting: bool = True

    @classmethod
    def from_dict(cls, data: dict | None) -> "Paging":
        return cls(**data) if data else cls()


@dataclass(frozen=True)
class UssdScreen:
    """A USSD screen shows at most this many characters of the text as written."""

    characters: int = SCREEN

    def summary(self) -> str:
        return f"A USSD screen holds {self.characters} characters"

    def problem(self, screen: Screen, alphabet: str) -> str | None:
        if len(screen.text) <= self.characters:
            return None
        return (
            f"the `{screen.language}` screen is {len(screen.text)} characters,"
            f" over the {self.characters} of a USSD screen"
        )

    def note(self, screen: Screen, alphabet: str) -> str | None:
        return f"over {self.characters} characters (USSD)" if len(screen.text) > self.characters else None


class AfricasTalkingUssd(ChannelAdapter):
    name = "ussd"

    def routes(self) -> tuple[Route, ...]:
        return (Route("/webhooks/ussd", UssdForm, self.receive, "USSD (Africa's Talking): a key press"),)

    def verify(self, request: ProviderRequest, settings: Settings) -> None:
        given = request.query.get("token", "").encode()
        # Each token compared in full (a rotation has two), so the time taken tells nothing of either.
        matches = [hmac.compare_digest(given, token.encode()) for token in settings.ussd_tokens]
        if not given or not any(matches):
            raise Forbidden("invalid token")

    def limits(self):
        return (UssdScreen(),)

    def spooled(self, form: UssdForm, notice) -> Response:
        """While the database is down: the short notice, and the session ends (it cannot wait that long)."""
        return PlainTextResponse(respond(notice(Channel.USSD, form.phoneNumber), waiting=False))

    def receive(self, form: UssdForm, exchange: Exchange) -> Response:
        store = exchange.store(exchange.settings.ussd_session_seconds)
        key = f"baro:ussd:{form.sessionId}"
        paging = Paging.from_dict(store.load(exchange.db, key))
        if paging.text == form.text and paging.answer:
            return PlainTextResponse(paging.answer)  # the aggregator replayed a request we already answered
        typed = newest_input(paging.text, form.text)
        if typed == MORE and paging.page < len(paging.pages) - 1:
            paging.page += 1
        elif typed == BACK and paging.page > 0:
            paging.page -= 1
        else:
            self._converse(exchange, form, typed, paging)
        more_to_read = paging.page < len(paging.pages) - 1
        paging.text = form.text
        paging.answer = respond(paging.pages[paging.page], paging.waiting or more_to_read)
        store.save(exchange.db, key, asdict(paging))
        return PlainTextResponse(paging.answer)

    @staticmethod
    def _converse(exchange: Exchange, form: UssdForm, typed: str, paging: Paging) -> None:
        inbound = InboundMessage(Channel.USSD, form.phoneNumber, typed, provider_id(form))
        # A session that ends closes the screen: "0 Menu" under a last message could not be answered there.
        handled = exchange.converse(
            inbound, fresh=paging.text is None, write=lambda answer: exchange.write(answer.closing(), Channel.USSD)
        )
        # The USSD screen vanishes; the reference must stay with the person. Never for a confidential
        # report: an SMS would stay in the inbox of a phone that others may read.
        if handled.answer and handled.feedback_ids and not handled.confidential and exchange.can_send(Channel.SMS):
            exchange.send_later(handled.contact_id, Channel.SMS, exchange.write(handled.answer.closing(), Channel.SMS))
        catalogues = exchange.catalogues
        # Someone who opted out and dials anyway is told how to come back; a USSD screen cannot be silent.
        screen = handled.reply or catalogues.text(handled.language, OPTED_OUT)
        labels = [catalogues.text(handled.language, label) for label in (MORE_LABEL, BACK_LABEL)]
        paging.pages, paging.page = paginate(screen, *labels), 0
        paging.waiting = handled.waiting or handled.reply is None


def newest_input(previous: str | None, text: str) -> str:
    """What the person just typed: the part of `text` after what we already answered."""
    if previous is None or previous == "":
        return text
    if text.startswith(previous + "*"):
        return text[len(previous) + 1 :]
    return text.rsplit("*", 1)[-1]  # an aggregator that restarted the text: its last input


def provider_id(form: UssdForm) -> str:
    """One id per distinct request of a session, so a replay is recognised like a Twilio retry."""
    digest = hashlib.sha256(f"{form.sessionId}\x00{form.text}".encode()).hexdigest()
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
