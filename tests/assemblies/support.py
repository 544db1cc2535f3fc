"""Helpers for the assembly specifications: an organizer's actions, and what baro stored for people."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot.assemblies import organize
from bot.cases.lifecycle import Desk
from bot.db import transaction
from bot.engine.texts import WAY_BACK
from bot.handover import AfterCommit
from bot.models import Assembly, Contact, Message, Signup, Site, StaffUser
from bot.outbound.gsm7 import is_gsm7, prepare, to_gsm
from bot.vocabulary import Direction

ONBOARD = {"fr": ("Bonjour", "1", "1"), "bm": ("I ni ce", "2", "1")}


def in_days(days: float, hour: int = 10) -> datetime:
    """A moment `days` from now at `hour`:00 in Bamako (UTC all year)."""
    day = datetime.now(UTC) + timedelta(days=days)
    return day.replace(hour=hour, minute=0, second=0, microsecond=0)


class Organizing:
    """What an organizer does, through bot.assemblies.organize, each in its own committed transaction."""

    def __init__(self, runtime, desk: Desk, organizer_id: int):
        self.runtime, self.desk, self.organizer_id = runtime, desk, organizer_id

    def _run(self, work):
        with transaction(self.runtime.database) as db:
            actor = db.get(StaffUser, self.organizer_id)
            result, sends = work(db, actor)
        self.runtime.transactions.hand_over(AfterCommit(messages=sends))
        return result, sends

    def create(self, site: str = "niamana", **fields) -> tuple[int, list]:
        def work(db, actor):
            site_id = db.scalar(select(Site.id).where(Site.slug == site))
            values = {
                "titles": {"fr": "Assemblée des femmes", "bm": "Musow ka lajɛ"},
                "descriptions": {"fr": "Parler de l'eau."},
                "starts_at": in_days(3),
                "place": "Centre de santé",
                "capacity": 2,
                **fields,
            }
            assembly, sends = organize.create_assembly(db, self.desk, actor, site_id=site_id, **values)
            return assembly.id, sends

        return self._run(work)

    def update(self, assembly_id: int, **changes) -> list:
        def work(db, actor):
            return None, organize.update_assembly(db, self.desk, actor, db.get(Assembly, assembly_id), **changes)

        return self._run(work)[1]


def contact_of(runtime, number: str) -> Contact:
    with runtime.database() as db:
        return db.scalar(select(Contact).where(Contact.phone_hash == runtime.vault.lookup_hash(number)))


def texts_to(runtime, number: str) -> list[Message]:
    """What baro stored to send to this number on its own (not the webhook's answers), oldest first."""
    contact = contact_of(runtime, number)
    with runtime.database() as db:
        query = (
            select(Message)
            .where(
                Message.contact_id == contact.id, Message.direction == Direction.OUT, Message.in_reply_to_id.is_(None)
            )
            .order_by(Message.id)
        )
        return list(db.scalars(query))


def signups(runtime, assembly_id: int) -> dict[str, str]:
    """Each sign-up's status and its queue entry's category, by reference."""
    with runtime.database() as db:
        rows = db.scalars(select(Signup).where(Signup.assembly_id == assembly_id).order_by(Signup.id))
        return {s.feedback.reference: (s.status, s.feedback.category) for s in rows}


def expected(runtime, lang: str, text, channel: str = "sms", **params) -> str:
    """A text as the person reads it: from the real catalogue, in their language and channel's alphabet."""
    return prepare(runtime.catalogues.fill(lang, text, params), runtime.settings.alphabet(channel))


def last_reply(runtime, lang: str, text, channel: str = "sms", **params) -> str:
    """A conversation's last message as the person reads it: `text`, then the way back to the menu."""
    written = f"{runtime.catalogues.fill(lang, text, params)}\n{runtime.catalogues.text(lang, WAY_BACK)}"
    return prepare(written, runtime.settings.alphabet(channel))


def as_in(sms: str, text: str) -> str:
    """`text` spelled as in `sms`: SMS_ALPHABET=auto folds a whole SMS (è for ɛ) when that saves parts."""
    return to_gsm(text) if is_gsm7(sms) else text


def reference_of(runtime, number: str, assembly_id: int) -> str:
    """The reference of this person's sign-up for the assembly."""
    contact = contact_of(runtime, number)
    with runtime.database() as db:
        signup = db.scalar(select(Signup).where(Signup.contact_id == contact.id, Signup.assembly_id == assembly_id))
        return signup.feedback.reference
