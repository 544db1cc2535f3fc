"""Telling one person one thing about an assembly, once: in their language, on their channel, in its alphabet.

Each text is recorded as an AssemblyNotice whose unique key (assembly, person, kind) makes a rerun, or two
processes at once, tell nobody twice: the notice is inserted in a SAVEPOINT first, and a duplicate is skipped.
"""

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.cases.lifecycle import Desk
from bot.engine.flow import Text
from bot.models import Assembly, AssemblyNotice, Contact
from bot.outbound.gsm7 import prepare
from bot.outbound.store import queue_message
from bot.vocabulary import Channel, Consent, Lane


def title_in(assembly: Assembly, lang: str | None, default: str) -> str:
    """The title a person reads: in their language, else in the default one, else the stored title."""
    titles = assembly.titles or {}
    return titles.get(lang or default) or titles.get(default) or assembly.title


def reachable(contact: Contact) -> bool:
    """Whether baro may text this person at all: a number kept, consent given, not opted out."""
    return bool(contact.phone_encrypted) and contact.consent == Consent.ACCEPTED and contact.opted_out_at is None


def language_of(desk: Desk, contact: Contact) -> str:
    """Their language, or the default one when they have none the line still speaks."""
    return contact.language if contact.language in desk.catalogues.languages else desk.catalogues.default


def channel_of(contact: Contact) -> Channel:
    """Where they last wrote from; USSD cannot be reached from outside, so SMS instead."""
    return Channel(contact.channel).outbound if Channel.has(contact.channel) else Channel.SMS


def write(desk: Desk, assembly: Assembly, contact: Contact, text: Text, params: Mapping[str, Any] = {}) -> str:
    """`text` about `assembly`, filled in the person's language and written in their channel's alphabet."""
    lang = language_of(desk, contact)
    values = {
        "title": title_in(assembly, lang, desk.catalogues.default),
        "when": assembly.starts_at,
        "place": assembly.place,
        **params,
    }
    return prepare(desk.catalogues.fill(lang, text, values), desk.settings.alphabet(channel_of(contact)))


def already_told(db: Session, assembly: Assembly, contact: Contact, kind: str) -> bool:
    return (
        db.scalar(
            select(AssemblyNotice.id).where(
                AssemblyNotice.assembly_id == assembly.id,
                AssemblyNotice.contact_id == contact.id,
                AssemblyNotice.kind == kind,
            )
        )
        is not None
    )


def tell(
    db: Session,
    desk: Desk,
    assembly: Assembly,
    contact: Contact,
    kind: str,
    text: Text,
    params: Mapping[str, Any] = {},
    lane: Lane = Lane.BULK,
) -> tuple[int, str] | None:
    """Store the text for the outbound pipeline, once per (assembly, person, kind); None if not sent.

    Nothing is stored for someone baro may not text (opted out, no consent, number erased): a later
    run may still tell them once they may be told again.
    """
    if not reachable(contact) or already_told(db, assembly, contact, kind):
        return None
    notice = AssemblyNotice(assembly_id=assembly.id, contact_id=contact.id, kind=kind)
    try:
        with db.begin_nested():  # another process told them meanwhile: skip, keep the rest of the run
            db.add(notice)
    except IntegrityError:
        return None
    message = queue_message(db, contact.id, channel_of(contact), write(desk, assembly, contact, text, params), lane)
    notice.message_id = message.id
    return message.id, Lane(lane)
