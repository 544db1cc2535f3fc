"""The people baro talks to, one contact per phone number whatever the channel."""

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, String, bindparam, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.conversation.state import Saved, position_key_in_sql
from bot.db import insert_unless_taken
from bot.models import Contact, ConversationState, Site
from bot.prepared import Prepared
from bot.vault import Vault

_CONTACTS, _SITES, _STATES = Contact.__table__, Site.__table__, ConversationState.__table__


def contact_for(db: Session, vault: Vault, phone: str, **new) -> Contact:
    """The contact of an E.164 number, found by its keyed hash; created with the fields `new` if there is none.

    The number itself is kept only encrypted, and written again if a refusal of consent erased it.
    """
    digest = vault.lookup_hash(phone)
    query = select(Contact).where(Contact.phone_hash == digest)
    contact = db.scalar(query)
    if contact is None:
        try:
            with db.begin_nested():
                contact = Contact(phone_hash=digest, **new)
                db.add(contact)
        except IntegrityError:  # the same number, created by a parallel request at this moment
            contact = db.scalar(query)
    if contact.phone_encrypted is None:
        contact.phone_encrypted = vault.encrypt(phone)
    return contact


class ContactRecord:
    """A contact as one conversation turn reads and changes it: its row, its site's slug and name, and where its
    conversation on the turn's channel waits (`position`, as stored).

    Not an ORM object: every message reads one, and the ORM's loading and unit of work cost more than the
    rest of the turn (bench/capacity.py). What the turn's actions set is kept in `changes`, and `save` writes
    it with the turn's own (when they were last seen, and where) in one statement.
    """

    COLUMNS = tuple(column.name for column in _CONTACTS.columns)
    __slots__ = (*COLUMNS, "site_slug", "site_name", "position", "changes")

    def __init__(self, row: Mapping[str, Any]):
        values = dict(row)
        state, expires_at = values.pop("saved_state"), values.pop("saved_expires_at")
        for name, value in values.items():
            object.__setattr__(self, name, value)
        object.__setattr__(self, "position", None if state is None else Saved(state, expires_at))
        object.__setattr__(self, "changes", {})

    def __setattr__(self, name: str, value: object) -> None:
        if name not in self.COLUMNS or name == "id":
            raise AttributeError(f"a contact's {name} is not to be set by a turn")
        self.changes[name] = value
        object.__setattr__(self, name, value)

    def save(self, connection: Connection, **more: object) -> None:
        """Write what changed, and `more`, in one statement; the caller commits."""
        for name, value in more.items():
            setattr(self, name, value)
        if self.changes:
            _SAVE.run(connection, {"contact": self.id, **self.changes})
            self.changes.clear()


# Every message reads its sender's contact and where their conversation waits: statements built once, run on
# the transaction's connection. One statement for both: a statement cost as much as a tenth of a turn.
_WAITING = _STATES.c.key == position_key_in_sql(bindparam("channel", type_=String), _CONTACTS.c.id)
_FIND = Prepared(
    select(
        _CONTACTS,
        _SITES.c.slug.label("site_slug"),
        _SITES.c.name.label("site_name"),
        _STATES.c.state.label("saved_state"),
        _STATES.c.expires_at.label("saved_expires_at"),
    )
    .select_from(_CONTACTS.outerjoin(_SITES, _SITES.c.id == _CONTACTS.c.site_id).outerjoin(_STATES, _WAITING))
    .where(_CONTACTS.c.phone_hash == bindparam("digest"))
)
# On PostgreSQL the contact's row is locked until the transaction ends, so a person's next message waits for
# this one; and locked by a statement of its own, before the contact and the conversation are read: a statement
# that waited for a lock still reads the other tables as they were when it began, and would miss where the
# conversation went. SQLite's writers wait for the whole database from their start (bot.db.write_transaction).
_LOCK = {"postgresql": select(_CONTACTS.c.id).where(_CONTACTS.c.phone_hash == bindparam("digest")).with_for_update()}
# A new number: created unless a parallel request created it at this moment, then read like any other.
_NEW = insert_unless_taken(_CONTACTS, _CONTACTS.c.phone_hash)
# The columns set are those given.
_SAVE = Prepared(update(_CONTACTS).where(_CONTACTS.c.id == bindparam("contact")))


def record_for(connection: Connection, vault: Vault, phone: str, channel: str) -> ContactRecord:
    """The contact of an E.164 number, locked for the turn, with where its conversation on `channel` waits; created
    if there is none, its number kept if erased."""
    found = {"digest": vault.lookup_hash(phone), "channel": channel}
    row = _locked(connection, found)
    if row is None:
        new = {"phone_hash": found["digest"], "phone_encrypted": vault.encrypt(phone)}
        connection.execute(_NEW[connection.dialect.name], new)
        row = _locked(connection, found)
        if row is None:  # created just now, by this transaction or the one that took the number first
            raise LookupError("a contact just created was not found")
    contact = ContactRecord(row)
    if contact.phone_encrypted is None:  # a refusal of consent erased it: they wrote again
        contact.phone_encrypted = vault.encrypt(phone)
    return contact


def _locked(connection: Connection, found: dict[str, str]) -> dict[str, Any] | None:
    """The contact's row with its site and conversation, locked for the transaction; None if there is none."""
    lock = _LOCK.get(connection.dialect.name)
    if lock is not None and connection.execute(lock, found).first() is None:
        return None
    return _FIND.first(connection, found)
