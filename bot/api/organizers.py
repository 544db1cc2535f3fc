"""/api/v1 for organizers: assemblies (announce, read, change, their sign-ups) and broadcasts (send, progress).

Organizer and admin tokens only (`ApiOrganizerDep`: triage and protection tokens get 403). The same
domain as the staff pages (`bot.assemblies.organize`, `bot.broadcasts`), so the same rules: bad input
is a 422 with a readable `detail`, never a 500, and a phone number is only ever given masked.
"""

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query
from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from bot.assemblies import organize
from bot.broadcasts import control, plan
from bot.broadcasts.audience import Audience
from bot.cases.lifecycle import Desk, Refused
from bot.cases.view import decrypted
from bot.handover import AfterCommit
from bot.models import Assembly, Broadcast, Signup, Site
from bot.phones import mask
from bot.runtime import Runtime
from bot.vocabulary import AssemblyStatus, BroadcastStatus, Channel, SignupStatus
from bot.web.deps import ApiOrganizerDep, DbDep, RuntimeDep
from bot.whole_numbers import record_id

router = APIRouter(prefix="/api/v1")

ASSEMBLIES, BROADCASTS = "assemblies", "broadcasts"


def _without_nul(value: str) -> str:
    """PostgreSQL cannot store a NUL character (0x00): refused here (a 422), never a 500 at the database."""
    if "\x00" in value:
        raise ValueError("NUL characters (0x00) are not allowed")
    return value


Text = Annotated[str, AfterValidator(_without_nul)]


class Problem(BaseModel):
    detail: str = Field(description="What was wrong, in words.")


ERRORS = {
    401: {"model": Problem, "description": "No valid API token"},
    403: {"model": Problem, "description": "A token of an account that is neither organizer nor admin"},
}
REFUSED = {422: {"description": "Input the rules refuse; `detail` says why"}}
MISSING = {404: {"model": Problem, "description": "No such id"}}


# --- assemblies ------------------------------------------------------------------------------------


class AssemblyIn(BaseModel):
    """A new assembly; creating it announces it to everyone who asked to hear of the next one at its site."""

    model_config = ConfigDict(extra="forbid")

    site: Text = Field(description="The site's slug, e.g. `niamana`.", examples=["niamana"])
    title: dict[Text, Text] = Field(
        description="The title in each language of the line; the default language's is required. Quoted in "
        f"every SMS about the assembly: {organize.TITLE_MAX_CHARS} characters at most.",
        examples=[{"fr": "Assemblée de Niamana", "bm": "Niamana lajɛ"}],
    )
    description: dict[Text, Text] = Field(
        default_factory=dict,
        description=f"A description in each language, optional ({organize.DESCRIPTION_MAX_CHARS} characters at most).",
    )
    starts_at: AwareDatetime = Field(
        description="When it starts: ISO 8601 with its offset, e.g. `2026-12-20T10:00:00+00:00`; in the future."
    )
    place: Text = Field(description=f"Where it is held ({organize.PLACE_MAX_CHARS} characters at most).")
    capacity: int | None = Field(
        default=None, description=f"Places, 1 to {organize.CAPACITY_MAX}; null for no limit (no waiting list)."
    )


class AssemblyPatch(BaseModel):
    """The fields to change, only those; moving it (date, time, place) or cancelling it tells everyone signed
    up or waiting."""

    model_config = ConfigDict(extra="forbid")

    title: dict[Text, Text] | None = Field(default=None, description="All titles, per language (replaces them).")
    description: dict[Text, Text] | None = Field(default=None, description="All descriptions, per language.")
    starts_at: AwareDatetime | None = Field(default=None, description="ISO 8601 with its offset, in the future.")
    place: Text | None = None
    capacity: int | None = Field(default=None, description="null for no limit; more places go to those waiting.")
    status: Text | None = Field(
        default=None, description=f"{AssemblyStatus.described()}; planned → held or cancelled, never back."
    )


class AssemblyOut(BaseModel):
    """A citizen assembly, with its sign-ups counted."""

    id: int
    site: str = Field(description="The site's slug.")
    title: dict[str, str] = Field(description="The title per language.")
    description: dict[str, str] = Field(description="The description per language (may be empty).")
    starts_at: datetime = Field(description="When it starts (ISO 8601, UTC).")
    place: str
    capacity: int | None = Field(description="Places; null for no limit.")
    status: str = Field(description=AssemblyStatus.described())
    confirmed: int = Field(description="Sign-ups holding a place, not yet recorded as present.")
    attended: int = Field(description="Sign-ups recorded as present.")
    waiting: int = Field(description="People on the waiting list.")
    created_at: datetime = Field(description="When it was created (ISO 8601, UTC).")


class AssemblyCreated(AssemblyOut):
    announced_to: int = Field(description="How many people were sent the announcement.")


class AssemblyChanged(AssemblyOut):
    told: int = Field(description="How many people were sent a text about this change (moved, cancelled, a place).")


class AssemblyList(BaseModel):
    """Assemblies, soonest first."""

    items: list[AssemblyOut]


class SignupItem(BaseModel):
    """A sign-up to an assembly, or a place on its waiting list."""

    reference: str = Field(description="The reference the person was given.")
    status: str = Field(description=SignupStatus.described())
    language: str = Field(description="The person's language, e.g. `fr`, `bm`.")
    channel: str = Field(description=f"Where they last wrote from: {Channel.described()}.")
    contact: str | None = Field(description="The phone number, masked (`+223 •• •• •• 41`); null once erased.")


class SignupList(BaseModel):
    """Places first (in sign-up order), then the waiting list, then cancelled sign-ups."""

    items: list[SignupItem]


def _desk(runtime: Runtime) -> Desk:
    return Desk(runtime.catalogues, runtime.settings, runtime.vault)


def _refused(refused: Refused) -> HTTPException:
    return HTTPException(status_code=422, detail=refused.text())


def _assembly_out(
    db: Session, runtime: Runtime, assembly: Assembly, model: type[AssemblyOut] = AssemblyOut, **extra
) -> AssemblyOut:
    count = organize.counts(db, [assembly.id])[assembly.id]
    return _out(runtime, assembly, count, model, **extra)


def _out(
    runtime: Runtime, assembly: Assembly, count: dict[str, int], model: type[AssemblyOut] = AssemblyOut, **extra
) -> AssemblyOut:
    return model(
        id=assembly.id,
        site=assembly.site.slug,
        # An assembly made before titles per language (the demo's) has its one title, in the default language.
        title=assembly.titles or {runtime.catalogues.default: assembly.title},
        description=assembly.descriptions or {},
        starts_at=assembly.starts_at,
        place=assembly.place,
        capacity=assembly.capacity,
        status=assembly.status,
        confirmed=count.get(SignupStatus.CONFIRMED, 0),
        attended=count.get(SignupStatus.ATTENDED, 0),
        waiting=count.get(SignupStatus.WAITING, 0),
        created_at=assembly.created_at,
        **extra,
    )


def _found(db: Session, raw_id: str) -> Assembly:
    number = record_id(raw_id)  # strictly: never int("²"), nor a number past any id
    assembly = db.get(Assembly, number) if number is not None else None
    if assembly is None:
        raise HTTPException(status_code=404, detail="no such assembly")
    return assembly


AssemblyId = Annotated[str, Path(description="The assembly's id.")]


@router.post(
    "/assemblies",
    status_code=201,
    response_model=AssemblyCreated,
    tags=[ASSEMBLIES],
    responses={**ERRORS, **REFUSED},
)
def create_assembly(body: AssemblyIn, user: ApiOrganizerDep, db: DbDep, runtime: RuntimeDep) -> AssemblyCreated:
    """Create an assembly and announce it to everyone who asked to hear of the next one at its site."""
    site = db.scalar(select(Site).where(Site.slug == body.site.strip()))
    if site is None:
        raise HTTPException(status_code=422, detail=f"unknown site “{body.site[:40]}”")
    try:
        assembly, sends = organize.create_assembly(
            db,
            _desk(runtime),
            user,
            site_id=site.id,
            titles=body.title,
            descriptions=body.description,
            starts_at=body.starts_at,
            place=body.place,
            capacity=body.capacity,
        )
    except Refused as refused:
        db.rollback()
        raise _refused(refused) from None
    db.commit()
    runtime.transactions.hand_over(AfterCommit(messages=sends))
    return _assembly_out(db, runtime, assembly, AssemblyCreated, announced_to=len(sends))


@router.get(
    "/assemblies", response_model=AssemblyList, tags=[ASSEMBLIES], responses={**ERRORS, 400: {"model": Problem}}
)
def list_assemblies(
    user: ApiOrganizerDep,
    db: DbDep,
    runtime: RuntimeDep,
    site: Annotated[str | None, Query(description="A site's slug, e.g. niamana")] = None,
    status: Annotated[str | None, Query(description=AssemblyStatus.described())] = None,
) -> AssemblyList:
    """Every assembly, soonest first, optionally of one site or status."""
    query = select(Assembly).options(selectinload(Assembly.site)).order_by(Assembly.starts_at, Assembly.id)
    if site:
        query = query.join(Site, Site.id == Assembly.site_id).where(Site.slug == site)
    if status:
        if not AssemblyStatus.has(status):
            raise HTTPException(status_code=400, detail=f"status must be one of {AssemblyStatus.described()}")
        query = query.where(Assembly.status == status)
    assemblies = list(db.scalars(query))
    counts = organize.counts(db, [assembly.id for assembly in assemblies])
    return AssemblyList(items=[_out(runtime, assembly, counts[assembly.id]) for assembly in assemblies])


@router.get(
    "/assemblies/{assembly_id}", response_model=AssemblyOut, tags=[ASSEMBLIES], responses={**ERRORS, **MISSING}
)
def get_assembly(assembly_id: AssemblyId, user: ApiOrganizerDep, db: DbDep, runtime: RuntimeDep) -> AssemblyOut:
    """One assembly, with its confirmed, attended and waiting counts."""
    return _assembly_out(db, runtime, _found(db, assembly_id))


@router.patch(
    "/assemblies/{assembly_id}",
    response_model=AssemblyChanged,
    tags=[ASSEMBLIES],
    responses={**ERRORS, **MISSING, **REFUSED},
)
def change_assembly(
    assembly_id: AssemblyId, body: AssemblyPatch, user: ApiOrganizerDep, db: DbDep, runtime: RuntimeDep
) -> AssemblyChanged:
    """Change an assembly: e.g. `{"status": "cancelled"}` or a new `starts_at`; everyone concerned is told."""
    assembly = _found(db, assembly_id)
    given = body.model_dump(exclude_unset=True)
    names = {"title": "titles", "description": "descriptions"}
    changes = {names.get(name, name): value for name, value in given.items()}
    try:
        sends = organize.update_assembly(db, _desk(runtime), user, assembly, **changes)
    except Refused as refused:
        db.rollback()
        raise _refused(refused) from None
    db.commit()
    runtime.transactions.hand_over(AfterCommit(messages=sends))
    return _assembly_out(db, runtime, assembly, AssemblyChanged, told=len(sends))


@router.get(
    "/assemblies/{assembly_id}/signups",
    response_model=SignupList,
    tags=[ASSEMBLIES],
    responses={**ERRORS, **MISSING},
)
def list_signups(assembly_id: AssemblyId, user: ApiOrganizerDep, db: DbDep, runtime: RuntimeDep) -> SignupList:
    """Who signed up and who waits, with masked numbers: the attendance sheet's data."""
    assembly = _found(db, assembly_id)
    return SignupList(items=[_signup(runtime, signup) for signup in organize.roster(db, assembly)])


def _signup(runtime: Runtime, signup: Signup) -> SignupItem:
    feedback = signup.feedback
    contact = feedback.contact
    number = decrypted(runtime.vault, contact.phone_encrypted) if contact else None
    return SignupItem(
        reference=feedback.reference,
        status=signup.status,
        language=(contact.language if contact else None) or feedback.language,
        channel=(contact.channel if contact else None) or feedback.channel,
        contact=mask(number) if number else None,
    )


# --- broadcasts ------------------------------------------------------------------------------------


class AudienceIn(BaseModel):
    """Who a broadcast is for; an empty (or absent) field does not narrow: nothing at all is everyone who
    consented. Opted-out people, those without consent and protection focal points are never reached."""

    model_config = ConfigDict(extra="forbid")

    sites: list[Text] = Field(default_factory=list, description="Site slugs, e.g. [\"niamana\"].")
    languages: list[Text] = Field(default_factory=list, description="Language codes, e.g. [\"bm\"].")
    channels: list[Text] = Field(
        default_factory=list, description=f"The channel people last wrote from: {Channel.described()}."
    )
    assembly: int | None = Field(default=None, description="An assembly's id: its people signed up or waiting.")


class BroadcastIn(BaseModel):
    """A broadcast: one text per language (each person gets theirs, the default language's otherwise)."""

    model_config = ConfigDict(extra="forbid")

    texts: dict[Text, Text] = Field(
        description=f"Per language; the default language's is required; {plan.MAX_CHARS} characters at most each.",
        examples=[{"fr": "Distribution d'eau demain à 9h.", "bm": "Ji tila sini lɛrɛ 9."}],
    )
    audience: AudienceIn = Field(default_factory=AudienceIn)
    send_at: AwareDatetime | None = Field(
        default=None, description="When to send (ISO 8601 with offset); null to send now. Quiet hours still apply."
    )


class LeftOut(BaseModel):
    """People the audience holds who are not sent the broadcast, by reason."""

    opted_out: int = Field(description="They sent STOP.")
    no_consent: int = Field(description="They did not consent, or refused.")
    outside_whatsapp_window: int = Field(description="WhatsApp, silent for 24 hours, and no approved template.")
    protection: int = Field(description="Protection focal points' numbers: never part of an audience.")


class BroadcastCreated(BaseModel):
    """The broadcast as planned."""

    id: int
    status: str = Field(description=BroadcastStatus.described())
    send_at: datetime | None = Field(description="When it starts going out (ISO 8601, UTC).")
    recipients: int = Field(description="How many people it is sent to.")
    left_out: LeftOut


class Counts(BaseModel):
    """A broadcast's messages by where they are."""

    queued: int = Field(description="Not yet handed to the provider.")
    sent: int = Field(description="The provider has them; no delivery report yet.")
    delivered: int = Field(description="Delivered (or read).")
    failed: int = Field(description="Failed or undelivered.")
    unknown: int = Field(description="Maybe sent: the provider's answer was lost.")
    cancelled: int = Field(description="Never sent: the broadcast was cancelled.")


class BroadcastProgress(BaseModel):
    """How far a broadcast has gone."""

    id: int
    status: str = Field(description=BroadcastStatus.described())
    recipients: int
    counts: Counts
    finished_at: datetime | None


def _left_out(values: dict | None) -> LeftOut:
    values = values or {}
    return LeftOut(**{name: int(values.get(name, 0)) for name in LeftOut.model_fields})


@router.post(
    "/broadcasts",
    status_code=201,
    response_model=BroadcastCreated,
    tags=[BROADCASTS],
    responses={**ERRORS, **REFUSED},
)
def create_broadcast(body: BroadcastIn, user: ApiOrganizerDep, db: DbDep, runtime: RuntimeDep) -> BroadcastCreated:
    """Send a broadcast now or at `send_at`; the answer says how many it reaches and who is left out."""
    try:
        audience = Audience.from_json(body.audience.model_dump(), db, runtime.settings)
        db.rollback()  # planning runs in its own transaction
        broadcast = plan.create_broadcast(runtime, user.id, body.texts, audience, body.send_at)
    except Refused as refused:
        raise _refused(refused) from None
    return BroadcastCreated(
        id=broadcast.id,
        status=broadcast.status,
        send_at=broadcast.send_at,
        recipients=broadcast.recipients,
        left_out=_left_out(broadcast.left_out),
    )


@router.get(
    "/broadcasts/{broadcast_id}",
    response_model=BroadcastProgress,
    tags=[BROADCASTS],
    responses={**ERRORS, **MISSING},
)
def get_broadcast(
    broadcast_id: Annotated[str, Path(description="The broadcast's id.")], user: ApiOrganizerDep, db: DbDep
) -> BroadcastProgress:
    """A broadcast's status and its messages counted: queued, sent, delivered, failed."""
    number = record_id(broadcast_id)
    if number is None or db.get(Broadcast, number) is None:
        raise HTTPException(status_code=404, detail="no such broadcast")
    progress = control.progress(db, number)
    return BroadcastProgress(
        id=number,
        status=progress.status,
        recipients=progress.recipients,
        counts=Counts(**{name: progress.counts.get(name, 0) for name in Counts.model_fields}),
        finished_at=progress.finished_at,
    )
