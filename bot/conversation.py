"""One inbound message through the whole conversation: contact, session, engine, effects, reply."""

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.channels.base import InboundMessage
from bot.effects import Effects, carry_out
from bot.engine.flow import FlowSet
from bot.engine.interpreter import Choice, Context, step
from bot.i18n import Catalogues
from bot.models import Assembly, Contact, Feedback, Message, Signup, Site, utcnow
from bot.outbound.gsm7 import prepare
from bot.outcomes import ASSEMBLY_LABEL
from bot.phones import normalize
from bot.sessions import SessionStore, session_key
from bot.vault import Vault


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


MY_REFERENCES_SHOWN = 5


@dataclass
class Handled:
    reply: str | None  # as sent on the inbound channel
    feedback_ids: list[int] = field(default_factory=list)
    contact_id: int | None = None
    language: str | None = None
    # A question is open: USSD keeps the session (CON) rather than closing it (END).
    waiting: bool = False
    unprepared_reply: str | None = None  # the reply as written, to send again on another channel


class Conversations:
    def __init__(
        self,
        flows: FlowSet,
        catalogues: Catalogues,
        vault: Vault,
        store: SessionStore,
        region: str,
        alphabets: Mapping[str, str] | None = None,
    ):
        self.flows = flows
        self.catalogues = catalogues
        self.vault = vault
        self.store = store
        self.region = region
        # How replies are written per channel (see bot.sms); unlisted channels get the text as written.
        self.alphabets = dict(alphabets or {})
        self.keywords = catalogues.keywords()

    def _contact(self, db: Session, sender: str) -> Contact:
        phone = normalize(sender, self.region)
        digest = self.vault.lookup_hash(phone)
        contact = db.scalar(select(Contact).where(Contact.phone_hash == digest))
        if contact is None:
            try:
                with db.begin_nested():
                    contact = Contact(phone_hash=digest)
                    db.add(contact)
            except IntegrityError:  # the same person writing on two channels at once
                contact = db.scalar(select(Contact).where(Contact.phone_hash == digest))
        if contact.phone_encrypted is None:
            contact.phone_encrypted = self.vault.encrypt(phone)
        contact.last_seen_at = utcnow()
        return contact

    def _context(self, db: Session, contact: Contact) -> Context:
        return Context(
            facts={
                "language": contact.language,
                "consent": contact.consent == "accepted",
                "site": contact.site.slug if contact.site else None,
                "opted_out": contact.opted_out_at is not None,
            },
            choices=LazyChoices(
                {
                    "sites": lambda: self._sites(db),
                    "languages": self.catalogues.language_choices,
                    "assemblies": lambda: self._assemblies(db, contact),
                    "my_references": lambda: self._my_references(db, contact),
                }
            ),
            keywords=self.keywords,
            spellings=self.catalogues.spellings,
        )

    @staticmethod
    def _sites(db: Session) -> tuple[Choice, ...]:
        rows = db.execute(select(Site.slug, Site.name).where(Site.active).order_by(Site.position, Site.name))
        return tuple(Choice(slug, name) for slug, name in rows)

    @staticmethod
    def _assemblies(db: Session, contact: Contact) -> tuple[Choice, ...]:
        """Upcoming assemblies of every site (the flow filters by the person's), with whether each is full or theirs."""
        taken = dict(
            db.execute(
                select(Signup.assembly_id, func.count())
                .where(Signup.status == "confirmed")
                .group_by(Signup.assembly_id)
            ).all()
        )
        mine = dict(
            db.execute(
                select(Signup.assembly_id, Feedback.reference)
                .join(Feedback, Feedback.id == Signup.feedback_id)
                .where(Signup.contact_id == contact.id)
            ).all()
        )
        upcoming = db.execute(
            select(Assembly, Site.slug).join(Site).where(Assembly.starts_at > utcnow()).order_by(Assembly.starts_at)
        )
        return tuple(
            Choice(
                value=str(assembly.id),
                label=ASSEMBLY_LABEL,
                group=slug,
                params={"title": assembly.title, "when": assembly.starts_at, "place": assembly.place},
                attrs={
                    "title": assembly.title,
                    "when": assembly.starts_at,
                    "full": assembly.capacity is not None and taken.get(assembly.id, 0) >= assembly.capacity,
                    "mine": assembly.id in mine,
                    "reference": mine.get(assembly.id),
                },
            )
            for assembly, slug in upcoming
        )

    @staticmethod
    def _my_references(db: Session, contact: Contact) -> tuple[Choice, ...]:
        recent = db.scalars(
            select(Feedback.reference)
            .where(Feedback.contact_id == contact.id)
            .order_by(Feedback.created_at.desc(), Feedback.id.desc())
            .limit(MY_REFERENCES_SHOWN)
        )
        return tuple(Choice(reference, reference) for reference in recent)

    def _earlier_reply(self, db: Session, inbound: InboundMessage) -> Handled | None:
        """The answer already given to this provider message id, for a provider's retry."""
        earlier = db.scalar(
            select(Message).where(Message.channel == inbound.channel, Message.provider_id == inbound.provider_id)
        )
        if earlier is None:
            return None
        reply = db.scalar(select(Message).where(Message.in_reply_to_id == earlier.id).order_by(Message.id))
        return Handled(reply=self._text_of(reply) if reply else None)

    def _text_of(self, message: Message) -> str | None:
        return self.vault.decrypt(message.text_encrypted) if message.text_encrypted else message.text

    def _keep(self, message: Message, text: str | None, confidential: bool) -> None:
        """A message's text: in clear, or encrypted when it belongs to a confidential report."""
        message.confidential = confidential
        if confidential:
            message.text, message.text_encrypted = None, self.vault.encrypt(text) if text else None
        else:
            message.text = text

    def handle(self, db: Session, inbound: InboundMessage, fresh: bool = False) -> Handled:
        """Store the message, advance the conversation, store the reply; the caller commits.

        `fresh` starts over at the main menu (a new USSD session), whatever was pending.
        """
        earlier = self._earlier_reply(db, inbound)
        if earlier:
            return earlier
        contact = self._contact(db, inbound.sender)
        key = session_key(inbound.channel, contact.id)
        session = None if fresh else self.store.load(db, key)
        turn = step(self.flows, session, self._context(db, contact), inbound.text)
        # Answering a confidential flow, or entering one ("4"): even that it happened is for protection staff only.
        confidential = self.flows.is_confidential(session) or self.flows.is_confidential(turn.session)

        message = Message(
            contact_id=contact.id,
            channel=inbound.channel,
            direction="in",
            provider_id=inbound.provider_id,
            media=list(inbound.media) or None,
        )
        self._keep(message, inbound.text, confidential)
        db.add(message)
        db.flush()
        outcome = carry_out(Effects(db, contact, message, self.vault), turn.actions)
        self.store.save(db, key, turn.session)

        # A refusal erases the contact's language, but the goodbye is still in the language they chose.
        lang = contact.language or next((a.values["language"] for a in turn.actions if a.values.get("language")), None)
        written = "\n".join(self.catalogues.render(r, lang, outcome.values) for r in turn.replies) or None
        reply = prepare(written, self.alphabets.get(inbound.channel, "unicode")) if written else None
        if reply:
            answer = Message(
                contact_id=contact.id,
                channel=inbound.channel,
                direction="out",
                in_reply_to_id=message.id,
                status="replied",
            )
            self._keep(answer, reply, confidential)
            db.add(answer)
        return Handled(
            reply=reply,
            feedback_ids=outcome.feedback_ids,
            contact_id=contact.id,
            language=lang or self.catalogues.default,
            waiting=bool(turn.session) and not turn.session.get("parked"),
            unprepared_reply=written,
        )
