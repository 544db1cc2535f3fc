"""The people baro talks to, one contact per phone number whatever the channel."""

from sqlalchemy import bindparam, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from bot.models import Contact
from bot.vault import Vault

# With its site: every turn of a conversation reads it. Built once: every message asks.
_FOUND = select(Contact).options(joinedload(Contact.site)).where(Contact.phone_hash == bindparam("digest"))
_LOCKED = _FOUND.with_for_update(of=Contact)


def contact_for(db: Session, vault: Vault, phone: str, lock: bool = False, **new) -> Contact:
    """The contact of an E.164 number, found by its keyed hash; created with the fields `new` if there is none.

    The number itself is kept only encrypted, and written again if a refusal of consent erased it. `lock`
    holds the contact's row until the transaction ends: a person's next message waits for this one.
    """
    digest = {"digest": vault.lookup_hash(phone)}
    query = _LOCKED if lock else _FOUND
    contact = db.scalar(query, digest)
    if contact is None:
        try:
            with db.begin_nested():
                contact = Contact(phone_hash=digest["digest"], **new)
                db.add(contact)
        except IntegrityError:  # the same number, created by a parallel request at this moment
            contact = db.scalar(query, digest)
    if contact.phone_encrypted is None:
        contact.phone_encrypted = vault.encrypt(phone)
    return contact
