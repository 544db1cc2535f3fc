"""Rows for the domain specifications, built directly with the ORM: staff, people, their messages, their cases.

Each builder adds to the session it is given and flushes, so the caller's transaction decides what is kept.
Staff accounts get a placeholder password hash: these specifications never log in.
"""

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.cases.targets import set_targets
from bot.contacts import contact_for
from bot.models import Contact, Feedback, Message, Site, StaffUser
from bot.references import new_reference
from bot.vault import Vault
from bot.vocabulary import CaseStatus, Channel, Consent, Direction, Kind

PHONE = "+22370000001"


def site(db: Session, slug: str) -> Site:
    return db.scalars(select(Site).where(Site.slug == slug)).one()


def staff(db: Session, email: str, role: str, sites: tuple[str, ...] = (), active: bool = True) -> StaffUser:
    user = StaffUser(
        email=email,
        role=role,
        password_hash="not used",
        active=active,
        sites=[site(db, slug) for slug in sites],
    )
    db.add(user)
    db.flush()
    return user


def person(
    db: Session,
    vault: Vault,
    phone: str = PHONE,
    *,
    language: str | None = "fr",
    site_slug: str | None = None,
    consent: str | None = Consent.ACCEPTED,
    **fields,
) -> Contact:
    """A contact as the conversation creates one: found by the keyed hash of their number, kept encrypted."""
    contact = contact_for(db, vault, phone)
    contact.language, contact.consent = language, consent
    contact.site_id = site(db, site_slug).id if site_slug else None
    for name, value in fields.items():
        setattr(contact, name, value)
    db.flush()
    return contact


def message(
    db: Session,
    contact: Contact,
    text: str | None,
    *,
    direction: str = Direction.IN,
    channel: str = Channel.SMS,
    vault: Vault | None = None,
    confidential: bool = False,
    **fields,
) -> Message:
    """A stored message; a confidential one keeps its text only encrypted, as the conversation stores it."""
    row = Message(
        contact_id=contact.id,
        channel=channel,
        direction=direction,
        confidential=confidential,
        text=None if confidential else text,
        text_encrypted=vault.encrypt(text) if confidential and text else None,
        **fields,
    )
    db.add(row)
    db.flush()
    return row


def case(
    db: Session,
    contact: Contact,
    text: str | None = "Les latrines débordent",
    *,
    kind: str = Kind.COMPLAINT,
    site_slug: str | None = "niamana",
    vault: Vault | None = None,
    reference: str | None = None,
    channel: str = Channel.SMS,
    language: str = "fr",
    status: str = CaseStatus.NEW,
    created_at: datetime | None = None,
    **fields,
) -> Feedback:
    """A submission; a confidential report keeps its text only encrypted, as `submit` stores it."""
    confidential = kind == Kind.CONFIDENTIAL
    row = Feedback(
        reference=reference or new_reference(),
        kind=kind,
        site_id=site(db, site_slug).id if site_slug else None,
        language=language,
        channel=channel,
        status=status,
        confidential=confidential,
        text=None if confidential else text,
        text_encrypted=vault.encrypt(text) if confidential and text else None,
        contact_id=contact.id,
        **fields,
    )
    if created_at is not None:
        row.created_at = created_at
    db.add(row)
    db.flush()
    return row


def timed_case(
    db: Session,
    settings,
    contact: Contact,
    created_at: datetime,
    *,
    answered: float | None = None,
    resolved: float | None = None,
    **fields,
) -> Feedback:
    """A case that came in at `created_at`, first answered and resolved so many hours later, with the targets the
    intake would have given it."""
    feedback = case(
        db,
        contact,
        "x",
        created_at=created_at,
        first_response_at=created_at + timedelta(hours=answered) if answered is not None else None,
        resolved_at=created_at + timedelta(hours=resolved) if resolved is not None else None,
        **fields,
    )
    set_targets(feedback, settings)
    db.flush()
    return feedback
