"""What the channel tables read back: what a provider's request left in the database.

Each adapter's module posts its cases through the real app; these helpers say what was stored,
in the words of a case: the inbound message (channel, sender in clear, text, provider id, media),
how many rows there are, and an outbound message made ready for a provider's delivery reports.
"""

from dataclasses import dataclass

from sqlalchemy import func, select

from bot.contacts import contact_for
from bot.db import transaction
from bot.handover import enqueue_sends
from bot.models import Contact, Message
from bot.outbound.store import queue_message
from bot.vocabulary import Channel, Direction, Lane
from workers.jobs import send_message


@dataclass(frozen=True)
class Inbound:
    """An inbound message as stored: its channel, the sender's number in clear, its text, the provider's id."""

    channel: str
    sender: str
    text: str | None
    provider_id: str
    media: tuple[str, ...] = ()


def inbound_messages(runtime) -> list[Inbound]:
    """Every inbound message, oldest first, with its sender read from the contact's encrypted number."""
    with runtime.database() as db:
        rows = db.execute(
            select(Message, Contact)
            .join(Contact, Message.contact_id == Contact.id)
            .where(Message.direction == Direction.IN)
            .order_by(Message.id)
        )
        return [
            Inbound(
                message.channel,
                runtime.vault.decrypt(contact.phone_encrypted),
                message.text,
                message.provider_id,
                tuple(message.media or ()),
            )
            for message, contact in rows
        ]


@dataclass(frozen=True)
class Rows:
    """How many messages (each way) and contacts the database holds."""

    inbound: int
    outbound: int
    contacts: int


def rows(runtime) -> Rows:
    with runtime.database() as db:

        def messages(direction: Direction) -> int:
            return db.scalar(select(func.count()).select_from(Message).where(Message.direction == direction))

        return Rows(messages(Direction.IN), messages(Direction.OUT), db.scalar(select(func.count(Contact.id))))


def count(runtime, model) -> int:
    with runtime.database() as db:
        return db.scalar(select(func.count()).select_from(model))


def stored(runtime, message_id: int) -> Message:
    with runtime.database() as db:
        return db.get(Message, message_id)


def opted_out(runtime, contact_id: int) -> bool:
    with runtime.database() as db:
        return db.get(Contact, contact_id).opted_out_at is not None


def a_contact(runtime, number: str) -> int:
    """A person we may write to (the contact only: no conversation needed to send them a text)."""
    with transaction(runtime.database) as db:
        return contact_for(db, runtime.vault, number).id


def sent_message(runtime, contact_id: int, text: str, channel: Channel = Channel.SMS) -> Message:
    """A message stored and handed to its provider in this process, as a worker would: status `queued`."""
    with transaction(runtime.database) as db:
        message_id = queue_message(db, contact_id, channel, text).id
    assert send_message(message_id) == "queued"
    return stored(runtime, message_id)


def queued(runtime, contact_id: int, text: str, channel: Channel = Channel.SMS) -> int:
    """A message stored and handed to RQ, as the app does once its transaction commits; for `run_worker`."""
    with transaction(runtime.database) as db:
        message_id = queue_message(db, contact_id, channel, text).id
    settings = runtime.settings
    enqueue_sends(runtime.redis, [(message_id, Lane.REPLY)], settings.send_attempts, settings.send_retry_seconds)
    return message_id
