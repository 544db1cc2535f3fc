"""Handling one inbound message: store it, advance the conversation, carry out its actions, keep the answer."""

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import NamedTuple

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session

from bot import metrics
from bot.actions.base import ActionContext, ActionUnit
from bot.cases.lifecycle import Desk
from bot.contacts import ContactRecord, record_for
from bot.conversation.inbound import InboundMessage
from bot.conversation.state import StateStore, position_key
from bot.db import RETRY
from bot.engine.flow import FlowSet
from bot.engine.interpreter import Choice, Context, Reply, Turn, step
from bot.engine.texts import MEDIA_REFUSED
from bot.i18n import Answer, Catalogues
from bot.line import Line
from bot.media.files import MediaRules, gather, record
from bot.menus.base import DataMenu, MenuContext
from bot.models import Contact, Message, utcnow
from bot.phones import normalize
from bot.prepared import Prepared
from bot.vault import Vault
from bot.vocabulary import Channel, Consent, Direction, MessageStatus

# How a channel writes an answer on its medium (text in its alphabet, a TwiML response...).
Writer = Callable[[Answer], str]


def site_confirmed(contact: ContactRecord, days: int) -> bool:
    """Whether the person's site is known and was chosen or confirmed within `days` (0: it never gets old),
    so that "still at Sénou?" is not asked (SITE_CONFIRM_DAYS)."""
    if contact.site_id is None:
        return False
    confirmed = contact.site_confirmed_at
    return not days or (confirmed is not None and utcnow() - confirmed < timedelta(days=days))


# When a person was last seen is written again once it is this old: a conversation's messages come seconds
# apart, and writing it was a statement in every turn. WhatsApp's 24-hour window is then taken as closing up to
# this much early, never late.
SEEN_EVERY = timedelta(minutes=1)


def seen(contact: ContactRecord, channel: str, now: datetime) -> dict[str, object]:
    """What to write of when and where the person was seen: where, if it changed; when, if it has grown old."""
    columns = ("last_seen_at", "whatsapp_seen_at") if channel == Channel.WHATSAPP else ("last_seen_at",)
    times = [getattr(contact, column) for column in columns]
    if contact.channel == channel and all(time is not None and now - time < SEEN_EVERY for time in times):
        return {}
    return {"channel": channel} | dict.fromkeys(columns, now)


class Stored(NamedTuple):
    """The inbound message as the turn stored it, as its actions read it (bot.actions.base.Triggering)."""

    id: int
    channel: str


class ProviderIdTaken(ValueError):
    """A provider message id another sender already used: a replay, not a retry. Nothing of theirs is given."""


class LazyChoices(Mapping):
    """Data menus, each loaded from the database only if a state of this turn shows it."""

    def __init__(self, loaders: dict[str, Callable[[], tuple[Choice, ...]]]):
        self._loaders = loaders
        self._loaded: dict[str, tuple[Choice, ...]] = {}

    def __getitem__(self, name: str) -> tuple[Choice, ...]:
        if name not in self._loaded:
            self._loaded[name] = self._loaders[name]()
        return self._loaded[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._loaders)

    def __len__(self) -> int:
        return len(self._loaders)


# What every message runs, built once and run on the transaction's connection: building a statement and
# going through the ORM's execution cost more than running it (bench/capacity.py's profile). What it runs
# every time, storing the message and its answer, is prepared (bot.prepared).
_MESSAGES, _CONTACTS = Message.__table__, Contact.__table__
_EARLIER = (
    select(_MESSAGES.c.id, _CONTACTS.c.phone_hash)
    .select_from(_MESSAGES.outerjoin(_CONTACTS, _CONTACTS.c.id == _MESSAGES.c.contact_id))
    .where(_MESSAGES.c.channel == bindparam("channel"), _MESSAGES.c.provider_id == bindparam("provider_id"))
)
_STORE = Prepared(insert(_MESSAGES).returning(_MESSAGES.c.id))
_RESEAL = update(_MESSAGES).where(_MESSAGES.c.id == bindparam("message"))


@dataclass
class Handled:
    # What to say, structured; None when nothing is said (an opted-out number) or for a provider's retry.
    answer: Answer | None
    reply: str | None  # the answer as written for the inbound channel, and stored
    feedback_ids: list[int] = field(default_factory=list)
    # Texts the actions stored for the outbound pipeline, as (message id, lane).
    messages: list[tuple[int, str]] = field(default_factory=list)
    contact_id: int | None = None
    language: str | None = None
    # The speaker's phone hash and language after the turn (None once erased): what the spool remembers. None
    # when there is nothing to tell: a provider's retry, or someone whose language is still not known.
    speaker: tuple[str, str | None] | None = None
    # A question is open: USSD keeps the session (CON) rather than closing it (END).
    waiting: bool = False
    # The turn was part of a confidential report: nothing about it goes out by text.
    confidential: bool = False
    # Messages whose files are at the provider, for the job that fetches them (bot.media).
    attachments: list[int] = field(default_factory=list)


class Conversations:
    def __init__(
        self,
        flows: FlowSet,
        catalogues: Catalogues,
        vault: Vault,
        store: StateStore,
        region: str,
        actions: Mapping[str, ActionUnit],
        menus: Mapping[str, DataMenu],
        line: Line,
        site_confirm_days: int,
        desk: Desk | None = None,
        media: MediaRules | None = None,
    ):
        self.flows = flows
        self.catalogues = catalogues
        self.vault = vault
        self.store = store
        self.region = region
        self.actions = actions
        self.menus = menus
        self.line = line.facts()  # who runs the line, what a message costs, a safety line: for every prompt
        self.site_confirm_days = site_confirm_days
        self.desk = desk  # for actions that text someone else (bot.actions.base.ActionContext)
        self.keywords = catalogues.keywords()
        self.media = media or MediaRules()  # which files people send are kept (MEDIA_TYPES)

    def _context(self, db: Session, contact: ContactRecord) -> Context:
        menu_context = MenuContext(db, contact, self.catalogues)
        return Context(
            facts={
                "language": contact.language,
                "consent": contact.consent == Consent.ACCEPTED,
                "site": contact.site_slug,
                "site_name": contact.site_name,
                "site_confirmed": site_confirmed(contact, self.site_confirm_days),
                "opted_out": contact.opted_out_at is not None,
                **self.line,
            },
            choices=LazyChoices(
                {name: (lambda menu=menu: menu.load(menu_context)) for name, menu in self.menus.items()}
            ),
            keywords=self.keywords,
            spellings=self.catalogues.spellings,
        )

    def _earlier_reply(self, db: Session, inbound: InboundMessage) -> Handled | None:
        """The answer already given to this provider message id, for a provider's retry from the same sender."""
        found = {"channel": inbound.channel, "provider_id": inbound.provider_id}
        earlier = db.connection().execute(_EARLIER, found).first()
        if earlier is None:
            return None
        if earlier.phone_hash != self.vault.lookup_hash(normalize(inbound.sender, self.region)):
            raise ProviderIdTaken(inbound.provider_id)
        reply = db.scalar(select(Message).where(Message.in_reply_to_id == earlier.id).order_by(Message.id))
        return Handled(answer=None, reply=self._text_of(reply) if reply else None)

    def _text_of(self, message: Message) -> str | None:
        return self.vault.decrypt(message.text_encrypted) if message.text_encrypted else message.text

    def _sealed(self, text: str | None, confidential: bool) -> dict[str, object]:
        """A message's text: in clear, or encrypted when it belongs to a confidential report."""
        if confidential:
            return {"confidential": True, "text": None, "text_encrypted": self.vault.encrypt(text) if text else None}
        return {"confidential": False, "text": text, "text_encrypted": None}

    def handle(self, db: Session, inbound: InboundMessage, write: Writer, fresh: bool = False) -> Handled:
        """Store the message, advance the conversation, store the answer as `write` writes it; the caller commits.

        `fresh` starts over at the main menu (a new USSD session), wherever the conversation waited.
        """
        # A provider's retry of a message already stored fails its INSERT below, and Transactions.run runs the
        # turn again: only then is the stored answer looked for, not at every message (a statement less each).
        earlier = self._earlier_reply(db, inbound) if db.info.get(RETRY) else None
        if earlier:
            return earlier
        connection = db.connection()  # once: the session's bookkeeping for it cost as much as a statement
        contact = record_for(connection, self.vault, normalize(inbound.sender, self.region), inbound.channel)
        known = contact.language
        key = position_key(inbound.channel, contact.id)
        position = None if fresh else self.store.opened(contact.position)
        attached = sum(1 for item in inbound.media if self.media.keeps(item))
        turn = step(self.flows, position, self._context(db, contact), inbound.text, attached)
        if not attached and any(not self.media.takes(item.content_type) for item in inbound.media):
            turn = _file_refused(turn)
        # Answering a confidential flow, or entering one ("4"): even that it happened is for protection staff only.
        confidential = self.flows.is_confidential(position) or self.flows.is_confidential(turn.position)

        stored = {
            "contact_id": contact.id,
            "channel": inbound.channel,
            "direction": Direction.IN,
            "provider_id": inbound.provider_id,
            "media": [item.url for item in inbound.media] or None,  # as the provider named them
            **self._sealed(inbound.text, confidential),
        }
        # One statement (a provider's retry of a stored id fails it: Transactions.run answers it as a retry), and
        # for the actions what they read of it: an ORM copy of the row cost more than the statement.
        message = Stored(_STORE.first(connection, stored)["id"], inbound.channel)
        metrics.count_message(Direction.IN, inbound.channel, "received")
        # Kept whatever the turn does with them, sealed with the message (its `confidential`).
        fetch = record(db, message.id, inbound.media, self.media) if inbound.media else False
        context = ActionContext(db, contact, message, self.vault, desk=self.desk)
        for action in turn.actions:
            self.actions[action.name].carry_out(context, action)
        for feedback_id in context.outcome.feedback_ids:
            gather(db, contact.id, feedback_id)
        if context.outcome.confidential and not confidential:  # e.g. a confidential reference looked up
            confidential = True
            sealed = self._sealed(inbound.text, confidential)
            connection.execute(_RESEAL, {"message": message.id, **sealed})
        self.store.save(db, key, turn.position)
        # What the actions changed, and where they last wrote from: later texts (reminders, broadcasts) go there.
        contact.save(connection, **seen(contact, inbound.channel, utcnow()))

        # A refusal erases the contact's language, but the goodbye is still in the language they chose.
        lang = contact.language or next((a.values["language"] for a in turn.actions if a.values.get("language")), None)
        answer = Answer(turn.replies, lang, context.outcome.values) if turn.replies else None
        reply = write(answer) if answer else None
        if reply:
            # One statement: nothing reads the answer back in this transaction.
            answered = {
                "contact_id": contact.id,
                "channel": inbound.channel,
                "direction": Direction.OUT,
                "in_reply_to_id": message.id,
                "status": MessageStatus.REPLIED,
                **self._sealed(reply, confidential),
            }
            _STORE.run(connection, answered)
            metrics.count_message(Direction.OUT, inbound.channel, MessageStatus.REPLIED)
        return Handled(
            answer=answer,
            reply=reply,
            feedback_ids=context.outcome.feedback_ids,
            messages=context.outcome.messages,
            contact_id=contact.id,
            language=lang or self.catalogues.default,
            speaker=(contact.phone_hash, contact.language) if contact.language or known else None,
            waiting=bool(turn.position) and not turn.position.get("parked"),
            confidential=confidential,
            attachments=[message.id] if fetch else [],
        )


def _file_refused(turn: Turn) -> Turn:
    """The turn's answer saying first that the file sent is of a kind not kept (in place of its hint, if any)."""
    if not turn.replies:  # an opted-out number is told nothing
        return turn
    first, *rest = turn.replies
    told = (replace(first, hint=MEDIA_REFUSED),) if first.hint else (Reply(MEDIA_REFUSED), first)
    return replace(turn, replies=(*told, *rest))
