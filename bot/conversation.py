"""One inbound message through the whole conversation: contact, session, engine, effects, reply."""

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.channels.base import InboundMessage
from bot.effects import carry_out
from bot.engine.flow import FlowSet
from bot.engine.interpreter import Choice, Context, step
from bot.i18n import Catalogues
from bot.models import Contact, Message, Site, utcnow
from bot.phones import normalize
from bot.sessions import SessionStore, session_key
from bot.vault import Vault


@dataclass
class Handled:
    reply: str | None
    feedback_ids: list[int] = field(default_factory=list)
    duplicate: bool = False


class Conversations:
    def __init__(self, flows: FlowSet, catalogues: Catalogues, vault: Vault, store: SessionStore, region: str):
        self.flows = flows
        self.catalogues = catalogues
        self.vault = vault
        self.store = store
        self.region = region
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
        sites = db.execute(select(Site.slug, Site.name).where(Site.active).order_by(Site.position, Site.name))
        return Context(
            facts={
                "language": contact.language,
                "consent": contact.consent == "accepted",
                "site": contact.site.slug if contact.site else None,
                "opted_out": contact.opted_out_at is not None,
            },
            choices={
                "sites": tuple(Choice(slug, name) for slug, name in sites),
                "languages": self.catalogues.language_choices(),
            },
            keywords=self.keywords,
            spellings=self.catalogues.spellings,
        )

    @staticmethod
    def _earlier_reply(db: Session, inbound: InboundMessage) -> Handled | None:
        """The answer already given to this provider message id, for a provider's retry."""
        earlier = db.scalar(
            select(Message).where(Message.channel == inbound.channel, Message.provider_id == inbound.provider_id)
        )
        if earlier is None:
            return None
        reply = db.scalar(select(Message.text).where(Message.in_reply_to_id == earlier.id).order_by(Message.id))
        return Handled(reply=reply, duplicate=True)

    def handle(self, db: Session, inbound: InboundMessage) -> Handled:
        """Store the message, advance the conversation, store the reply; the caller commits."""
        earlier = self._earlier_reply(db, inbound)
        if earlier:
            return earlier
        contact = self._contact(db, inbound.sender)
        message = Message(
            contact_id=contact.id,
            channel=inbound.channel,
            direction="in",
            provider_id=inbound.provider_id,
            text=inbound.text,
            media=list(inbound.media) or None,
        )
        db.add(message)
        db.flush()

        key = session_key(inbound.channel, contact.id)
        turn = step(self.flows, self.store.load(db, key), self._context(db, contact), inbound.text)
        outcome = carry_out(db, contact, message, turn.actions)
        self.store.save(db, key, turn.session)

        # A refusal erases the contact's language, but the goodbye is still in the language they chose.
        lang = contact.language or next((a.values["language"] for a in turn.actions if a.values.get("language")), None)
        reply = "\n".join(self.catalogues.render(r, lang, outcome.values) for r in turn.replies) or None
        if reply:
            db.add(Message(contact_id=contact.id, channel=inbound.channel, direction="out", in_reply_to_id=message.id, text=reply))
        return Handled(reply=reply, feedback_ids=outcome.feedback_ids)
