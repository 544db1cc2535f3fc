"""What a channel adapter is: one provider's routes, request check, forms, status table, writing and sending.

Like courier's handlers: an adapter declares its routes; the web layer (bot.web.providers) reads
each request's body within bounds, asks the adapter to verify it, parses it into the route's form (a
pydantic model), and calls the route's handler with the form and an `Exchange`: everything a
handler may use, inside one database transaction whose jobs go to RQ once it has committed.
Adding a channel is a module with one adapter, and one line in bot.channels.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, ValidationInfo, model_validator
from sqlalchemy.orm import Session
from starlette.responses import Response

from bot.config import Settings
from bot.conversation.conversations import Conversations, Handled, ProviderIdTaken, Writer
from bot.conversation.inbound import InboundMessage
from bot.conversation.state import StateStore
from bot.handover import AfterCommit
from bot.i18n import Answer, Catalogues
from bot.outbound.gsm7 import prepare
from bot.outbound.provider import Sender
from bot.outbound.status import record_status
from bot.outbound.store import queue_message
from bot.screens import ScreenLimit
from bot.vault import Vault
from bot.vocabulary import Channel, Lane, MessageStatus


class Refused(ValueError):
    """A provider's request we will not take: answered with `status` and the reason as plain text, never a 500."""

    status = 400


class TooLarge(Refused):
    status = 413


class Forbidden(Refused):
    status = 403


class Conflict(Refused):
    status = 409


NUL = "\x00"


class ProviderForm(BaseModel):
    """A provider's form. Providers add fields without notice: unknown ones are kept, never refused.

    No value keeps a NUL character (0x00): PostgreSQL cannot store one, and the message would be lost.
    Some SMS aggregators deliver the GSM-7 `@` (code 0) as 0x00, so in the fields that hold a person's
    SMS text (`sms_text`, when `is_sms` says the request is an SMS) it is read as `@`; anywhere else it
    is dropped.
    """

    # Its validation errors never quote a value (a person's words or number): a logged one must not carry them.
    model_config = ConfigDict(extra="allow", str_strip_whitespace=False, frozen=True, hide_input_in_errors=True)
    # The form's keys (as the provider spells them) that hold the text of an SMS.
    sms_text: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def is_sms(cls, form: Mapping[str, object]) -> bool:
        """Whether this request is an SMS (its `sms_text` then reads 0x00 as `@`)."""
        return bool(cls.sms_text)

    @model_validator(mode="before")
    @classmethod
    def _without_nul(cls, form: object) -> object:
        if not isinstance(form, Mapping):
            return form
        at = "@" if cls.is_sms(form) else ""
        # A field whose very name holds 0x00 is no provider's: it goes, rather than become (and replace) another.
        return {
            key: _without(value, at if key in cls.sms_text else "")
            for key, value in form.items()
            if not (isinstance(key, str) and NUL in key)
        }


def _without(value: object, nul_as: str) -> object:
    return value.replace(NUL, nul_as) if isinstance(value, str) else value


def stripped(value: object) -> object:
    """A form value without the spaces around it (a validator: `field_validator(..., mode="before")(stripped)`)."""
    return value.strip() if isinstance(value, str) else value


def max_text(value: str, info: ValidationInfo, what: str) -> str:
    """`value`, if no longer than the MAX_TEXT_CHARS the route was given in the validation context."""
    if len(value) > info.context["max_text_chars"]:
        raise ValueError(f"{what} is too long")
    return value


@dataclass(frozen=True)
class ProviderRequest:
    """A provider's request as an adapter verifies it."""

    url: str  # as the provider called it: PUBLIC_URL, the path and the query (what Twilio signs)
    query: Mapping[str, str]
    headers: Mapping[str, str]  # lower-case names
    form: Mapping[str, str]


@dataclass(frozen=True)
class StatusReport:
    """A provider's delivery report, its status read through the adapter's table (None: not one of ours)."""

    provider_id: str
    status: MessageStatus | None
    error_code: str | None = None
    error_message: str | None = None


@dataclass
class Exchange:
    """One provider request being answered, in one database transaction: what a route's handler may use."""

    db: Session
    after: AfterCommit
    settings: Settings
    catalogues: Catalogues
    conversations: Conversations
    vault: Vault
    # The channels a message can be sent on, as configured (bot.runtime).
    sendable: frozenset[Channel] = frozenset()

    def write(self, answer: Answer, channel: Channel) -> str:
        """An answer as text in `channel`'s alphabet (SMS_ALPHABET and its kind)."""
        return prepare(self.catalogues.write(answer), self.settings.alphabet(channel))

    def converse(self, inbound: InboundMessage, fresh: bool = False, write: Writer | None = None) -> Handled:
        """The conversation's answer to `inbound`, written as text on its channel unless `write` says otherwise."""
        try:
            handled = self.conversations.handle(
                self.db, inbound, write or (lambda answer: self.write(answer, inbound.channel)), fresh=fresh
            )
        except ProviderIdTaken as taken:
            raise Conflict("this message id was sent by another number") from taken
        self.after.feedback_ids += handled.feedback_ids
        self.after.messages += handled.messages
        self.after.attachments += handled.attachments
        return handled

    def can_send(self, channel: Channel) -> bool:
        return channel in self.sendable

    def send_later(self, contact_id: int, channel: Channel, text: str) -> None:
        """Store a message for the outbound pipeline; it is queued once the transaction commits."""
        self.after.messages.append((queue_message(self.db, contact_id, channel, text).id, Lane.REPLY))

    def record(self, report: StatusReport) -> bool:
        """Apply a delivery report; False when no message of ours has its id."""
        return record_status(self.db, report.provider_id, report.status, report.error_code, report.error_message)

    def store(self, ttl_seconds: int) -> StateStore:
        """Short-lived state of the adapter's own (a USSD session's pages), kept like a conversation's."""
        return StateStore(self.vault, ttl_seconds)


@dataclass(frozen=True)
class Route:
    """A POST endpoint of the provider's: its path, its form, and what answers it."""

    path: str
    form: type[ProviderForm]
    handle: Callable[[Any, Exchange], Response]
    # Described in the OpenAPI schema with the rest of the application.
    summary: str = ""


class ChannelAdapter:
    """One provider. Subclasses fill in what they have; an adapter that only sends declares no route."""

    name: ClassVar[str]
    # The provider's delivery statuses, as ours.
    statuses: ClassVar[Mapping[str, MessageStatus]] = {}

    def routes(self) -> tuple[Route, ...]:
        return ()

    def verify(self, request: ProviderRequest, settings: Settings) -> None:
        """Raise Forbidden for a request the provider did not send (a signature, a token, a shared secret)."""

    def senders(self, settings: Settings) -> Mapping[Channel, Sender]:
        """What it sends on, as configured; an adapter not chosen by the settings sends nothing."""
        return {}

    def limits(self) -> tuple[ScreenLimit, ...]:
        """How long a screen may be on the channels it serves (checked by `baro flows check`)."""
        return ()

    def report(self, provider_id: str, status: str, error_code: str | None, error_message: str | None) -> StatusReport:
        """A delivery report, its status read through the adapter's table."""
        return StatusReport(provider_id, self.statuses.get(status), error_code or None, error_message or None)

    def spooled(self, form: Any, notice: Callable[[Channel, str], str]) -> Response | None:
        """The answer to a verified request kept in the spool while the database is down (bot/spool), which
        replays it through the same route once the database is back; None: this adapter's requests are not
        kept, and the provider gets a 503.

        `notice(channel, sender)` is the short "received, we will answer soon" in the sender's language,
        written for the channel. It must be a 2xx: a provider retrying into a database that is down helps
        nobody, and Twilio does not retry a refused message at all.
        """
        return None
