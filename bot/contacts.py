"""The people baro talks to, one contact per phone number whatever the channel."""

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.models import Contact
from bot.vault import Vault


def contact_for(db: Session, vault: Vault, phone: str, **new) -> Contact:
    """The contact of an E.164 number, found by its keyed hash; created with the fields `new` if there is none.

    The number itself is kept only encrypted, and written again if a refusal of consent erased it.
    """
    digest = vault.lookup_hash(phone)
    contact = db.scalar(select(Contact).where(Contact.phone_hash == digest))
    if contact is None:
        try:
            with db.begin_nested():
                contact = Contact(phone_hash=digest, **new)
                db.add(contact)
        except IntegrityError:  # the same number, created by a parallel request at this moment
            contact = db.scalar(select(Contact).where(Contact.phone_hash == digest))
    if contact.phone_encrypted is None:
        contact.phone_encrypted = vault.encrypt(phone)
    return contact
