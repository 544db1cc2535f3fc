"""Reminders before an assembly: ASSEMBLY_REMINDER_HOURS before it starts, to each person with a place, once.

Run periodically (baro's periodic jobs). Each run sends, per assembly, only the latest reminder whose moment
has come: after a pause (a worker down for a day) people get the 2-hour reminder, not the 24-hour one as well.
A reminder goes to nobody who signed up after its moment (they have just been told), nobody waiting or
cancelled, nobody who opted out; the notice key (`reminder:<hours>`) makes every rerun tell nobody twice.
"""

from datetime import datetime, timedelta

from sqlalchemy import select

from bot.assemblies import texts
from bot.assemblies.notices import tell
from bot.cases.lifecycle import Desk
from bot.db import transaction
from bot.handover import AfterCommit
from bot.models import Assembly, Contact, Signup, utcnow
from bot.vocabulary import AssemblyStatus, SignupStatus


def due_reminder(starts_at: datetime, hours: list[float], now: datetime) -> float | None:
    """The reminder (in hours before) whose moment came last, or None if none has come yet."""
    due = [h for h in hours if starts_at - timedelta(hours=h) <= now]
    return min(due) if due else None


def kind(hours: float) -> str:
    return f"reminder:{hours:g}"


def send_due_reminders(runtime, now: datetime | None = None) -> int:
    """Store the reminders due now and hand them to RQ; how many texts went out."""
    now = now or utcnow()
    hours = sorted({h for h in runtime.settings.assembly_reminder_hours if h > 0})
    if not hours:
        return 0
    desk = Desk(runtime.catalogues, runtime.settings, runtime.vault)
    sends: list[tuple[int, str]] = []
    with transaction(runtime.database) as db:
        coming = db.scalars(
            select(Assembly).where(
                Assembly.status == AssemblyStatus.PLANNED,
                Assembly.starts_at > now,
                Assembly.starts_at <= now + timedelta(hours=max(hours)),
            )
        )
        for assembly in coming:
            before = due_reminder(assembly.starts_at, hours, now)
            if before is None:
                continue
            moment = assembly.starts_at - timedelta(hours=before)
            signups = db.scalars(
                select(Signup)
                .where(
                    Signup.assembly_id == assembly.id,
                    Signup.status == SignupStatus.CONFIRMED,
                    Signup.created_at <= moment,
                )
                .order_by(Signup.id)
            )
            for signup in signups:
                sent = tell(db, desk, assembly, db.get(Contact, signup.contact_id), kind(before), texts.REMINDER)
                if sent:
                    signup.told_at = now  # the cancel keyword works for a day after a reminder
                    sends.append(sent)
    runtime.transactions.hand_over(AfterCommit(messages=sends))
    return len(sends)
