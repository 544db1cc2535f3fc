"""A place at an assembly: its status (kept in step with its queue entry), giving it up, and passing it on.

A sign-up is also a submission in the staff queue (kind `assembly`) whose category is the sign-up's status,
so every change of status changes both, here and only here.
"""

from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from bot.assemblies import texts
from bot.assemblies.notices import reachable, tell
from bot.cases.lifecycle import Desk
from bot.models import Assembly, AssemblyNotice, Contact, Signup, utcnow
from bot.vocabulary import AssemblyStatus, SignupStatus

HOLDING = (SignupStatus.CONFIRMED, SignupStatus.ATTENDED)
# Sign-ups people are told of changes to: those holding a place or waiting for one.
CONCERNED = (SignupStatus.CONFIRMED, SignupStatus.WAITING)


def set_status(db: Session, signup: Signup, status: SignupStatus, now: datetime | None = None) -> bool:
    """Move the sign-up to `status` if it is still where it was read; False if someone moved it meanwhile."""
    now = now or utcnow()
    old = signup.status
    if old == status:
        return False
    moved = db.execute(
        update(Signup)
        .where(Signup.id == signup.id, Signup.status == old)
        .values(status=status, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if moved.rowcount != 1:
        db.refresh(signup)
        return False
    signup.status, signup.updated_at = status, now
    signup.feedback.category = status
    signup.feedback.updated_at = now
    return True


def taken(db: Session, assembly_id: int) -> int:
    """Places taken: confirmed and attended sign-ups."""
    return db.scalar(select(func.count()).where(Signup.assembly_id == assembly_id, Signup.status.in_(HOLDING)))


def is_full(db: Session, assembly: Assembly) -> bool:
    return assembly.capacity is not None and taken(db, assembly.id) >= assembly.capacity


def open_for_changes(assembly: Assembly, now: datetime) -> bool:
    """A sign-up may still be given up or passed on: the assembly is planned and has not started."""
    return assembly.status == AssemblyStatus.PLANNED and assembly.starts_at > now


def fill_places(db: Session, desk: Desk, assembly: Assembly, now: datetime | None = None) -> list[tuple[int, str]]:
    """Give free places to the people waiting, first come first served, each told they now have one.

    Someone baro may not text (opted out, no consent) keeps waiting: a place they never hear of is lost.
    """
    now = now or utcnow()
    if not open_for_changes(assembly, now):
        return []
    sends: list[tuple[int, str]] = []
    free = None if assembly.capacity is None else assembly.capacity - taken(db, assembly.id)
    waiting = db.scalars(
        select(Signup)
        .where(Signup.assembly_id == assembly.id, Signup.status == SignupStatus.WAITING)
        .order_by(Signup.created_at, Signup.id)
    )
    for signup in waiting:
        if free is not None and free <= 0:
            break
        contact = db.get(Contact, signup.contact_id)
        if not reachable(contact) or not set_status(db, signup, SignupStatus.CONFIRMED, now):
            continue
        if free is not None:
            free -= 1
        # Each place given is its own notice: someone may get a place, give it up, wait and get one again.
        given = db.scalar(
            select(func.count()).where(
                AssemblyNotice.assembly_id == assembly.id,
                AssemblyNotice.contact_id == contact.id,
                AssemblyNotice.kind.like("place:%"),
            )
        )
        sent = tell(db, desk, assembly, contact, f"place:{given + 1}", texts.PLACE_GIVEN)
        if sent:
            signup.told_at = now
            sends.append(sent)
    return sends


def cancel(db: Session, desk: Desk, signup: Signup, now: datetime | None = None) -> list[tuple[int, str]]:
    """The person gives up their place (or their turn on the waiting list); the place goes to whoever waits first."""
    now = now or utcnow()
    held = SignupStatus(signup.status).holds_place
    if not set_status(db, signup, SignupStatus.CANCELLED, now):
        return []
    return fill_places(db, desk, signup.assembly, now) if held else []
