"""What organizers do with assemblies: announce one, change or call it off, record who came, read its sign-ups.

No HTTP here: the staff pages and the API call these. A refused change raises `Refused` with an English
msgid of the `admin` catalogue. Every function that tells people something returns the messages it stored,
as (message id, lane), for the caller to hand to RQ once it has committed:

    assembly, sends = create_assembly(db, desk, user, ...)
    db.commit()
    runtime.transactions.hand_over(AfterCommit(messages=sends))
"""

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from bot.assemblies import texts
from bot.assemblies.notices import tell
from bot.assemblies.notices import title_in as title_in
from bot.assemblies.signups import CONCERNED, HOLDING, fill_places, set_status
from bot.cases.lifecycle import Desk, Refused
from bot.models import Assembly, AssemblyInterest, Contact, Signup, Site, StaffUser, utcnow
from bot.vocabulary import N_, AssemblyStatus, SignupStatus

# The title and the place are quoted whole in every SMS about the assembly (with its date and a sentence):
# at these lengths a reminder still fits in two SMS parts in every language, and one USSD screen.
TITLE_MAX_CHARS = 40
PLACE_MAX_CHARS = 40
DESCRIPTION_MAX_CHARS = 1000
CAPACITY_MAX = 100_000
# Where an assembly may go: a held or cancelled one stays so (its people were told).
STATUS_STEPS = {AssemblyStatus.PLANNED: (AssemblyStatus.HELD, AssemblyStatus.CANCELLED)}
CHANGEABLE = frozenset({"titles", "descriptions", "starts_at", "place", "capacity", "status"})


# --- checking what organizers wrote ---------------------------------------------------------------------


def _texts(desk: Desk, raw: object, limit: int, too_long: str) -> dict[str, str]:
    """{language: text}, trimmed, empty ones dropped; every language one the line speaks."""
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise Refused(N_("Texts are given per language."))
    cleaned: dict[str, str] = {}
    for lang, text in raw.items():
        if not isinstance(lang, str) or lang not in desk.catalogues.languages:
            raise Refused(N_("“%(language)s” is not a language of this line."), {"language": str(lang)[:20]})
        if text is None:
            continue
        if not isinstance(text, str):
            raise Refused(N_("Texts are given per language."))
        text = " ".join(text.split())
        if len(text) > limit:
            raise Refused(too_long, {"limit": str(limit), "length": str(len(text)), "language": lang})
        if text:
            cleaned[lang] = text
    return cleaned


def _titles(desk: Desk, raw: object) -> dict[str, str]:
    titles = _texts(
        desk,
        raw,
        TITLE_MAX_CHARS,
        N_("A title is %(limit)s characters at most (it is sent by SMS); the %(language)s one has %(length)s."),
    )
    if desk.catalogues.default not in titles:
        raise Refused(N_("A title in %(language)s is required."), {"language": desk.catalogues.default})
    return titles


def _descriptions(desk: Desk, raw: object) -> dict[str, str]:
    return _texts(
        desk,
        raw,
        DESCRIPTION_MAX_CHARS,
        N_("A description is %(limit)s characters at most; the %(language)s one has %(length)s."),
    )


def _starts_at(value: object, now: datetime) -> datetime:
    if not isinstance(value, datetime) or value.tzinfo is None or value.utcoffset() is None:
        raise Refused(N_("Give the date and time with its time zone."))
    if value <= now:
        raise Refused(N_("The assembly must start in the future."))
    return value


def _place(value: object) -> str:
    place = " ".join(value.split()) if isinstance(value, str) else ""
    if not place:
        raise Refused(N_("Say where the assembly is held."))
    if len(place) > PLACE_MAX_CHARS:
        raise Refused(
            N_("The place is %(limit)s characters at most (it is sent by SMS); it has %(length)s."),
            {"limit": str(PLACE_MAX_CHARS), "length": str(len(place))},
        )
    return place


def _capacity(value: object) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= CAPACITY_MAX:
        raise Refused(
            N_("The capacity is a number of places from 1 to %(limit)s, or empty for no limit."),
            {"limit": str(CAPACITY_MAX)},
        )
    return value


def _site(db: Session, site_id: object) -> Site:
    site = db.get(Site, site_id) if isinstance(site_id, int) and not isinstance(site_id, bool) else None
    if site is None or not site.active:
        raise Refused(N_("Unknown or inactive site."))
    return site


# --- the actions ------------------------------------------------------------------------------------------


def create_assembly(
    db: Session,
    desk: Desk,
    actor: StaffUser | None,
    *,
    site_id: int,
    titles: dict[str, str],
    descriptions: dict[str, str],
    starts_at: datetime,
    place: str,
    capacity: int | None,
) -> tuple[Assembly, list[tuple[int, str]]]:
    """Store a planned assembly and announce it to everyone who asked to hear of the next one at its site."""
    now = utcnow()
    site = _site(db, site_id)
    clean_titles = _titles(desk, titles)
    assembly = Assembly(
        site_id=site.id,
        title=clean_titles[desk.catalogues.default],
        titles=clean_titles,
        descriptions=_descriptions(desk, descriptions) or None,
        starts_at=_starts_at(starts_at, now),
        place=_place(place),
        capacity=_capacity(capacity),
        status=AssemblyStatus.PLANNED,
        created_at=now,
        created_by_id=actor.id if actor else None,
    )
    db.add(assembly)
    db.flush()
    return assembly, announce(db, desk, assembly, now)


def announce(db: Session, desk: Desk, assembly: Assembly, now: datetime | None = None) -> list[tuple[int, str]]:
    """Tell each person waiting to hear of the next assembly at its site, once; they are then no longer waiting.

    Someone baro may not text now (opted out) stays on the list, for the next announcement.
    """
    now = now or utcnow()
    sends = []
    interests = db.scalars(
        select(AssemblyInterest)
        .where(AssemblyInterest.site_id == assembly.site_id, AssemblyInterest.notified_at.is_(None))
        .order_by(AssemblyInterest.id)
    )
    for interest in interests:
        sent = tell(db, desk, assembly, db.get(Contact, interest.contact_id), "announced", texts.ANNOUNCED)
        if sent:
            interest.notified_at = now
            sends.append(sent)
    return sends


def update_assembly(
    db: Session, desk: Desk, actor: StaffUser | None, assembly: Assembly, **changes
) -> list[tuple[int, str]]:
    """Change the assembly; people signed up or waiting are told when it moves or is called off.

    `changes` among titles, descriptions, starts_at, place, capacity, status (an AssemblyStatus). More places
    go at once to the first people waiting. A held assembly's changes tell nobody.
    """
    unknown = set(changes) - CHANGEABLE
    if unknown:
        raise TypeError(f"cannot change {', '.join(sorted(unknown))}")
    now = utcnow()
    status = AssemblyStatus(assembly.status)
    new_status = status
    if "status" in changes:
        if not AssemblyStatus.has(changes["status"]):
            raise Refused(N_("Unknown status “%(status)s”."), {"status": str(changes["status"])[:40]})
        new_status = AssemblyStatus(changes["status"])
        if new_status != status and new_status not in STATUS_STEPS.get(status, ()):
            raise Refused(
                N_("An assembly cannot go from “%(old)s” to “%(new)s”."),
                {"old": status.label, "new": new_status.label},
                ("old", "new"),
            )
    if status == AssemblyStatus.CANCELLED and set(changes) - {"status"}:
        raise Refused(N_("This assembly is cancelled: it can no longer be changed."))

    values: dict = {}
    if "titles" in changes:
        values["titles"] = _titles(desk, changes["titles"])
        values["title"] = values["titles"][desk.catalogues.default]
    if "descriptions" in changes:
        values["descriptions"] = _descriptions(desk, changes["descriptions"]) or None
    if "starts_at" in changes and changes["starts_at"] != assembly.starts_at:
        values["starts_at"] = changes["starts_at"]
    if "place" in changes:
        place = _place(changes["place"])
        if place != assembly.place:
            values["place"] = place
    if "capacity" in changes:
        values["capacity"] = _capacity(changes["capacity"])
    moved = "starts_at" in values or "place" in values
    if moved and status != AssemblyStatus.PLANNED:
        raise Refused(N_("A held or cancelled assembly's date and place cannot be changed."))
    if "starts_at" in values:
        values["starts_at"] = _starts_at(values["starts_at"], now)

    for name, value in values.items():
        setattr(assembly, name, value)
    if new_status != status:
        assembly.status = new_status
    if not values and new_status == status:
        return []
    assembly.updated_at = now
    db.flush()

    if new_status == AssemblyStatus.CANCELLED:
        assembly.revision += 1
        return _tell_concerned(db, desk, assembly, "cancelled", texts.CANCELLED, now)
    sends: list[tuple[int, str]] = []
    if moved and new_status == AssemblyStatus.PLANNED:
        assembly.revision += 1
        sends += _tell_concerned(db, desk, assembly, f"changed:{assembly.revision}", texts.MOVED, now)
    if new_status == AssemblyStatus.PLANNED and "capacity" in values:
        sends += fill_places(db, desk, assembly, now)
    return sends


def _tell_concerned(db: Session, desk: Desk, assembly: Assembly, kind: str, text, now: datetime) -> list:
    """Tell everyone signed up or waiting; the text names the cancel keyword, whose day starts again."""
    sends = []
    signups = db.scalars(
        select(Signup).where(Signup.assembly_id == assembly.id, Signup.status.in_(CONCERNED)).order_by(Signup.id)
    )
    for signup in signups:
        sent = tell(db, desk, assembly, db.get(Contact, signup.contact_id), kind, text)
        if sent:
            signup.told_at = now
            sends.append(sent)
    return sends


def record_attendance(db: Session, actor: StaffUser | None, assembly: Assembly, attended_signup_ids: set[int]) -> None:
    """Who came: each sign-up holding a place becomes attended if in the set, confirmed otherwise."""
    if assembly.status == AssemblyStatus.CANCELLED:
        raise Refused(N_("This assembly is cancelled: nobody attended it."))
    signups = list(db.scalars(select(Signup).where(Signup.assembly_id == assembly.id, Signup.status.in_(HOLDING))))
    if set(attended_signup_ids) - {signup.id for signup in signups}:
        raise Refused(N_("Only people with a place at this assembly can be recorded as present."))
    now = utcnow()
    for signup in signups:
        status = SignupStatus.ATTENDED if signup.id in attended_signup_ids else SignupStatus.CONFIRMED
        set_status(db, signup, status, now)


def roster(db: Session, assembly: Assembly) -> list[Signup]:
    """Its sign-ups: places taken (confirmed or attended) by sign-up time, then the waiting list, then cancelled."""
    order = case(
        (Signup.status.in_(HOLDING), 0),
        (Signup.status == SignupStatus.WAITING, 1),
        else_=2,
    )
    query = select(Signup).where(Signup.assembly_id == assembly.id)
    return list(db.scalars(query.order_by(order, Signup.created_at, Signup.id)))


def counts(db: Session, assembly_ids: Iterable[int]) -> dict[int, dict[str, int]]:
    """Sign-ups per assembly and per status, every status present (zero when none)."""
    ids = list(assembly_ids)
    found = {assembly_id: dict.fromkeys(SignupStatus.values(), 0) for assembly_id in ids}
    if not ids:
        return found
    rows = db.execute(
        select(Signup.assembly_id, Signup.status, func.count())
        .where(Signup.assembly_id.in_(ids))
        .group_by(Signup.assembly_id, Signup.status)
    )
    for assembly_id, status, number in rows:
        if status in found[assembly_id]:
            found[assembly_id][status] = number
    return found
